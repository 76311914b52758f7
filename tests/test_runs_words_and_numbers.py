"""Issue 10 items 4, 13 and 14 on the pages: who calculated a run by name (also
on runs stored with an e-mail address, and "system" in the reader's language);
"—" for a person outside a plan, the same everywhere; KPI values and plan
settings grouped by thousands like money."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.incentives import engine
from jili.models import CalculationRun, Period, Person, User
from jili.tenancy import bound_tenant
from jili_tiered_commission.scheme import TieredCommission
from test_inputs_targets_metrics import (
    KPI_CSV,
    post_file,
    shop,  # noqa: F401  (fixture)
)
from test_runs_pages import EN, CalcWorld
from test_statements import statement_url

ZH = {"Accept-Language": "zh-CN"}
TW = {"Accept-Language": "zh-TW"}


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        # A second plan for team B only: team A's people are outside it.
        w.make_plan("华南提成", TieredCommission, eligibility={"team_ids": [w.team_b.id]})
        db.session.commit()
    return w


def _run(w, actor):
    with bound_tenant(w.t):
        tenant_period = db.session.get(Period, w.q3.id)
        return engine.calculate_period(w.tenant, tenant_period, actor=actor).id


def test_who_calculated_a_run_is_a_name_in_the_readers_language(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    with bound_tenant(w.t):
        user = db.session.get(User, w.tenant.owner.id)
        user.name = "王小明"
        email = user.email
        db.session.commit()
    w.calculate(owner)  # run 1: by the owner
    _run(w, None)  # run 2: by Jili itself (the demo loader, `jili calc`)
    # run 3: stored before names were recorded — the label is the e-mail address
    _run(w, SimpleNamespace(id=None, email=email, name="", is_authenticated=True))
    runs = w.runs()
    assert [r.created_by_label for r in runs[1:]] == ["system", email]
    listing = owner.get(w.url(f"/periods/{w.q3.id}/runs"), headers=ZH).text
    rows = {r.id: listing.split(f'id="run-{r.id}"')[1].split("</tr>")[0] for r in runs}
    assert "王小明" in rows[runs[0].id] and "王小明" in rows[runs[2].id]
    assert "系统" in rows[runs[1].id] and "system" not in rows[runs[1].id]
    assert email not in listing
    page = owner.get(w.url(f"/runs/{runs[1].id}"), headers=TW).text
    assert "系統" in page and ">system<" not in page
    assert "王小明" in owner.get(w.url(f"/runs/{runs[2].id}"), headers=EN).text
    # A login linked to a person is shown as that person.
    with bound_tenant(w.t):
        db.session.get(Person, w.boss.id).user_id = w.tenant.owner.id
        db.session.commit()
    assert "陈经理" in owner.get(w.url(f"/runs/{runs[0].id}"), headers=EN).text


def test_a_person_outside_a_plan_shows_a_dash_not_an_amount(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    (run,) = w.runs()
    page = owner.get(w.url(f"/runs/{run.id}"), headers=EN).text
    zhang = page.split(f'id="person-{w.a.id}"')[1].split("</tr>")[0]
    wang = page.split(f'id="person-{w.b.id}"')[1].split("</tr>")[0]
    assert zhang.count('class="num none"') == 1 and "—" in zhang  # not in 华南提成
    assert "none" not in wang  # in both plans
    assert '<tr class="totals">' in page.split("<tfoot>")[1]
    # Someone in no plan at all: "—" as their statement's total, not ¥0.00.
    statement = owner.get(statement_url(w, w.boss), headers=EN).text
    total = statement.split('id="statement-total"')[1].split("</div>")[0]
    assert "—" in total and "0.00" not in total


def test_kpi_values_are_grouped_by_thousands(shop, browser):  # noqa: F811
    b = browser(shop.owner)
    assert post_file(b, shop, "metrics", KPI_CSV).status_code == 200
    page = b.get(f"/t/{shop.slug}/metrics", headers=EN).text
    assert "480,000" in page and "500,000" in page
    assert ">480000<" not in page and ">500000<" not in page


def test_plan_settings_are_grouped_by_thousands(world, browser):
    w = world
    from jili_performance_bonus.scheme import PerformanceBonus

    with bound_tenant(w.t):
        plan = w.make_plan(
            "绩效", PerformanceBonus, {"level_bases": {"core": "8000", "manager": "12000.50"}}
        )
        db.session.commit()
        plan_id = plan.id
    page = browser(w.tenant.owner).get(w.url(f"/plans/{plan_id}"), headers=ZH).text
    assert "8,000" in page and "12,000.50" in page
    assert ": 8000<" not in page
    with bound_tenant(w.t):
        assert db.session.scalar(select(CalculationRun.id)) is None
