"""A period with active plans is marked calculated or published only through a run."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine import calculate_period
from jili.models import Period, PeriodKind, PeriodStatus
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from test_engine import World

EN = {"Accept-Language": "en"}


def test_a_period_moves_forward_only_through_a_run(make_tenant, browser):
    """No "mark as calculated / published / closed" shortcut: with or without plans,
    a period is calculated by a run, and published or closed from that run."""
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        w.plan("阶梯提成", TieredCommission)
        db.session.commit()
        q3 = w.q3.id
    b = browser(tenant.owner)
    assert b.post(f"/t/{tenant.slug}/periods/{q3}/advance").status_code in (404, 405)
    page = b.get(f"/t/{tenant.slug}/periods", headers=EN).text
    assert "Mark " not in page and "/advance" not in page
    with bound_tenant(tenant.id):
        assert db.session.get(Period, q3).status == PeriodStatus.OPEN
    # The calculation page has no status button beside "Calculate".
    runs_page = b.get(f"/t/{tenant.slug}/periods/{q3}/runs", headers=EN).text
    assert "/publish" not in runs_page and "Calculate" in runs_page


def test_publishing_first_says_what_it_locks(make_tenant, browser):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        w.plan("阶梯提成", TieredCommission)
        db.session.commit()
        run = calculate_period(tenant, db.session.get(Period, w.q3.id))
        run_id = run.id
    b = browser(tenant.owner)
    run_page = b.get(f"/t/{tenant.slug}/runs/{run_id}", headers=EN).text
    assert f'href="/t/{tenant.slug}/runs/{run_id}/publish"' in run_page  # a link, not a POST
    confirm = b.get(f"/t/{tenant.slug}/runs/{run_id}/publish", headers=EN).text
    assert "What this locks" in confirm and "can no longer be calculated again" in confirm
    assert "Staff see their statements for 2024-Q3." in confirm
    assert 'id="early-note"' not in confirm  # 2024-Q3 is over


def test_editing_a_quarterly_plan_proposes_a_quarter(make_tenant, browser):
    """The effective period's kind is the plan's cadence: the edit form keeps it."""
    import re

    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        db.session.add(
            Period(
                tenant_id=tenant.id,
                kind=PeriodKind.MONTH,
                label="2024-04",
                start_date=date(2024, 4, 1),
                end_date=date(2024, 4, 30),
            )
        )
        plan = w.plan("阶梯提成", TieredCommission)  # effective from 2024-Q2
        db.session.commit()
        plan_id = plan.id
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/plans/{plan_id}/edit").text
    select = re.search(r'<select[^>]*name="effective_period_id".*?</select>', page, re.S).group(0)
    chosen = re.search(r"<option[^>]*selected[^>]*>([^<]*)<", select).group(1)
    assert "Q" in chosen and "2024-04" not in chosen


def test_publishing_before_the_period_ends_needs_an_admin_override_with_a_reason(
    make_tenant, browser
):
    from datetime import timedelta

    from sqlalchemy import select

    from jili.models import AuditLog

    tenant = make_tenant()
    today = date.today()
    with bound_tenant(tenant.id):
        running = Period(
            tenant_id=tenant.id,
            kind=PeriodKind.QUARTER,
            label="本季度",
            start_date=today - timedelta(days=30),
            end_date=today + timedelta(days=60),
        )
        db.session.add(running)
        db.session.commit()
        run_id = calculate_period(tenant, running).id
        period_id = running.id
    b = browser(tenant.owner)
    url = f"/t/{tenant.slug}/runs/{run_id}/publish"
    confirm = b.get(url, headers=EN).text
    assert 'id="early-note"' in confirm and 'name="override"' in confirm
    resp = b.post(url, data={"status": "calculated"}, headers=EN)
    assert resp.status_code == 422 and "has not ended yet" in resp.text
    resp = b.post(url, data={"status": "calculated", "override": "1", "reason": " "}, headers=EN)
    assert resp.status_code == 422
    resp = b.post(
        url, data={"status": "calculated", "override": "1", "reason": "年终提前发放"}, headers=EN
    )
    assert resp.status_code == 302
    with bound_tenant(tenant.id):
        assert db.session.get(Period, period_id).status == PeriodStatus.PUBLISHED
        entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "period.status")).one()
    assert entry.after["reason"] == "年终提前发放" and entry.after["before_period_end"] is True


def test_a_quarterly_plan_without_an_open_quarter_says_so_and_stays_quarterly(make_tenant, browser):
    """Every quarter closed (or published and closed early): the edit form offers no
    month in its place, says why, and refuses a month posted anyway."""
    import re

    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        plan = w.plan("阶梯提成", TieredCommission)  # effective from 2024-Q2
        july = Period(
            tenant_id=tenant.id,
            kind=PeriodKind.MONTH,
            label="2024-07",
            start_date=date(2024, 7, 1),
            end_date=date(2024, 7, 31),
        )
        db.session.add(july)
        for p in db.session.scalars(select(Period).where(Period.kind == PeriodKind.QUARTER)):
            p.status = PeriodStatus.CLOSED
        db.session.commit()
        plan_id, july_id = plan.id, july.id
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit", headers=EN).text
    select_html = re.search(r'<select[^>]*name="effective_period_id".*?</select>', page, re.S)
    assert "2024-07" not in select_html.group(0)
    assert 'id="no-period-of-cadence"' in page and "No quarter is open" in page
    form = b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit", headers=EN).text
    from test_plans_forms import read_form

    data = read_form(form)
    data["effective_period_id"] = str(july_id)
    data["note"] = "月度？"
    data["s.mode"] = "marginal" if data.get("s.mode") != "marginal" else "whole"
    resp = b.client.post(f"/t/{tenant.slug}/plans/{plan_id}/edit", data=data, headers=EN)
    assert resp.status_code == 400
    assert "calculated per quarter" in resp.text
