from datetime import date

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import AuditLog, CalculationRun, Period, PeriodStatus
from jili.periods.services import PeriodClosed, generate_weeks, generate_year
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def _periods(tenant):
    with bound_tenant(tenant.id):
        return {p.label: p for p in db.session.scalars(select(Period))}


def test_calendar_year_has_4_quarters_and_12_months(make_tenant):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        created = generate_year(tenant.id, 2024, 1)
        db.session.commit()
        assert len(created) == 17
        assert generate_year(tenant.id, 2024, 1) == []  # idempotent
    p = _periods(tenant)
    assert (p["2024-Q3"].start_date, p["2024-Q3"].end_date) == (date(2024, 7, 1), date(2024, 9, 30))
    assert p["2024-02"].end_date == date(2024, 2, 29)
    assert p["2024-07"].parent_id == p["2024-Q3"].id and p["2024-Q3"].parent_id == p["2024"].id


def test_fiscal_year_from_april(make_tenant):
    tenant = make_tenant(fiscal_year_start_month=4)
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2024, 4)
        db.session.commit()
    p = _periods(tenant)
    assert (p["2024"].start_date, p["2024"].end_date) == (date(2024, 4, 1), date(2025, 3, 31))
    assert p["2024-Q4"].start_date == date(2025, 1, 1)
    assert p["2024-M12"].start_date == date(2025, 3, 1)


def test_weeks_on_request_are_iso_weeks_whose_thursday_is_in_the_month(make_tenant):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2024, 1)
        july = db.session.scalar(select(Period).where(Period.label == "2024-07"))
        weeks = generate_weeks(tenant.id, july)
        db.session.commit()
    labels = [w.label for w in weeks]
    # 29 July–4 August has its Thursday in August, so it is August's week.
    assert labels == ["2024-W27", "2024-W28", "2024-W29", "2024-W30"]
    assert weeks[0].start_date == date(2024, 7, 1)


def test_status_moves_forward_then_a_closed_period_refuses_changes(make_tenant, member, browser):
    """Even a month without plans moves on only through a run: calculate, publish, close."""
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    july = _periods(tenant)["2024-07"]
    hr = browser(member(tenant, "hr"))
    owner = browser(tenant.owner)
    assert hr.post(f"/t/{tenant.slug}/periods/{july.id}/runs/calculate").status_code == 302
    assert _periods(tenant)["2024-07"].status == PeriodStatus.CALCULATED
    with bound_tenant(tenant.id):
        run_id = db.session.scalar(select(CalculationRun.id))
    for status in ("calculated", "published"):
        resp = owner.post(f"/t/{tenant.slug}/runs/{run_id}/publish", data={"status": status})
        assert resp.status_code == 302
    assert _periods(tenant)["2024-07"].status == PeriodStatus.CLOSED
    resp = hr.post(f"/t/{tenant.slug}/periods/{july.id}/runs/calculate", headers=EN)
    assert resp.status_code == 409 and "locked" in resp.text
    resp = hr.post(f"/t/{tenant.slug}/periods/{july.id}/weeks", headers=EN)
    assert resp.status_code == 409
    # The ORM refuses direct edits too.
    with bound_tenant(tenant.id):
        p = db.session.get(Period, july.id)
        p.end_date = date(2024, 8, 1)
        with pytest.raises(PeriodClosed):
            db.session.commit()
        db.session.rollback()
    # hr may not reopen; an admin may, with a reason, and it is audited.
    assert (
        hr.post(f"/t/{tenant.slug}/periods/{july.id}/reopen", data={"reason": "x"}).status_code
        == 403
    )
    owner = browser(tenant.owner)
    owner.post(f"/t/{tenant.slug}/periods/{july.id}/reopen", data={"reason": ""})
    assert _periods(tenant)["2024-07"].status == PeriodStatus.CLOSED
    owner.post(f"/t/{tenant.slug}/periods/{july.id}/reopen", data={"reason": "客户退款需更正"})
    assert _periods(tenant)["2024-07"].status == PeriodStatus.OPEN
    with bound_tenant(tenant.id):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "period.reopen"))
    assert entry.before == {"status": "closed"}
    assert entry.after == {"status": "open", "reason": "客户退款需更正"}


def test_generate_year_from_the_page(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    assert b.post(f"/t/{tenant.slug}/periods/generate", data={"year": "2025"}).status_code == 302
    page = b.get(f"/t/{tenant.slug}/periods")
    assert "2025-Q4" in page.text and "2025-12" in page.text
    resp = b.post(f"/t/{tenant.slug}/periods/generate", data={"year": "1900"})
    assert resp.status_code == 422
