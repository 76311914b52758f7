"""The staff home: own targets in the current open periods with progress and the pace
needed, a provisional estimate of earnings by plan (never stored as a run), the latest
published statement, one click to the simulator — and nobody else's numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from jili.extensions import db
from jili.home.services.progress import current_periods, working_days
from jili.models import CalculationRun, Period, SalesTarget
from jili.periods.models import PeriodKind
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld
from test_statements import publish


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def _runs(w) -> int:
    with bound_tenant(w.t):
        return db.session.scalar(select(func.count(CalculationRun.id)))


def test_working_days_are_monday_to_friday_without_a_calendar(world):
    t = world.t
    with bound_tenant(t):
        assert working_days(date(2026, 12, 1), date(2026, 12, 1), t) == 1  # a Tuesday
        assert working_days(date(2026, 12, 5), date(2026, 12, 6), t) == 0  # a weekend
        assert working_days(date(2026, 12, 1), date(2026, 12, 31), t) == 23
        assert working_days(date(2026, 12, 31), date(2026, 12, 1), t) == 0


def test_current_periods_prefer_the_one_containing_today(world):
    w = world
    with bound_tenant(w.t):
        now = Period(
            tenant_id=w.t,
            kind=PeriodKind.QUARTER,
            label="2026-Q4",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 12, 31),
        )
        db.session.add(now)
        db.session.commit()
        assert current_periods(w.t, date(2026, 12, 1)) == [now]
        assert current_periods(w.t, date(2024, 8, 1), w.a.id) == [w.q3]


def test_staff_home_shows_progress_and_an_estimate_that_is_not_stored(world, browser):
    w = world
    page = browser(w.staff_user).get(w.url("/"), headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "2024-Q3" in text and "My numbers" in text
    assert "650,000.00" in text and "500,000.00" in text and "130.0 %" in text
    assert "Target reached." in text
    assert "阶梯提成" in text and "11,700.00" in text  # 650,000 × 1.8 %, whole amount
    assert "Estimate" in text and "not stored" in text
    assert f"/simulator?period_id={w.q3.id}" in text
    assert "No statement has been published yet." in text
    assert _runs(w) == 0


def test_pace_per_remaining_working_day(world, browser, monkeypatch):
    w = world
    from jili.home.services import progress

    monkeypatch.setattr(progress, "tenant_today", lambda tz: date(2024, 9, 23))  # a Monday
    text = browser(w.other_staff_user).get(w.url("/"), headers=EN).text
    # 王芳 sold 500,000 of 500,000: reached.
    assert "Target reached." in text
    with bound_tenant(w.t):
        target = db.session.scalar(
            select(SalesTarget).where(
                SalesTarget.person_id == w.b.id, SalesTarget.metric == "revenue"
            )
        )
        target.baseline = Decimal("700000.00")  # 200,000 to go in 6 working days
        db.session.commit()
    text = browser(w.other_staff_user).get(w.url("/"), headers=EN).text
    assert "200,000.00 to go" in text
    assert "33,333.33 a working day for the 6 working days left" in text


def test_latest_published_statement_with_its_total(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    staff = browser(w.staff_user)
    text = staff.get(w.url("/"), headers=EN).text
    assert "Latest statement" in text and "11,700.00" in text
    assert f"/periods/{w.q3.id}/statements/{w.a.id}" in text


def test_staff_never_see_another_persons_numbers(world, browser):
    w = world
    text = browser(w.staff_user).get(w.url("/"), headers=EN).text
    assert "王芳" not in text and "6,000.00" not in text  # 王芳's estimate
    assert "李娜" not in text and "4,800.00" not in text


def test_an_unlinked_staff_member_is_told_why_there_are_no_numbers(world, browser, member):
    w = world
    lonely = member(w.tenant, "staff")
    text = browser(lonely).get(w.url("/"), headers=EN).text
    assert "not linked to a person" in text and "My numbers" not in text


def test_amounts_stay_decimal(world):
    from jili.home.services.progress import estimate

    w = world
    with bound_tenant(w.t):
        (e,) = estimate(w.t, "CNY", w.a, w.q3)
    assert e.amount == Decimal("11700.00")
