"""The what-if simulator: the curve from the scheme's own calculation, the SVG
chart, and the page with its access rules and htmx fragment."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from jili.extensions import db
from jili.incentives.services.simulator import (
    DEFAULT_STEPS,
    ChartLabels,
    at_attainment,
    chart_svg,
    point_at,
    simulate,
    steps_with,
)
from jili.models import SalesTarget
from jili.schemes import CalculationContext, PeriodFacts, PeriodInfo, PersonFacts, TeamFacts
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from test_runs_pages import EN, CalcWorld

D = Decimal
PERIOD = PeriodInfo("2024-Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30))
CTX = CalculationContext("plan-1")
CHART = re.compile(r"<svg(?![^>]*aria-hidden)")  # a chart, not an icon such as the bell


def facts(**kw) -> PeriodFacts:
    me = PersonFacts(
        person_id=1,
        team_id=10,
        booked_revenue=D("400000"),
        collected_cash=D("300000"),
        margin=D("80000"),
        target=D("500000"),
        **kw,
    )
    other = PersonFacts(person_id=2, team_id=10, booked_revenue=D("100000"), target=D("100000"))
    team = TeamFacts(team_id=10, member_ids=(1, 2), booked_revenue=D("500000"))
    return PeriodFacts.build(PERIOD, [me, other], [team])


def settings(**kw):
    return TieredCommission.validate_settings({**TieredCommission.default_settings(), **kw})


def test_tiered_commission_payout_never_falls_from_0_to_200_percent():
    for mode in ("whole", "marginal"):
        points = simulate(
            TieredCommission, settings(mode=mode), facts(), 1, D("500000"), DEFAULT_STEPS, CTX
        )
        assert [p.attainment_pct for p in points] == list(DEFAULT_STEPS)
        payouts = [p.payout for p in points]
        assert payouts == sorted(payouts), mode
        assert payouts[0] == 0 and payouts[-1] > payouts[10]


def test_the_curve_is_the_schemes_own_arithmetic():
    points = simulate(
        TieredCommission, settings(mode="whole"), facts(), 1, D("500000"), [D(100), D(130)], CTX
    )
    at_100, at_130 = points
    assert at_100.sales == D("500000") and at_100.payout == D("6000.00")  # 1.2 %
    assert at_130.sales == D("650000") and at_130.payout == D("11700.00")  # 1.8 %, whole
    marginal = simulate(
        TieredCommission, settings(mode="marginal"), facts(), 1, D("500000"), [D(130)], CTX
    )
    assert marginal[0].payout == D("8100.00")


def test_the_sliders_value_is_added_to_the_steps():
    assert steps_with(D(125)) == sorted([*DEFAULT_STEPS, D(125)])
    assert steps_with(D(120)) == list(DEFAULT_STEPS)


def test_cash_margin_and_teams_move_in_proportion():
    changed = at_attainment(facts(), 1, D("500000"), D(160))
    me = changed.people[1]
    assert me.booked_revenue == D("800000")  # twice the actual 400,000
    assert me.collected_cash == D("600000") and me.margin == D("160000")
    assert changed.people[2] == facts().people[2]
    assert changed.teams[10].booked_revenue == D("900000")


def test_no_sales_yet_assumes_cash_collected_in_full():
    base = facts()
    empty = PeriodFacts.build(
        PERIOD,
        [PersonFacts(person_id=1, target=D("1000"), margin_target=D("250"))],
        list(base.teams.values()),
    )
    me = at_attainment(empty, 1, D("1000"), D(50)).people[1]
    assert me.booked_revenue == D("500") and me.collected_cash == D("500")
    assert me.margin == D("125")


def test_the_chart_is_scalable_svg_with_cjk_fonts_and_a_dot_per_point():
    points = simulate(
        TieredCommission, settings(), facts(), 1, D("500000"), steps_with(D(125)), CTX
    )
    current = point_at(points, D(125))
    svg = chart_svg(
        points,
        current,
        ChartLabels("阶梯提成：达成率与奖金", "达成率", "奖金（CNY）", "目标"),
        lambda d: f"¥{d:,.2f}",
    )
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg
    assert "Noto Sans CJK SC" in svg and "Microsoft YaHei" in svg and "sans-serif" in svg
    assert svg.count('class="pt"') == len(points) == 22
    assert svg.count('class="current"') == 1
    assert "达成率" in svg and "奖金（CNY）" in svg and "200 %" in svg
    assert svg.count('class="grid"') >= 8  # horizontal and vertical gridlines
    assert "125 % · ¥" in svg
    # Labels are escaped: text from a plan name cannot inject markup.
    hostile = chart_svg(points, None, ChartLabels("<script>", "x", "y"), str)
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


# -- the page --------------------------------------------------------------------


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def sim(w, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return w.url(f"/simulator?{query}")


def test_staff_simulate_themselves_by_default(world, browser):
    w = world
    staff = browser(w.staff_user)
    page = staff.get(sim(w, period_id=w.q3.id, attainment=120), headers=EN)
    assert page.status_code == 200
    # 张伟: target 500,000; at 120 %: 600,000 × 1.8 % = 10,800.00; at 100 %: 6,000.00
    assert "At 120 % you earn CN¥10,800.00, +CN¥4,800.00 against 100 %." in page.text
    assert "<svg" in page.text and "Noto Sans CJK SC" in page.text
    assert 'type="range"' in page.text and 'hx-trigger="input changed delay:150ms"' in page.text
    assert page.text.count('class="pt"') == 2 * 21  # the wide chart and the phone's
    # the default: the person's own attainment (130 %)
    default = staff.get(w.url("/simulator"), headers=EN).text
    assert "At 130 % you earn CN¥11,700.00" in default


def test_the_htmx_request_returns_the_fragment_only(world, browser):
    w = world
    staff = browser(w.staff_user)
    resp = staff.get(
        sim(w, person_id=w.a.id, plan_id=w.plan.id, period_id=w.q3.id, attainment=75),
        headers={"HX-Request": "true", "HX-Target": "sim-result", **EN},
    )
    assert resp.status_code == 200
    assert "<html" not in resp.text and "sidebar" not in resp.text and "<form" not in resp.text
    assert "<svg" in resp.text and "At 75 % you earn" in resp.text
    assert resp.text.count('class="pt"') == 2 * 22  # 0…200 by 10, plus 75; wide and phone


def test_who_may_simulate_whom(world, browser, make_tenant):
    w = world
    staff = browser(w.staff_user)
    assert staff.get(sim(w, person_id=w.a2.id)).status_code == 404  # a colleague
    manager = browser(w.manager_user)
    team = manager.get(sim(w, person_id=w.a2.id, period_id=w.q3.id), headers=EN)
    assert team.status_code == 200 and "李娜 earns" in team.text
    assert manager.get(sim(w, person_id=w.b.id)).status_code == 404  # another team
    hr = browser(w.hr_user)
    assert hr.get(sim(w, person_id=w.b.id, period_id=w.q3.id)).status_code == 200
    other = make_tenant(slug="other")
    with bound_tenant(other.id):
        from jili.models import Person, Plan

        stranger = Person(tenant_id=other.id, employee_no="X", name="外人")
        plan = Plan(tenant_id=other.id, name="外", scheme_key="tiered_commission")
        db.session.add_all([stranger, plan])
        db.session.commit()
    owner = browser(w.tenant.owner)
    assert owner.get(sim(w, person_id=stranger.id)).status_code == 404
    assert owner.get(sim(w, plan_id=plan.id)).status_code == 404


def test_without_a_target_the_user_types_one(world, browser):
    w = world
    with bound_tenant(w.t):
        db.session.query(SalesTarget).filter(SalesTarget.person_id == w.a.id).delete()
        db.session.commit()
    staff = browser(w.staff_user)
    page = staff.get(sim(w, period_id=w.q3.id), headers=EN).text
    assert "has no revenue target in 2024-Q3" in page and CHART.search(page) is None
    typed = staff.get(sim(w, period_id=w.q3.id, target=400000, attainment=150), headers=EN).text
    assert "At 150 % you earn CN¥10,800.00" in typed  # 600,000 × 1.8 %
    bad = staff.get(sim(w, period_id=w.q3.id, target="-5", attainment=250), headers=EN).text
    assert "The target must be an amount above zero" in bad
    assert "Attainment must be a number from 0 to 200." in bad


def test_people_outside_the_plans_eligibility_are_told(world, browser):
    w = world
    manager = browser(w.manager_user)
    page = manager.get(sim(w, person_id=w.boss.id, period_id=w.q3.id), headers=EN).text
    assert "is not eligible for plan 阶梯提成" in page
    assert CHART.search(page) is None


def test_a_new_plan_version_is_simulated_at_once(world, browser):
    w = world
    staff = browser(w.staff_user)
    before = staff.get(sim(w, period_id=w.q3.id, attainment=130), headers=EN).text
    assert "you earn CN¥11,700.00" in before
    with bound_tenant(w.t):
        w.version(w.plan, TieredCommission, {"mode": "marginal"}, period=w.q3)
        db.session.commit()
    after = staff.get(sim(w, period_id=w.q3.id, attainment=130), headers=EN).text
    assert "you earn CN¥8,100.00" in after  # 600,000 × 1.2 % + 50,000 × 1.8 %
