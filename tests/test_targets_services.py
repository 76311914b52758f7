"""Targets as a process, the services: splitting down to the fen (seed 000),
what doesn't add up, publication, changes after it, progress and pace."""

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import (
    AuditLog,
    Period,
    PeriodStatus,
    Person,
    SalesCredit,
    SalesTarget,
    Team,
    Transaction,
)
from jili.org.models import Level
from jili.periods.services import PeriodClosed, generate_year
from jili.targets.services import (
    TargetsPublished,
    change_target,
    person_progress,
    published_targets,
    targets_version,
    team_progress,
    working_days_between,
)
from jili.targets.services.publication import DifferenceNotAccepted, publish
from jili.targets.services.splits import SplitMethod, mismatches, split
from jili.tenancy import bound_tenant


class World:
    def __init__(self, tenant):
        self.tenant, self.t = tenant, tenant.id
        region = Team(tenant_id=self.t, name="华东大区")
        db.session.add(region)
        db.session.flush()
        self.region = region
        self.g1 = Team(tenant_id=self.t, name="上海组", parent_id=region.id)
        self.g2 = Team(tenant_id=self.t, name="杭州组", parent_id=region.id)
        db.session.add_all([self.g1, self.g2])
        db.session.flush()
        self.a = Person(tenant_id=self.t, employee_no="E002", name="甲", team_id=self.g1.id)
        self.b = Person(tenant_id=self.t, employee_no="E001", name="乙", team_id=self.g1.id)
        self.c = Person(tenant_id=self.t, employee_no="E003", name="丙", team_id=self.g1.id)
        self.boss = Person(
            tenant_id=self.t, employee_no="M01", name="经理", team_id=self.g1.id,
            level=Level.MANAGER,
        )  # fmt: skip
        db.session.add_all([self.a, self.b, self.c, self.boss])
        generate_year(self.t, 2024, 1)
        db.session.flush()
        self.p = {p.label: p for p in db.session.scalars(select(Period))}

    def target(self, label, metric="revenue", **subject):
        t = db.session.scalar(
            select(SalesTarget).where(
                SalesTarget.period_id == self.p[label].id,
                SalesTarget.metric == metric,
                SalesTarget.person_id == subject.get("person_id")
                if subject.get("person_id")
                else SalesTarget.person_id.is_(None),
                SalesTarget.team_id == subject.get("team_id")
                if subject.get("team_id")
                else SalesTarget.team_id.is_(None),
            )
        )
        return t.baseline if t else None

    def sale(self, person, amount, day, n=[0]):  # noqa: B006
        n[0] += 1
        tx = Transaction(
            tenant_id=self.t, external_id=f"T{n[0]}", deal_date=day, person_id=person.id,
            amount=D(amount), collected_amount=D(amount), margin=D(0), row_hash="x",
            new_customer=True,
        )  # fmt: skip
        db.session.add(tx)
        db.session.flush()
        db.session.add(
            SalesCredit(
                tenant_id=self.t, transaction_id=tx.id, person_id=person.id, share_bp=10000,
                deal_date=day, amount=D(amount), collected_amount=D(amount), margin=D(0),
            )
        )  # fmt: skip


@pytest.fixture
def w(make_tenant):
    tenant = make_tenant(slug="mubiao")
    with bound_tenant(tenant.id):
        world = World(tenant)
        db.session.commit()
        yield world


def test_seed_000_year_to_quarters_to_months(w):
    """Year +10,000,000 → 2,500,000 a quarter; a month is a third of its quarter."""
    team = {"team_id": w.region.id}
    change_target(w.t, None, w.p["2024"].id, metric="revenue", baseline=D("10000000"), **team)
    split(w.t, None, w.p["2024"], metric="revenue", down="periods", method=SplitMethod.EVEN,
          **team)  # fmt: skip
    for q in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        assert w.target(q, **team) == D("2500000.00")
        split(w.t, None, w.p[q], metric="revenue", down="periods", method=SplitMethod.EVEN,
              **team)  # fmt: skip
    months = [w.target(f"2024-{m:02d}", **team) for m in (1, 2, 3)]
    # 2,500,000 / 3 to the fen: the one fen left goes to the earliest month
    assert months == [D("833333.34"), D("833333.33"), D("833333.33")]
    assert months[0] != w.target("2024-Q1", **team)
    assert sum(months) == D("2500000.00")
    assert mismatches(w.t, w.p["2024"]) == [] and mismatches(w.t, w.p["2024-Q1"]) == []
    actions = [e.action for e in db.session.scalars(select(AuditLog))]
    assert "targets.split" in actions and actions.count("target.change") >= 1 + 4 + 12


def test_team_split_by_largest_remainder_ties_by_employee_number(w):
    q3 = w.p["2024-Q3"]
    change_target(w.t, None, q3.id, team_id=w.g1.id, metric="revenue", baseline=D("100"))
    parts = split(w.t, None, q3, team_id=w.g1.id, metric="revenue", down="team",
                  method=SplitMethod.EVEN)  # fmt: skip
    got = {c.person_id: v for c, v in parts.items()}
    # three people (the manager's target is the team's): 33.34 to E001 (乙), the first by number
    assert got == {w.b.id: D("33.34"), w.a.id: D("33.33"), w.c.id: D("33.33")}
    assert sum(got.values()) == D("100")


def test_split_by_last_period_share(w):
    w.sale(w.a, "300", date(2024, 5, 2))
    w.sale(w.b, "100", date(2024, 5, 3))
    q3 = w.p["2024-Q3"]
    change_target(w.t, None, q3.id, team_id=w.g1.id, metric="revenue", baseline=D("1000"))
    parts = split(w.t, None, q3, team_id=w.g1.id, metric="revenue", down="team",
                  method=SplitMethod.HISTORY)  # fmt: skip
    got = {c.person_id: v for c, v in parts.items()}
    assert got == {w.a.id: D("750.00"), w.b.id: D("250.00"), w.c.id: D("0.00")}


def test_a_mismatch_is_shown_and_publishing_needs_a_reason(w):
    q3 = w.p["2024-Q3"]
    change_target(w.t, None, q3.id, team_id=w.region.id, metric="revenue", baseline=D("1000000"))
    change_target(w.t, None, q3.id, team_id=w.g1.id, metric="revenue", baseline=D("500000"))
    change_target(w.t, None, q3.id, team_id=w.g2.id, metric="revenue", baseline=D("380000"))
    (m,) = mismatches(w.t, q3)
    assert (m.team_id, m.parent, m.children, m.difference) == (
        w.region.id, D("1000000"), D("880000"), D("-120000"),
    )  # fmt: skip
    with pytest.raises(DifferenceNotAccepted):
        publish(w.t, None, q3)
    assert targets_version(w.t, q3.id) == 0
    pub = publish(w.t, None, q3, accept_reason="杭州组新开，下季度补")
    assert (pub.version, pub.accepted_difference_reason) == (1, "杭州组新开，下季度补")


def test_after_publication_changes_only_via_an_adjustment(w):
    q3 = w.p["2024-Q3"]
    change_target(w.t, None, q3.id, person_id=w.a.id, metric="revenue", baseline=D("500000"),
                  challenge=D("650000"))  # fmt: skip
    assert published_targets(w.t, q3.id, w.a.id) == []  # a draft is not shown
    publish(w.t, None, q3)
    (line,) = published_targets(w.t, q3.id, w.a.id)
    assert (line.metric, line.baseline, line.challenge) == ("revenue", D("500000"), D("650000"))
    with pytest.raises(TargetsPublished):
        change_target(w.t, None, q3.id, person_id=w.a.id, metric="revenue", baseline=D("1"))
    change_target(w.t, None, q3.id, person_id=w.a.id, metric="revenue", baseline=D("450000"),
                  reason="客户流失", via_adjustment=True)  # fmt: skip
    assert targets_version(w.t, q3.id) == 2
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "target.change")).all()[-1]
    assert entry.before == {"baseline": "500000.00"}
    assert entry.after["baseline"] == "450000.00" and entry.after["reason"] == "客户流失"


def test_closed_periods_refuse_changes(w):
    q2 = w.p["2024-Q2"]
    db.session.refresh(q2)
    q2.status = PeriodStatus.CLOSED
    db.session.flush()
    with pytest.raises(PeriodClosed):
        change_target(w.t, None, q2.id, person_id=w.a.id, metric="revenue", baseline=D("1"))


def test_progress_attainment_and_pace(w):
    w.sale(w.a, "200000", date(2024, 7, 10))
    w.sale(w.b, "100000", date(2024, 7, 11))
    q3 = w.p["2024-Q3"]
    change_target(w.t, None, q3.id, person_id=w.a.id, metric="revenue", baseline=D("500000"))
    change_target(w.t, None, q3.id, person_id=w.a.id, metric="new_customers", baseline=D("4"))
    change_target(w.t, None, q3.id, team_id=w.g1.id, metric="revenue", baseline=D("1000000"))
    today = date(2024, 9, 23)  # a Monday: 6 working days left with today
    revenue, new = person_progress(w.t, q3, w.a.id, today)
    assert (revenue.actual, revenue.attainment, revenue.remaining_working_days) == (
        D("200000"), D("0.4"), 6,
    )  # fmt: skip
    assert revenue.pace_per_day == D("50000")
    assert (new.metric, new.actual, new.attainment) == ("new_customers", D(1), D("0.25"))
    (team,) = team_progress(w.t, q3, w.g1.id, today)
    assert team.actual == D("300000") and team.attainment == D("0.3")


def test_working_days_mon_to_fri_without_a_calendar(make_tenant):
    t = make_tenant().id
    with bound_tenant(t):
        assert working_days_between(t, date(2024, 9, 20), date(2024, 9, 23)) == 1  # Fri → Mon
        assert working_days_between(t, date(2024, 9, 22), date(2024, 9, 30)) == 6
        assert working_days_between(t, date(2024, 9, 23), date(2024, 9, 23)) == 0
