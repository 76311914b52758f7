"""Every consumer of targets honours the plan's ``target_basis``: the staff home
estimate, the manager's team estimate and the simulator measure against the
challenge value when the plan says so (as the engine's run does)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jili.extensions import db
from jili.home.services.progress import estimate
from jili.home.services.team import team_estimate
from jili.incentives.engine import calculate_period, run_lines
from jili.models import SalesTarget
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

D = Decimal


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        # 张伟: baseline 500,000, challenge 650,000; sales 650,000
        target = db.session.query(SalesTarget).filter_by(person_id=w.a.id).one()
        target.challenge = D("650000")
        db.session.commit()
    return w


def _on_challenge(w):
    with bound_tenant(w.t):
        w.plan.target_basis = "challenge"
        db.session.commit()


def test_the_home_estimate_follows_the_plans_basis(world):
    w = world
    with bound_tenant(w.t):
        (before,) = estimate(w.t, "CNY", w.a, w.q3)
        assert before.amount == D("11700.00")  # 130 % of the baseline: 1.8 %
    _on_challenge(w)
    with bound_tenant(w.t):
        (after,) = estimate(w.t, "CNY", w.a, w.q3)
        assert after.amount == D("7800.00")  # 100 % of the challenge: 1.2 %
        run = calculate_period(w.tenant, w.q3)  # the engine agrees
        assert sum(ln.amount for ln in run_lines(run) if ln.person_id == w.a.id) == after.amount


def test_the_team_estimate_follows_the_plans_basis(world):
    w = world
    ids = frozenset({w.a.id, w.a2.id})
    with bound_tenant(w.t):
        assert team_estimate(w.t, "CNY", w.q3, ids)[0] == [("阶梯提成", D("16500.00"))]
    _on_challenge(w)
    with bound_tenant(w.t):  # 李娜 has no challenge: measured on her baseline
        assert team_estimate(w.t, "CNY", w.q3, ids)[0] == [("阶梯提成", D("12600.00"))]


def test_the_simulator_measures_against_the_challenge(world, browser):
    w = world
    _on_challenge(w)
    staff = browser(w.staff_user)
    page = staff.get(w.url(f"/simulator?period_id={w.q3.id}"), headers=EN).text
    # on the challenge of 650,000 the sales of 650,000 are 100 %: 7,800.00
    assert "At 100 % you earn CN¥7,800.00" in page
    assert "At 130 %" not in page
