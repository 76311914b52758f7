"""A period with active plans is marked calculated or published only through a run."""

from __future__ import annotations

from datetime import date

from jili.extensions import db
from jili.incentives.engine import calculate_period
from jili.models import Period, PeriodKind, PeriodStatus
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from test_engine import World


def test_the_periods_page_sends_a_period_with_plans_to_its_calculation(make_tenant, browser):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        w.plan("阶梯提成", TieredCommission)
        db.session.commit()
        q2, q3 = w.q2.id, w.q3.id
    b = browser(tenant.owner)
    resp = b.post(f"/t/{tenant.slug}/periods/{q3}/advance", headers={"Accept-Language": "en"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/periods/{q3}/runs")
    with bound_tenant(tenant.id):
        assert db.session.get(Period, q3).status == PeriodStatus.OPEN
        calculate_period(tenant, db.session.get(Period, q3))
    assert b.post(f"/t/{tenant.slug}/periods/{q3}/advance").status_code == 302
    with bound_tenant(tenant.id):
        assert db.session.get(Period, q3).status == PeriodStatus.PUBLISHED
        july = Period(
            tenant_id=tenant.id,
            kind=PeriodKind.MONTH,
            label="2024-07",
            start_date=date(2024, 7, 1),
            end_date=date(2024, 7, 31),
        )
        db.session.add(july)
        db.session.commit()
        july_id = july.id
    # A month has no plan of its cadence here: it moves on by hand.
    assert b.post(f"/t/{tenant.slug}/periods/{july_id}/advance").status_code == 302
    with bound_tenant(tenant.id):
        assert db.session.get(Period, july_id).status == PeriodStatus.CALCULATED
        assert db.session.get(Period, q2).status == PeriodStatus.OPEN


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
