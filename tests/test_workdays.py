"""The working-day calendar: weekends, the tenant's holidays and make-up working
days (调休), mainland China's defaults, deadlines counted on it, the page's roles."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import AuditLog, CalendarDay
from jili.tenancy import bound_tenant
from jili.workdays import china
from jili.workdays.services import (
    add_working_days,
    is_working_day,
    load_china_defaults,
    set_day,
    working_days_between,
)

EN = {"Accept-Language": "en"}


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


def test_weekends_are_not_working_days_by_default(tenant):
    with bound_tenant(tenant.id):
        assert is_working_day(tenant.id, date(2026, 11, 27))  # a Friday
        assert not is_working_day(tenant.id, date(2026, 11, 28))  # Saturday
        # Friday + 1 working day jumps the weekend to Monday
        assert add_working_days(tenant.id, date(2026, 11, 27), 1) == date(2026, 11, 30)
        assert add_working_days(tenant.id, date(2026, 11, 27), 3) == date(2026, 12, 2)
        assert add_working_days(tenant.id, date(2026, 11, 27), 0) == date(2026, 11, 27)
        assert working_days_between(tenant.id, date(2026, 11, 27), date(2026, 11, 30)) == 1
        assert working_days_between(tenant.id, date(2026, 11, 30), date(2026, 11, 27)) == 0


def test_a_holiday_and_a_make_up_working_day_move_a_deadline(tenant):
    with bound_tenant(tenant.id):
        load_china_defaults(tenant.id, 2026)
        db.session.commit()
        # National Day: 1–7 October 2026 off; Saturday 10 October is a make-up working day.
        assert not is_working_day(tenant.id, date(2026, 10, 1))  # a Thursday, a holiday
        assert is_working_day(tenant.id, date(2026, 10, 10))  # a Saturday, worked
        # Three working days after Wednesday 30 September: 8, 9 and 10 October.
        assert add_working_days(tenant.id, date(2026, 9, 30), 3) == date(2026, 10, 10)
        # Sunday 20 September is worked: Friday 18th + 1 working day is the 20th.
        assert add_working_days(tenant.id, date(2026, 9, 18), 1) == date(2026, 9, 20)
        # Spring Festival 15–23 February, Saturday 14th and 28th worked.
        assert add_working_days(tenant.id, date(2026, 2, 13), 1) == date(2026, 2, 14)
        assert add_working_days(tenant.id, date(2026, 2, 14), 1) == date(2026, 2, 24)
        assert working_days_between(tenant.id, date(2026, 2, 13), date(2026, 2, 28)) == 6


def test_the_tenants_own_holiday_counts(tenant):
    with bound_tenant(tenant.id):
        set_day(tenant.id, date(2026, 12, 2), False, "公司年会")
        db.session.commit()
        assert add_working_days(tenant.id, date(2026, 12, 1), 1) == date(2026, 12, 3)
        with pytest.raises(ValueError):
            set_day(tenant.id, date(2026, 12, 5), False, "")  # a Saturday is off already
        with pytest.raises(ValueError):
            set_day(tenant.id, date(2026, 12, 3), True, "")  # a Thursday is worked already


def test_china_defaults_match_the_official_notices():
    days = {d: (w, code) for d, w, code in china.days(2026)}
    assert days[date(2026, 2, 15)] == (False, "spring_festival")
    assert days[date(2026, 2, 23)] == (False, "spring_festival")
    assert days[date(2026, 2, 14)] == (True, "spring_festival")
    assert days[date(2026, 1, 4)] == (True, "new_year")
    assert days[date(2026, 9, 25)] == (False, "mid_autumn")
    assert sum(1 for w, _c in days.values() if w) == 6
    days25 = {d: w for d, w, _c in china.days(2025)}
    assert days25[date(2025, 1, 26)] is True and days25[date(2025, 10, 8)] is False
    assert 2027 in china.PROVISIONAL and all(not w for _d, w, _c in china.days(2027))
    assert china.days(2031) == []


def test_hr_lists_a_holiday_and_loads_the_defaults_audited(tenant, member, browser):
    hr = browser(member(tenant, "hr"))
    page = hr.get("/t/acme/calendar?year=2026", headers=EN)
    assert page.status_code == 200 and "Use mainland China" in page.text
    resp = hr.post(
        "/t/acme/calendar/days?year=2026",
        data={"day": "2026-12-02", "kind": "holiday", "name": "公司年会"},
    )
    assert resp.status_code == 302
    resp = hr.post("/t/acme/calendar/china?year=2026")
    assert resp.status_code == 302
    page = hr.get("/t/acme/calendar?year=2026", headers=EN)
    assert "Spring Festival" in page.text and "Make-up working day" in page.text
    assert "公司年会" not in page.text  # the year's days were replaced by the defaults
    with bound_tenant(tenant.id):
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"calendar.day_set", "calendar.china_defaults"} <= actions
    # 2027 is provisional: the page says so
    page = hr.get("/t/acme/calendar?year=2027", headers=EN)
    assert "has not published" in page.text


def test_bad_day_input_is_a_clear_error_and_changes_nothing(tenant, member, browser):
    hr = browser(member(tenant, "hr"))
    resp = hr.post(
        "/t/acme/calendar/days", data={"day": "2026-13-40", "kind": "holiday"}, headers=EN
    )
    assert resp.status_code == 422 and "YYYY-MM-DD" in resp.text
    resp = hr.post(
        "/t/acme/calendar/days", data={"day": "2026-12-05", "kind": "holiday"}, headers=EN
    )
    assert resp.status_code == 422 and "weekend" in resp.text
    with bound_tenant(tenant.id):
        assert db.session.scalars(select(CalendarDay)).all() == []


@pytest.mark.parametrize(
    "role,view,edit",
    [
        ("owner", 200, 302),
        ("admin", 200, 302),
        ("hr", 200, 302),
        ("consultant", 200, 403),
        ("manager", 200, 403),
        ("staff", 403, 403),
    ],
)
def test_who_sees_and_edits_the_calendar(tenant, member, browser, role, view, edit):
    user = tenant.owner if role == "owner" else member(tenant, role)
    b = browser(user)
    assert b.get("/t/acme/calendar").status_code == view
    resp = b.post("/t/acme/calendar/days", data={"day": "2026-12-02", "kind": "holiday"})
    assert resp.status_code == edit


def test_another_companys_day_is_a_404(make_tenant, member, browser):
    acme, other = make_tenant("acme"), make_tenant("other")
    with bound_tenant(other.id):
        theirs = set_day(other.id, date(2026, 12, 2), False, "")
        db.session.commit()
        theirs_id = theirs.id
    hr = browser(member(acme, "hr"))
    assert hr.post(f"/t/acme/calendar/days/{theirs_id}/remove").status_code == 404
    with bound_tenant(other.id):
        assert db.session.get(CalendarDay, theirs_id) is not None
