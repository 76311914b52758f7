"""The manager home: the team subtree (and direct reports) ranked by attainment as an
accessible SVG bar chart with a table alternative, who is under 80 % and 70 %, the
team's estimated payout, each name opening what the manager may see — and only that."""

from __future__ import annotations

import re

import pytest

from jili.home.services.charts import Bar, Words, hbar_chart
from test_runs_pages import EN, CalcWorld


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def test_the_manager_sees_the_subtree_ranked_with_alerts_and_payout(world, browser):
    w = world
    text = browser(w.manager_user).get(w.url("/"), headers=EN).text
    assert "My team" in text and "2024-Q3" in text
    svg = re.search(r'<svg(?![^>]*aria-hidden="true").*?</svg>', text, re.S).group(0)
    assert "<title" in svg and "<desc" in svg and "Attainment by person, 2024-Q3" in svg
    # 张伟 130 %, 李娜 (sub-team) 80 %, 赵直属 (direct report) 20 %; 王芳 is another team's.
    names = re.findall(r'class="y-tick"[^>]*>([^<]+)<', svg)
    assert names == ["张伟", "李娜", "赵直属"]
    assert "王芳" not in text
    assert "130.0 %" in svg and "80.0 %" in svg and "20.0 %" in svg
    under_70 = text.split("Under 70 % of target")[1].split("</ul>")[0]
    assert "赵直属" in under_70 and "李娜" not in under_70
    # 11,700 + 4,800 + 1,200: every plan calculated once on today's facts, not stored.
    assert "Team estimated payout" in text and "17,700.00" in text
    assert f"/simulator?person_id={w.direct.id}&amp;period_id={w.q3.id}" in text


def test_each_name_opens_only_what_the_manager_may_see(world, browser, make_tenant):
    w = world
    b = browser(w.manager_user)
    assert b.get(w.url(f"/simulator?person_id={w.a2.id}"), headers=EN).status_code == 200
    assert b.get(w.url(f"/simulator?person_id={w.b.id}"), headers=EN).status_code == 404
    other = make_tenant(slug="other")
    from jili.extensions import db
    from jili.models import Person
    from jili.tenancy import bound_tenant

    with bound_tenant(other.id):
        stranger = Person(tenant_id=other.id, employee_no="X1", name="外人")
        db.session.add(stranger)
        db.session.commit()
        stranger_id = stranger.id
    assert b.get(w.url(f"/simulator?person_id={stranger_id}"), headers=EN).status_code == 404


def test_staff_get_no_team_section(world, browser):
    w = world
    text = browser(w.staff_user).get(w.url("/"), headers=EN).text
    assert "My team" not in text and "赵直属" not in text and "17,700.00" not in text


def test_the_bar_chart_escapes_and_labels_everything():
    svg = hbar_chart(
        [Bar("<script>", __import__("decimal").Decimal("50"))],
        Words(title="T & t", desc="d", x_axis="X", y_axis="Y"),
        lambda v: f"{v} %",
        chart_id="c1",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-labelledby="c1-t c1-d"' in svg and "T &amp; t" in svg
    assert ">X<" in svg and ">Y<" in svg
