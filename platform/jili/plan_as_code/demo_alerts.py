"""Demo companies: the working-day calendar, the default alert rules, and the
alerts the rules find over the last months (a red one with an improvement plan
written; others left due or late, as a manager would find them)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.alerts.models import Alert, ImprovementPlan
from jili.alerts.services import add_default_rules, evaluate, rules_of, submit
from jili.extensions import db
from jili.tenancy import bound_tenant
from jili.workdays import china
from jili.workdays.services import load_china_defaults, years_listed

MONTHS_BACK = 6
PLAN_ACTIONS = "每周拜访重点客户不少于 5 家；每周一与经理复盘商机管道；两周内完成新产品培训。"


def _month_starts(today: date) -> list[date]:
    out, d = [], today.replace(day=1)
    for _ in range(MONTHS_BACK):
        out.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    return sorted(out)


def add_alerts(tenant: Tenant, today: date) -> int:
    """Calendar, rules and alerts for a demo company; the number of alerts raised."""
    raised = 0
    with bound_tenant(tenant.id):
        if not years_listed(tenant.id):
            for year in china.YEARS:
                load_china_defaults(tenant.id, year)
        if not rules_of(tenant.id):
            add_default_rules(tenant.id)
        for day in _month_starts(today):
            raised += len(evaluate(tenant.id, day).raised)
        plan = db.session.scalar(
            select(ImprovementPlan)
            .join(Alert, (Alert.id == ImprovementPlan.alert_id) & (Alert.tenant_id == tenant.id))
            .where(ImprovementPlan.tenant_id == tenant.id, ImprovementPlan.submitted_on.is_(None))
            .order_by(ImprovementPlan.due_date, ImprovementPlan.id)
        )
        if plan is not None:
            on = plan.due_date - timedelta(days=1)
            submit(plan, PLAN_ACTIONS, on + timedelta(days=30), on, "demo")
        db.session.commit()
    return raised
