"""Calculation pages: calculate from the page, the run with its totals and
budget, re-run diffs, publishing locks the period, failures shown plainly,
pilot runs. ``CalcWorld`` is shared with the statement and export tests."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from jili.extensions import db
from jili.models import (
    AuditLog,
    CalculationRun,
    Level,
    Period,
    PeriodStatus,
    Person,
    Plan,
    PlanVersion,
    SalesCredit,
    SalesTarget,
    Team,
    TenantScheme,
    Transaction,
)
from jili.periods.models import PeriodKind
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission

D = Decimal


class CalcWorld:
    """A tenant with two teams (A with a sub-team, and B), a manager, staff with
    logins, Q3 2024 targets and sales, and a tiered commission plan (whole
    amount: 1.2 % below 120 % attainment, 1.8 % from 120 %; core staff only,
    so the manager's team roll-up earns nothing)."""

    def __init__(self, tenant, member):
        self.tenant = tenant
        self.t = tenant.id
        self.slug = tenant.slug
        self._n = 0
        self.manager_user = member(tenant, "manager")
        self.staff_user = member(tenant, "staff")
        self.other_staff_user = member(tenant, "staff")
        self.hr_user = member(tenant, "hr")
        with bound_tenant(self.t):
            self.team_a = self._team("华东一组")
            self.team_a2 = self._team("华东一组·二队", parent=self.team_a)
            self.team_b = self._team("华南组")
            self.q2 = self._period("2024-Q2", date(2024, 4, 1), date(2024, 6, 30))
            self.q3 = self._period("2024-Q3", date(2024, 7, 1), date(2024, 9, 30))
            self.boss = self.person(
                "M1", "陈经理", level=Level.MANAGER, team=self.team_a, user=self.manager_user
            )
            self.a = self.person("E1", "张伟", team=self.team_a, user=self.staff_user)
            self.a2 = self.person("E2", "李娜", team=self.team_a2)
            self.b = self.person("E3", "王芳", team=self.team_b, user=self.other_staff_user)
            self.direct = self.person("E4", "赵直属", team=self.team_b, manager=self.boss)
            for p in (self.a, self.a2, self.b, self.direct):
                self.target(p, "500000")
            self.sale(self.a, "650000")  # 130 %: 650,000 × 1.8 % = 11,700.00
            self.sale(self.a2, "400000")  # 80 %: 400,000 × 1.2 % = 4,800.00
            self.sale(self.b, "500000")  # 100 %: 6,000.00
            self.sale(self.direct, "100000")  # 20 %: 1,200.00
            db.session.add(TenantScheme(tenant_id=self.t, scheme_key="tiered_commission"))
            self.plan = self.make_plan("阶梯提成", TieredCommission, {"mode": "whole"})
            db.session.commit()

    # -- builders ------------------------------------------------------------------

    def _team(self, name, parent=None):
        team = Team(tenant_id=self.t, name=name, parent_id=parent.id if parent else None)
        db.session.add(team)
        db.session.flush()
        return team

    def _period(self, label, start, end):
        p = Period(
            tenant_id=self.t, kind=PeriodKind.QUARTER, label=label, start_date=start, end_date=end
        )
        db.session.add(p)
        db.session.flush()
        return p

    def person(self, no, name, level=Level.CORE, team=None, user=None, manager=None, **kw):
        p = Person(
            tenant_id=self.t,
            employee_no=no,
            name=name,
            level=level,
            team_id=team.id if team else None,
            user_id=user.id if user else None,
            manager_id=manager.id if manager else None,
            **kw,
        )
        db.session.add(p)
        db.session.flush()
        return p

    def target(self, person, revenue, period=None):
        db.session.add(
            SalesTarget(
                tenant_id=self.t,
                period_id=(period or self.q3).id,
                person_id=person.id,
                metric="revenue",
                baseline=D(revenue),
            )
        )

    def sale(self, person, amount, day=date(2024, 8, 1)):
        self._n += 1
        amount = D(amount)
        txn = Transaction(
            tenant_id=self.t,
            external_id=f"T{self._n}",
            deal_date=day,
            person_id=person.id,
            amount=amount,
            collected_amount=amount,
            margin=amount / 5,
            row_hash="x",
        )
        db.session.add(txn)
        db.session.flush()
        db.session.add(
            SalesCredit(
                tenant_id=self.t,
                transaction_id=txn.id,
                person_id=person.id,
                share_bp=10000,
                deal_date=day,
                amount=amount,
                collected_amount=amount,
                margin=amount / 5,
            )
        )

    def make_plan(self, name, scheme, settings=None, period=None, **kw):
        plan = Plan(tenant_id=self.t, name=name, scheme_key=scheme.key)
        db.session.add(plan)
        db.session.flush()
        self.version(plan, scheme, settings, period=period or self.q2, **kw)
        return plan

    def version(self, plan, scheme, settings=None, period=None, eligibility=None, **kw):
        period = period or self.q2
        number = db.session.scalar(
            select(func.count(PlanVersion.id)).where(PlanVersion.plan_id == plan.id)
        )
        v = PlanVersion(
            tenant_id=self.t,
            plan_id=plan.id,
            number=number + 1,
            effective_period_id=period.id,
            effective_from=period.start_date,
            settings=scheme.validate_settings({**scheme.default_settings(), **(settings or {})}),
            eligibility={"levels": ["core"]} if eligibility is None else eligibility,
            **kw,
        )
        db.session.add(v)
        db.session.flush()
        return v

    # -- urls ---------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"/t/{self.slug}{path}"

    def calculate(self, b, period=None):
        return b.post(self.url(f"/periods/{(period or self.q3).id}/runs/calculate"), headers=EN)

    def runs(self, period=None):
        with bound_tenant(self.t):
            return db.session.scalars(
                select(CalculationRun)
                .where(CalculationRun.period_id == (period or self.q3).id)
                .order_by(CalculationRun.number)
            ).all()

    def status(self, period=None):
        with bound_tenant(self.t):
            return db.session.get(Period, (period or self.q3).id).status


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


EN = {"Accept-Language": "en"}


def test_the_period_page_lists_plans_with_their_status_and_links_from_periods(world, browser):
    w = world
    from jili_mentor_award import MentorAward

    with bound_tenant(w.t):
        db.session.add(Plan(tenant_id=w.t, name="旧方案", scheme_key="no_such_scheme"))
        w.make_plan("师徒制", MentorAward)  # installed, not enabled
        q4 = w._period("2024-Q4", date(2024, 10, 1), date(2024, 12, 31))
        w.make_plan("明年提成", TieredCommission, period=q4)  # not in force in Q3
        db.session.commit()
    b = browser(w.tenant.owner)
    periods = b.get(w.url("/periods"), headers=EN).text
    assert f"/periods/{w.q3.id}/runs" in periods
    page = b.get(w.url(f"/periods/{w.q3.id}/runs"), headers=EN)
    assert page.status_code == 200
    assert "阶梯提成" in page.text and "Active" in page.text
    assert "Scheme not installed" in page.text  # 旧方案: no such plugin
    assert "Scheme disabled" in page.text  # 师徒制
    assert "No version in force" in page.text  # 明年提成
    assert "Not calculated yet." in page.text
    assert ">Calculate<" in page.text


def test_calculate_from_the_page_shows_the_run_with_totals(world, browser):
    w = world
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 302
    (run,) = w.runs()
    assert resp.headers["Location"].endswith(f"/runs/{run.id}")
    assert w.status() == PeriodStatus.CALCULATED
    page = b.get(resp.headers["Location"], headers=EN).text
    for name, amount in (("张伟", "11,700.00"), ("李娜", "4,800.00"), ("王芳", "6,000.00")):
        assert name in page and amount in page
    assert "23,700.00" in page  # the run's total
    assert run.total == D("23700.00")
    assert "No budget ceiling is set" in page
    assert "This is the first run" in page
    assert f"/periods/{w.q3.id}/statements/{w.a.id}" in page
    listing = b.get(w.url(f"/periods/{w.q3.id}/runs"), headers=EN).text
    assert f"/runs/{run.id}" in listing and run.fingerprint[:10] in listing
    assert "Calculate again" in listing


def test_htmx_calculate_swaps_the_run_page_in(world, browser):
    w = world
    b = browser(w.tenant.owner)
    resp = b.post(w.url(f"/periods/{w.q3.id}/runs/calculate"), headers={"HX-Request": "true", **EN})
    assert resp.status_code == 200
    assert "<html" not in resp.text and "11,700.00" in resp.text
    assert resp.headers["HX-Push-Url"].endswith(f"/runs/{w.runs()[0].id}")


def test_a_rerun_after_changing_a_target_shows_what_changed(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    with bound_tenant(w.t):
        target = db.session.scalar(
            select(SalesTarget).where(
                SalesTarget.person_id == w.a.id, SalesTarget.metric == "revenue"
            )
        )
        target.baseline = D("600000")  # 650k / 600k = 108 %: below 120 %, 1.2 %
        db.session.commit()
    resp = w.calculate(b)
    first, second = w.runs()
    assert second.number == 2 and second.fingerprint != first.fingerprint
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "What changed against the previous run" in page
    changes = page.split('id="changes"')[1]
    assert "张伟" in changes and "Changed" in changes
    assert "11,700.00" in changes and "7,800.00" in changes
    assert re.search(r"-\S*3,900\.00", changes)
    assert "李娜" not in changes  # unchanged people are not listed
    old = b.get(w.url(f"/runs/{first.id}"), headers=EN).text
    assert "Run 2 replaced this one" in old


def test_the_same_inputs_show_nothing_changed(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    resp = w.calculate(b)
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "Nothing changed since run 1." in page and "The inputs are the same." in page


def test_publishing_locks_calculation_and_closing_follows(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (run,) = w.runs()
    page = b.get(w.url(f"/runs/{run.id}"), headers=EN).text
    assert 'id="publish"' in page
    # Whoever calculated is named, not shown by e-mail address.
    assert f"by {w.tenant.owner.name}" in page and w.tenant.owner.email not in page
    resp = b.post(w.url(f"/runs/{run.id}/publish"), data={"status": "calculated"})
    assert resp.status_code == 302
    assert w.status() == PeriodStatus.PUBLISHED
    locked = w.calculate(b)
    assert locked.status_code == 409
    b_text = b.get(w.url(f"/periods/{w.q3.id}/runs"), headers=EN).text
    assert "its calculation is locked" in b_text and ">Calculate<" not in b_text
    assert "locked" in locked.text and "Reopen" in locked.text
    assert len(w.runs()) == 1  # no new run
    # A stale form (the period already moved) changes nothing.
    stale = b.post(w.url(f"/runs/{run.id}/publish"), data={"status": "calculated"})
    assert stale.status_code == 409 and w.status() == PeriodStatus.PUBLISHED
    closed = b.post(w.url(f"/runs/{run.id}/publish"), data={"status": "published"})
    assert closed.status_code == 302 and w.status() == PeriodStatus.CLOSED
    with bound_tenant(w.t):
        moves = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "period.status").order_by(AuditLog.id)
        ).all()
    assert [m.after["status"] for m in moves] == ["published", "closed"]
    assert w.calculate(b).status_code == 409


def test_only_the_latest_run_publishes(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    w.calculate(b)
    first, _second = w.runs()
    resp = b.post(w.url(f"/runs/{first.id}/publish"), data={"status": "calculated"}, headers=EN)
    assert resp.status_code == 409 and "latest run" in resp.text
    assert w.status() == PeriodStatus.CALCULATED


def test_who_may_calculate_and_publish(world, browser, member):
    w = world
    manager = browser(w.manager_user)
    assert manager.get(w.url(f"/periods/{w.q3.id}/runs")).status_code == 200
    assert w.calculate(manager).status_code == 403
    hr = browser(w.hr_user)
    assert w.calculate(hr).status_code == 302
    (run,) = w.runs()
    assert (
        hr.post(w.url(f"/runs/{run.id}/publish"), data={"status": "calculated"}).status_code == 403
    )
    staff = browser(w.staff_user)
    assert staff.get(w.url(f"/runs/{run.id}")).status_code == 403
    assert staff.get(w.url(f"/periods/{w.q3.id}/runs")).status_code == 403


def test_a_failing_plan_is_shown_plainly_and_nothing_is_saved(world, browser, monkeypatch):
    w = world

    def boom(*a, **k):
        raise RuntimeError("plugin exploded")

    monkeypatch.setattr(TieredCommission, "calculate", classmethod(boom))
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 422
    assert "阶梯提成" in resp.text and "plugin exploded" in resp.text
    assert w.runs() == [] and w.status() == PeriodStatus.OPEN


def test_budget_box_shows_the_ceiling_and_the_cut(world, browser):
    from jili.incentives.models import BudgetRuleChoice
    from jili.models import IncentiveSetting

    w = world
    with bound_tenant(w.t):
        db.session.add(
            IncentiveSetting(
                tenant_id=w.t,
                budget_amount=D("20000.00"),
                budget_rule=BudgetRuleChoice.PROPORTIONAL,
            )
        )
        db.session.commit()
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    page = b.get(resp.headers["Location"], headers=EN).text
    box = page.split('id="budget"')[1].split("</section>")[0]
    assert "20,000.00" in box and "23,700.00" in box and "applied" in box
    assert "proportional" in box
    (run,) = w.runs()
    assert run.total == D("20000.00")


def test_a_pilot_run_shows_in_force_against_pilot_and_is_never_paid(world, browser):
    w = world
    with bound_tenant(w.t):
        pilot = w.version(
            w.plan,
            TieredCommission,
            {"mode": "marginal"},
            period=w.q3,
            is_pilot=True,
            pilot_team_ids=[w.team_a.id],
        )
        db.session.commit()
    b = browser(w.tenant.owner)
    period_page = b.get(w.url(f"/periods/{w.q3.id}/runs"), headers=EN).text
    assert f'value="{pilot.id}"' in period_page
    resp = b.post(w.url(f"/periods/{w.q3.id}/runs/pilot"), data={"version_id": pilot.id})
    assert resp.status_code == 302
    (run,) = w.runs()
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "pilot — not paid" in page
    table = page.split('id="pilot"')[1]
    # 张伟: whole 11,700.00, marginal 600,000 × 1.2 % + 50,000 × 1.8 % = 8,100.00
    assert "张伟" in table and "11,700.00" in table and "8,100.00" in table
    assert re.search(r"-\S*3,600\.00", table)
    assert "王芳" not in table  # team B is not in the pilot
    assert w.status() == PeriodStatus.OPEN  # a pilot leaves the period alone
    # Not a pilot version, or another tenant's: refused with a message.
    bad = b.post(w.url(f"/periods/{w.q3.id}/runs/pilot"), data={"version_id": "999999"})
    assert bad.status_code == 422 and len(w.runs()) == 1
    assert b.get(w.url(f"/runs/{run.id}/export.csv")).status_code == 409
