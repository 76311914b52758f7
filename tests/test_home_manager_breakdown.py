"""The manager home, beyond the ranking: the team's attainment by region and by
product line (the credits' own region and product line, as shares of the team's
revenue target), and the team's estimated payout against its share of the budget
ceiling — the ceiling on today's facts times the team's share of the company's
revenue. The team is whom the one pay-visibility rule lets the manager see."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import update

from jili.extensions import db
from jili.home.services import team
from jili.incentives.models import IncentiveSetting
from jili.inputs.models import SalesCredit
from jili.org import visibility
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        for person, region, product in (
            (w.a, "华东", "设备"),
            (w.a2, "华东", "耗材"),
            (w.direct, "华南", "设备"),
            (w.b, "华北", "服务"),  # another team's: never on the manager's page
        ):
            db.session.execute(
                update(SalesCredit)
                .where(SalesCredit.tenant_id == w.t, SalesCredit.person_id == person.id)
                .values(region=region, product_line=product)
            )
        db.session.commit()
    return w


def _section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("<h4>", 1)[0]


def test_attainment_by_region_and_product_line(world, browser):
    w = world
    text = browser(w.manager_user).get(w.url("/"), headers=EN).text
    # team target 3 × 500,000; 华东 650,000 + 400,000, 华南 100,000
    region = _section(text, "<h4>Attainment by region</h4>")
    svg = re.search(r"<svg.*?</svg>", region, re.S).group(0)
    assert 'role="img"' in svg and "Attainment by region, 2024-Q3" in svg
    assert re.findall(r'class="y-tick"[^>]*>([^<]+)<', svg) == ["华东", "华南"]
    assert "70.0 %" in svg and "6.7 %" in svg
    assert "1,050,000.00" in region and "华北" not in text
    product = _section(text, "<h4>Attainment by product line</h4>")
    assert re.findall(r'class="y-tick"[^>]*>([^<]+)<', product) == ["设备", "耗材"]
    assert "50.0 %" in product and "26.7 %" in product
    assert "76.7 %" in product  # the team's attainment: the bars add up to it


def test_payout_against_the_budget_share(world, browser):
    w = world
    with bound_tenant(w.t):
        db.session.add(
            IncentiveSetting(
                tenant_id=w.t, ceiling_month_amount=D("20000"), ceiling_quarter_amount=D("20000")
            )
        )
        db.session.commit()
    text = browser(w.manager_user).get(w.url("/"), headers=EN).text
    part = text.split("Against the team", 1)[1]
    # 20,000 × 1,150,000 / 1,650,000 (the company's revenue) = 13,939.39; estimate 17,700
    assert "13,939.39" in part and "17,700.00" in part and "20,000.00" in part
    assert "above the share" in part
    svg = re.search(r"<svg.*?</svg>", part, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "13,939.39" in svg


def test_a_percentage_ceiling_is_that_percentage_of_the_team_revenue(world, browser):
    w = world
    with bound_tenant(w.t):
        db.session.add(
            IncentiveSetting(tenant_id=w.t, ceiling_month_pct=D("5"), ceiling_quarter_pct=D("5"))
        )
        db.session.commit()
    text = browser(w.manager_user).get(w.url("/"), headers=EN).text
    part = text.split("Against the team", 1)[1]
    assert "57,500.00" in part and "within the share" in part  # 5 % of 1,150,000


def test_no_ceiling_says_so(world, browser):
    text = browser(world.manager_user).get(world.url("/"), headers=EN).text
    assert "The company has no budget ceiling." in text


def test_the_team_is_the_visibility_rule(world):
    w = world
    assert not hasattr(team, "team_people")  # the home's own subtree copy is gone
    with bound_tenant(w.t):
        names = [p.name for p in visibility.team_people(w.boss)]
    assert names == ["张伟", "李娜", "赵直属"]
