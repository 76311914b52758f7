"""The grid of one period and team: rows are the team (its own target), its
sub-teams and people; columns the metrics; each cell the target, its
attainment to date and, on a parent whose children don't add up, the difference."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from jili.extensions import db
from jili.money import MONEY_LIMIT, parse_decimal
from jili.inputs.models import SalesTarget
from jili.org.models import Level, Person, Team
from jili.periods.models import Period
from jili.targets.services.metrics import MetricDef, catalog
from jili.targets.services.progress import Progress, person_progress, team_progress
from jili.targets.services.splits import Mismatch, mismatches


@dataclass
class Row:
    person_id: int | None
    team_id: int | None
    label: str
    sub: str = ""  # employee number, or "team"
    is_parent: bool = False
    is_manager: bool = False
    has_children: bool = False
    cells: dict[str, SalesTarget] = field(default_factory=dict)
    progress: dict[str, Progress] = field(default_factory=dict)
    mismatch: dict[str, list[Mismatch]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"p{self.person_id}" if self.person_id else f"t{self.team_id}"


@dataclass
class Grid:
    period: Period
    team: Team | None
    metrics: list[MetricDef]
    rows: list[Row]
    mismatches: list[Mismatch]


def _rows(tenant_id: int, team: Team | None, teams: list[Team], people: list[Person]) -> list[Row]:
    tid = team.id if team else None
    parents = {t.parent_id for t in teams}
    rows = []
    if team is not None:
        rows.append(Row(None, team.id, team.name, "team", is_parent=True, has_children=True))
    for t in sorted((t for t in teams if t.parent_id == tid), key=lambda t: t.name):
        rows.append(Row(None, t.id, t.name, "team", has_children=t.id in parents))
    for p in sorted((p for p in people if p.team_id == tid), key=lambda p: (p.employee_no, p.name)):
        rows.append(Row(p.id, None, p.name, p.employee_no, is_manager=p.level == Level.MANAGER))
    return rows


def build_grid(
    tenant_id: int,
    period: Period,
    team: Team | None,
    today: date,
    *,
    visible_people: set[int] | None = None,
    visible_teams: set[int] | None = None,
    with_progress: bool = True,
) -> Grid:
    """The grid of ``period`` for ``team`` (None: the top-level teams and the
    people without a team), restricted to what the viewer may see (None = all)."""
    teams = list(db.session.scalars(select(Team).where(Team.tenant_id == tenant_id)))
    people = list(db.session.scalars(select(Person).where(Person.tenant_id == tenant_id)))
    rows = [
        r
        for r in _rows(tenant_id, team, teams, people)
        if (r.person_id is None or visible_people is None or r.person_id in visible_people)
        and (r.team_id is None or visible_teams is None or r.team_id in visible_teams)
    ]
    by_subject = {(r.person_id, r.team_id): r for r in rows}
    for t in db.session.scalars(
        select(SalesTarget).where(
            SalesTarget.tenant_id == tenant_id, SalesTarget.period_id == period.id
        )
    ):
        row = by_subject.get((t.person_id, t.team_id))
        if row is not None:
            row.cells[t.metric] = t
    found = mismatches(tenant_id, period)
    for m in found:
        row = by_subject.get((m.person_id, m.team_id))
        if row is not None:
            row.mismatch.setdefault(m.metric, []).append(m)
    if with_progress:
        for r in rows:
            if not r.cells:
                continue
            got = (
                person_progress(tenant_id, period, r.person_id, today)
                if r.person_id
                else team_progress(tenant_id, period, r.team_id, today)
            )
            r.progress = {p.metric: p for p in got}
    metrics = catalog(tenant_id)
    return Grid(period, team, metrics, rows, found)


def parse_amount(text: str) -> Decimal | None:
    """A typed cell: empty → None; otherwise an exact number ≥ 0 with at most two
    decimals (a :class:`jili.money.NumberError` with the reason otherwise)."""
    text = (text or "").strip()
    if not text:
        return None
    return parse_decimal(text, places=2, limit=MONEY_LIMIT, minimum=Decimal(0))
