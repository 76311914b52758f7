"""The consultant's home: every client company on one page — its status, how far
its setup is, its open periods, its last calculation and what is due — each
read inside that company's own tenant binding."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from jili.accounts.models import Role, Tenant
from jili.extensions import db
from jili.home.services.progress import current_periods, tenant_today
from jili.home.services.setup import Due, Step, checklist, due_this_week
from jili.incentives.models import CalculationRun, RunKind
from jili.periods.models import Period
from jili.tenancy import bound_tenant


@dataclass
class ClientRow:
    tenant: Tenant
    role: Role
    steps: list[Step] = field(default_factory=list)
    open_periods: list[Period] = field(default_factory=list)
    last_run: CalculationRun | None = None
    last_run_period: Period | None = None
    due: Due | None = None

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def due_count(self) -> int:
        if self.due is None:
            return 0
        return len(self.due.ended_not_calculated) + self.due.feedback_due


#: How many of the newest runs are looked at for one that calculated a plan.
RECENT_RUNS = 200


def last_calculation(tenant_id: int) -> CalculationRun | None:
    """The newest final run that calculated at least one plan; a company that has
    never calculated a plan (none set up yet) gets its newest run of any kind, so a
    calculation is never reported as missing. Newest by time, then by id."""
    recent = db.session.execute(
        select(CalculationRun.id, CalculationRun.plans)
        .where(CalculationRun.tenant_id == tenant_id, CalculationRun.kind == RunKind.FINAL)
        .order_by(CalculationRun.created_at.desc(), CalculationRun.id.desc())
        .limit(RECENT_RUNS)
    ).all()
    if not recent:
        return None
    chosen = next((run_id for run_id, plans in recent if plans), recent[0][0])
    return db.session.get(CalculationRun, chosen)


def client_row(tenant: Tenant, role: Role) -> ClientRow:
    row = ClientRow(tenant, role)
    if tenant.is_suspended:
        return row  # a suspended company shows its status only
    with bound_tenant(tenant.id):
        today = tenant_today(tenant.timezone)
        row.steps = checklist(tenant.id)
        row.open_periods = current_periods(tenant.id, today)
        row.last_run = last_calculation(tenant.id)
        if row.last_run is not None:
            row.last_run_period = db.session.get(Period, row.last_run.period_id)
        row.due = due_this_week(tenant.id, today)
    return row


def client_rows(tenants: list[tuple[Tenant, Role]]) -> list[ClientRow]:
    """One row per company the user belongs to, in the order given."""
    return [client_row(tenant, role) for tenant, role in tenants]


def advises(tenants: list[tuple[Tenant, Role]]) -> bool:
    """Whether the user is a consultant of any of these companies."""
    return any(role == Role.CONSULTANT for _tenant, role in tenants)
