"""Background tasks of alerts: evaluate every company's rules each morning (and
tell about late improvement plans), or one company's after an import."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select

from jili.jobs.queue import app_context, huey


def _evaluate_one(tenant) -> None:
    from jili.alerts import services
    from jili.extensions import db
    from jili.plan_as_code.demo import tenant_today
    from jili.tenancy import bound_tenant

    today = tenant_today(tenant)
    with bound_tenant(tenant.id):
        services.evaluate(tenant.id, today)
        services.notify_late(tenant.id, today)
        db.session.commit()


@huey.task()
def evaluate_tenant(tenant_id: int) -> None:
    from jili.accounts.models import Tenant
    from jili.extensions import db

    with app_context():
        tenant = db.session.get(Tenant, tenant_id)
        if tenant is not None:
            _evaluate_one(tenant)


@huey.periodic_task(crontab(hour="6", minute="5"))
def evaluate_daily() -> None:
    from jili.accounts.models import Tenant
    from jili.extensions import db

    with app_context():
        for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
            if not tenant.is_suspended:
                _evaluate_one(tenant)
