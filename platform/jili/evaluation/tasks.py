"""Background task of the evaluation cycle: each morning, remind whoever owes a
step that is due today or late (once a day per cycle)."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select

from jili.jobs.queue import app_context, huey


def remind_tenant(tenant) -> int:
    from jili.evaluation.services import duties
    from jili.extensions import db
    from jili.plan_as_code.demo import tenant_today
    from jili.tenancy import bound_tenant

    with bound_tenant(tenant.id):
        told = duties.remind(tenant.id, tenant_today(tenant))
        db.session.commit()
    return told


@huey.periodic_task(crontab(hour="6", minute="15"))
def remind_daily() -> None:
    from jili.accounts.models import Tenant
    from jili.extensions import db

    with app_context():
        for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
            if not tenant.is_suspended:
                remind_tenant(tenant)
