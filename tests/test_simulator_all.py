"""The what-if simulator over all of a person's plans: by default the current open
period that has plans, the signed-in person (a manager: the first of their team),
every plan at the same attainment, stacked; the slider moves them all together."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import Browser
from jili import ROOT
from jili.extensions import db
from jili.models import Person, Plan, Tenant
from jili.plan_as_code.demo import load_file
from jili.plan_as_code.demo_current import bring_up_to_date
from jili.tenancy import bound_tenant

DEC_1 = date(2026, 12, 1)
EN = {"Accept-Language": "en"}


@pytest.fixture
def xinyi(app):
    load_file(Path(ROOT) / "tenants" / "xinyi.toml")
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "xinyi"))
    bring_up_to_date(tenant, DEC_1)
    return tenant


def _login(app, email, password):
    b = Browser(app.test_client())
    assert b.login(email, password).status_code == 302
    return b


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in table.split("<tr")[1:]]


def _amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", re.sub(r"<[^>]+>", "", text)))


def test_a_person_in_two_plans_sees_them_stacked_in_the_current_quarter(xinyi, app):
    staff = _login(app, "sales@xinyi.example", "jili-demo-sales")
    page = staff.get("/t/xinyi/simulator", headers=EN).text
    assert re.search(r'<option value="\d+" selected>2026-Q3 ', page)  # today's quarter, with plans
    assert 'class="sim-chart stacked"' in page
    rows = _cells(page, "sim-plans")
    names = [r[0] for r in rows[1:-1]]
    assert names == ["季度業績獎金", "超額專案獎"]
    by_plan = [_amount(r[1]) for r in rows[1:-1]]
    assert _amount(rows[-1][1]) == sum(by_plan)
    assert page.count('class="band"') >= 21  # a band per plan paying at each step


def test_the_slider_moves_every_plan_together(xinyi, app):
    staff = _login(app, "sales@xinyi.example", "jili-demo-sales")
    with bound_tenant(xinyi.id):
        plans = {p.name: p.id for p in db.session.scalars(select(Plan))}
    stacked = staff.get("/t/xinyi/simulator?attainment=150", headers=EN).text
    rows = {r[0]: _amount(r[1]) for r in _cells(stacked, "sim-plans")[1:-1]}
    assert rows["超額專案獎"] > 0  # 150 % is more than 10 % over target
    for name, plan_id in plans.items():
        one = staff.get(f"/t/xinyi/simulator?attainment=150&plan_id={plan_id}", headers=EN).text
        at_150 = [r for r in _cells(one, "sim-table")[1:] if r[0].startswith("150")]
        assert _amount(at_150[0][2]) == rows[name], name
    fragment = staff.get(
        "/t/xinyi/simulator?attainment=120",
        headers={"HX-Request": "true", "HX-Target": "sim-result", **EN},
    ).text
    assert "<form" not in fragment and 'class="sim-chart stacked"' in fragment
    assert "120 %" in fragment and 'hx-swap-oob="true">120 %' in fragment


def test_a_manager_simulates_the_first_person_of_their_team(xinyi, app):
    manager = _login(app, "manager@xinyi.example", "jili-demo-manager")
    page = manager.get("/t/xinyi/simulator", headers=EN).text
    with bound_tenant(xinyi.id):
        first = db.session.scalar(select(Person).where(Person.employee_no == "XY02"))
    assert f'<option value="{first.id}" selected>' in page
