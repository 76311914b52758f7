"""Background tasks of alerts: evaluate every company's rules each morning (and
tell about late improvement plans), one company's, or some people's right after
a change that concerns them.

Re-evaluation after a change (:func:`after_change`):

* **queued** (a huey task on :mod:`jili.jobs`, run by the worker) after an import
  of transactions, targets or metric values and after a period's targets are
  published — these can touch thousands of rows, so the request never waits;
* **inline** (in the request, right after its commit) after a single adjustment is
  approved — a handful of people: the person or the team's members and the
  managers above them.
"""

from __future__ import annotations

from datetime import date

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


def evaluate_people_now(tenant_id: int, person_ids: list[int] | None) -> int:
    """Evaluate the rules for these people (None: everyone) as of the company's
    today and commit; the number of alerts raised (each notified as usual)."""
    from jili.accounts.models import Tenant
    from jili.alerts import services
    from jili.extensions import db
    from jili.plan_as_code.demo import tenant_today
    from jili.tenancy import bound_tenant

    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or tenant.is_suspended:
        return 0
    today: date = tenant_today(tenant)
    with bound_tenant(tenant_id):
        out = services.evaluate(tenant_id, today, person_ids)
        db.session.commit()
    return len(out.raised)


@huey.task()
def evaluate_people(tenant_id: int, person_ids: list[int] | None) -> None:
    with app_context():
        evaluate_people_now(tenant_id, person_ids)


def after_change(
    tenant_id: int,
    *,
    person_ids=(),
    team_ids=(),
    everyone: bool = False,
    queued: bool = True,
) -> None:
    """Re-evaluate the alerts a committed change may raise: of ``everyone``, or of
    the people concerned by ``person_ids`` and ``team_ids`` (and their managers).
    ``queued`` hands it to the worker; otherwise it runs now, in this request."""
    ids: list[int] | None = None
    if not everyone:
        from jili.alerts.services.affected import affected_people
        from jili.tenancy import bound_tenant

        with bound_tenant(tenant_id):
            ids = sorted(affected_people(tenant_id, person_ids, team_ids))
        if not ids:
            return
    if queued:
        evaluate_people(tenant_id, ids)
    else:
        evaluate_people_now(tenant_id, ids)


@huey.periodic_task(crontab(hour="6", minute="5"))
def evaluate_daily() -> None:
    from jili.accounts.models import Tenant
    from jili.extensions import db

    with app_context():
        for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
            if not tenant.is_suspended:
                _evaluate_one(tenant)
