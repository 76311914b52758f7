"""The admin / hr home: a setup checklist ticking itself off from the data, what is
due this week, incentive cost against revenue for the current and last four quarters."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from jili.extensions import db
from jili.home.services.setup import checklist, cost_against_revenue
from jili.models import FeedbackThread
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld
from test_statements import publish


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def _done(tenant_id) -> dict[str, bool]:
    with bound_tenant(tenant_id):
        return {s.key: s.done for s in checklist(tenant_id)}


def test_a_new_company_has_everything_to_do(make_tenant, browser):
    tenant = make_tenant()
    assert not any(_done(tenant.id).values())
    text = browser(tenant.owner).get(f"/t/{tenant.slug}/", headers=EN).text
    assert "0 of 10 done" in text and "Nothing is due." in text


def test_the_checklist_ticks_itself_off_from_the_data(world, browser):
    w = world
    done = _done(w.t)
    assert done["teams"] and done["people"] and done["periods"] and done["schemes"]
    assert done["plan"] and done["inputs"]
    assert not done["calculation"] and not done["publication"] and not done["settings"]
    # The CalcWorld manager, staff and hr: hr needs no person; every staff is linked.
    assert done["linked"]
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    done = _done(w.t)
    assert done["calculation"] and done["publication"]


def test_due_this_week_lists_ended_periods_and_feedback_waiting(world, browser):
    w = world
    today = date.today()
    with bound_tenant(w.t):
        db.session.add(
            FeedbackThread(
                tenant_id=w.t,
                category="other",
                day=today - timedelta(days=10),
                waiting_since=today - timedelta(days=10),
                lookup_id="x",
                code_hash="y",
            )
        )
        db.session.commit()
    text = browser(w.hr_user).get(w.url("/"), headers=EN).text
    due = text.split("Due this week")[1].split("</section>")[0]
    assert "2024-Q2" in due and "2024-Q3" in due  # both ended, neither calculated
    assert f"/periods/{w.q3.id}/runs" in due
    assert "1 anonymous feedback needs a reply this week" in due and "1 overdue" in due


def test_cost_against_revenue_for_the_latest_quarters(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    with bound_tenant(w.t):
        rows = cost_against_revenue(w.t, date(2024, 9, 1))
    assert [r.period.label for r in rows] == ["2024-Q2", "2024-Q3"]
    q3 = rows[-1]
    # 11,700 + 4,800 + 6,000 + 1,200 on 1,650,000 of sales.
    assert q3.cost == 23700 and q3.revenue == 1650000
    assert rows[0].cost is None
    text = owner.get(w.url("/"), headers=EN).text
    svg = re.search(r'<svg[^>]*id?[^>]*aria-labelledby="cost-t cost-d".*?</svg>', text, re.S)
    assert svg and "Incentive cost as a share of revenue" in svg.group(0)
    assert "1.4 %" in svg.group(0)  # 23,700 / 1,650,000 = 1.436 %
    assert "1,650,000.00" in text and "not calculated" in text


def test_staff_and_managers_get_no_setup(world, browser):
    w = world
    for user in (w.staff_user, w.manager_user):
        text = browser(user).get(w.url("/"), headers=EN).text
        assert "Due this week" not in text and "Incentive cost" not in text
