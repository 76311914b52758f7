"""The demo shows what Jili is for on whatever day it is loaded: every demo company
gets sales and targets in its current quarter and month, its ended periods are
calculated and published, and every demo login lands on a home page with real
numbers, charts and a statement. `jili demo logins` says what each one will see."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import Browser
from jili import ROOT
from jili.extensions import db
from jili.models import CalculationRun, Period, Person, SalesTarget, Tenant, Transaction
from jili.periods.models import PeriodStatus
from jili.plan_as_code.demo import load_current, logins
from jili.plan_as_code.demo_current import attainment, bring_up_to_date
from jili.tenancy import bound_tenant
from test_demo_examples import Q3, _calculate

TENANTS = Path(ROOT) / "tenants"
DEC_1 = date(2026, 12, 1)
EN = {"Accept-Language": "en"}


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def _period(tenant: Tenant, label: str) -> Period:
    return db.session.scalar(
        select(Period).where(Period.tenant_id == tenant.id, Period.label == label)
    )


@pytest.fixture
def demo(app):
    return {slug: outcome for slug, _created, outcome in load_current(TENANTS, DEC_1)}


def test_each_demo_company_has_sales_and_targets_in_its_current_quarter(demo):
    assert set(demo) == {"huadong", "shili", "xinyi"}
    for slug, current in (("huadong", "2026-Q4"), ("shili", "2026-Q4"), ("xinyi", "2026-Q3")):
        tenant = _tenant(slug)
        with bound_tenant(tenant.id):
            quarter = _period(tenant, current)
            assert quarter.start_date <= DEC_1 <= quarter.end_date
            assert quarter.status == PeriodStatus.OPEN
            sellers = db.session.scalar(
                select(func.count(Person.id)).where(Person.tenant_id == tenant.id)
            )
            targets = db.session.scalar(
                select(func.count(SalesTarget.id)).where(
                    SalesTarget.period_id == quarter.id,
                    SalesTarget.person_id.is_not(None),
                    SalesTarget.metric == "revenue",
                )
            )
            assert targets == sellers
            sold = db.session.scalar(
                select(func.count(Transaction.id)).where(
                    Transaction.tenant_id == tenant.id,
                    Transaction.deal_date >= quarter.start_date,
                )
            )
            assert sold > 0
            latest = db.session.scalar(
                select(func.max(Transaction.deal_date)).where(Transaction.tenant_id == tenant.id)
            )
            assert latest == DEC_1  # nothing is dated after today


def test_ended_periods_are_published_but_the_latest_month_is_left_due(demo):
    tenant = _tenant("huadong")
    with bound_tenant(tenant.id):
        for label in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-10", "2025"):
            period = _period(tenant, label)
            assert period.status == PeriodStatus.PUBLISHED, label
            run = db.session.scalar(
                select(CalculationRun).where(CalculationRun.period_id == period.id)
            )
            assert run is not None and (run.total > 0 or label == "2025"), label
        assert _period(tenant, "2026-11").status == PeriodStatus.OPEN  # ended, due
        assert _period(tenant, "2026-12").status == PeriodStatus.OPEN  # current
    assert "2026-Q3" in demo["huadong"].published


def test_loading_again_another_day_adds_only_the_days_since(demo, app):
    tenant = _tenant("huadong")
    again = bring_up_to_date(tenant, DEC_1)
    assert (again.deals, again.targets, again.published) == (0, 0, [])
    later = bring_up_to_date(tenant, date(2027, 1, 12))
    assert later.published == ["2026-11", "2026-Q4", "2026"]  # 2026-11 was left due
    with bound_tenant(tenant.id):
        assert _period(tenant, "2026-12").status == PeriodStatus.OPEN  # the one due now
        assert _period(tenant, "2027-Q1").status == PeriodStatus.OPEN
        assert _period(tenant, "2027-01").status == PeriodStatus.OPEN
    # December's three deals after the 1st, and January's two up to the 12th, of 4 sellers
    assert later.deals == 4 * 3 + 4 * 2


def test_the_worked_examples_of_2024_q3_stay_exact_and_are_published(demo):
    shili = _tenant("shili")
    with bound_tenant(shili.id):
        assert _period(shili, "2024-Q3").status == PeriodStatus.PUBLISHED
        _period(shili, "2024-Q3").status = PeriodStatus.OPEN  # recalculate it to compare
        db.session.commit()
    _run, got, _lines = _calculate(shili, "2024-Q3")
    for employee_no, lines in Q3.items():
        assert got[employee_no] == lines, employee_no


def test_attainment_is_stable_and_spread():
    values = [attainment("huadong", f"HD{i:03d}", "2026-10") for i in range(1, 40)]
    assert values == [attainment("huadong", f"HD{i:03d}", "2026-10") for i in range(1, 40)]
    assert min(values) >= 0.55 and max(values) < 1.35
    assert len(set(values)) > 20


def _home(app, email: str, password: str, slug: str) -> str:
    b = Browser(app.test_client())
    assert b.login(email, password).status_code == 302
    page = b.get(f"/t/{slug}/", headers=EN)
    assert page.status_code == 200, (email, slug)
    return page.text


def _amounts(text: str) -> list[str]:
    return re.findall(r"(?:¥|NT\$|\$)[\d,]+(?:\.\d\d)?", text)


def _statement_total(text: str) -> str:
    card = text[text.index('id="stmt-h"') :]
    return re.search(r'class="big num">([^<]+)<', card).group(1)


def test_every_demo_login_lands_on_a_home_with_real_numbers(demo, app):
    """In each login's own language (xinyi's people read zh_Hant): the markup says
    what is there, the amounts say it is real."""
    for login in logins(TENANTS):
        text = _home(app, login.email, login.password, login.slug)
        if login.role in ("staff", "manager"):
            assert 'class="card period-progress"' in text, login
            assert 'role="progressbar"' in text and 'class="badge estimate"' in text, login
            assert _statement_total(text), login
            assert any(re.search(r"[1-9]", a) for a in _amounts(text)), login
        if login.role == "staff":
            assert re.search(r"[1-9]", _statement_total(text)), login
        if login.role == "manager":
            assert 'class="home-chart"' in text and text.count('<rect class="bar') >= 4, login
        if login.role in ("owner", "hr", "admin"):
            chart = text[text.index('aria-labelledby="cost-t cost-d"') :]
            assert chart.count('<rect class="bar') == 4, login  # four ended quarters calculated


def test_demo_logins_say_what_each_person_sees(runner):
    result = runner.invoke(args=["demo", "logins", str(TENANTS)])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if "@" in ln]
    assert len(lines) == len({login.email for login in logins(TENANTS)})
    by_email = {ln.split()[0]: ln for ln in lines}
    assert "own targets and progress" in by_email["sales@huadong.example"]
    assert "attainment ranking" in by_email["manager@xinyi.example"]
    assert "huadong, xinyi (consultant)" in by_email["consultant@jili.example"]
    assert "incentive cost against revenue" in by_email["owner@shili.example"]
    assert "paid as a correction" in by_email["admin@shili.example"]


def test_a_managers_own_progress_is_the_team_roll_up(demo):
    from jili.home.services.progress import person_progress

    tenant = _tenant("huadong")
    with bound_tenant(tenant.id):
        quarter = _period(tenant, "2026-Q4")
        chen = db.session.scalar(select(Person).where(Person.employee_no == "HD001"))
        team_sales = db.session.scalar(
            select(func.sum(Transaction.amount)).where(
                Transaction.tenant_id == tenant.id, Transaction.deal_date >= quarter.start_date
            )
        )
        revenue = person_progress(tenant.id, "CNY", chen, quarter, DEC_1).targets[0]
        assert (revenue.measure, revenue.actual) == ("revenue", team_sales)
        assert revenue.target > 0


def test_the_latest_statement_is_the_latest_period_that_pays_the_person(demo):
    from jili.home.services.progress import latest_statement

    shili = _tenant("shili")
    with bound_tenant(shili.id):
        sun = db.session.scalar(select(Person).where(Person.employee_no == "SL009"))
        # 2026-10 is published later, but shili has no monthly plan: it pays nobody
        assert _period(shili, "2026-10").status == PeriodStatus.PUBLISHED
        latest = latest_statement(shili.id, sun.id)
        assert latest.period.label == "2026-Q3" and latest.total > 0


def test_every_demo_company_has_its_setup_checklist_ticked_off(demo):
    from jili.home.services.setup import checklist

    for slug in demo:
        tenant = _tenant(slug)
        with bound_tenant(tenant.id):
            assert [s.key for s in checklist(tenant.id) if not s.done] == [], slug
