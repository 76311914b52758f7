"""The manager home's alert lists at scale: the home shows the 20 lowest of each list
and links to the whole list, 50 a page, the lowest first — the manager's own team
only; anyone else, another company's period or an unknown list is a 404."""

from __future__ import annotations

import re

import pytest

from jili.extensions import db
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        w.many = []
        for i in range(60):  # 60 more under 70 % in the sub-team: 1 % … 60 %
            p = w.person(f"S{i:03d}", f"低{i:03d}", team=w.team_a2)
            w.target(p, "100000")
            w.sale(p, str(1000 * (i + 1)))
            w.many.append(p)
        outsider = w.person("X1", "别组低", team=w.team_b)  # another team's, 5 %
        w.target(outsider, "100000")
        w.sale(outsider, "5000")
        db.session.commit()
    return w


def _names(html: str) -> list[str]:
    return re.findall(r"person_id=\d+&amp;period_id=\d+\">([^<]+)</a>", html)


def test_the_home_shows_the_lowest_twenty_and_links_to_all(world, browser):
    w = world
    text = browser(w.manager_user).get(w.url("/"), headers=EN).text
    under_70 = text.split("Under 70 % of target")[1].split("From 70 %")[0]
    assert _names(under_70) == [f"低{i:03d}" for i in range(20)]  # 1 % first
    assert "All 61, the lowest first" in under_70  # 60 and 赵直属 (20 %)
    assert "别组低" not in text
    assert f"/home/team/{w.q3.id}/under-70" in under_70


def test_the_whole_list_is_paged_fifty_at_a_time(world, browser):
    w = world
    b = browser(w.manager_user)
    first = b.get(w.url(f"/home/team/{w.q3.id}/under-70"), headers=EN)
    assert first.status_code == 200
    names = _names(first.text.split("<ol")[1])
    # 低019 and 赵直属 are both at 20 %: the ranking's order (employee number), reversed
    lowest = [f"低{i:03d}" for i in range(20)] + ["赵直属"] + [f"低{i:03d}" for i in range(20, 60)]
    assert names == lowest[:50] and "Page 1 of 2" in first.text
    assert "别组低" not in first.text and "61 people of your team" in first.text
    second = b.get(w.url(f"/home/team/{w.q3.id}/under-70?page=2"), headers=EN).text
    assert _names(second.split("<ol")[1]) == lowest[50:] and 'start="51"' in second
    # a page out of range or not a number shows the nearest page, never an error
    assert "Page 2 of 2" in b.get(w.url(f"/home/team/{w.q3.id}/under-70?page=9"), headers=EN).text
    assert "Page 1 of 2" in b.get(w.url(f"/home/team/{w.q3.id}/under-70?page=x"), headers=EN).text
    band_80 = b.get(w.url(f"/home/team/{w.q3.id}/under-80"), headers=EN).text
    assert "<ol" not in band_80 and "Nobody." in band_80  # 李娜 is at 80 %: not under
    zh = b.get(w.url(f"/home/team/{w.q3.id}/under-70"), headers={"Accept-Language": "zh-TW"})
    assert "下一頁" in zh.text and "達成率最低的在前" in zh.text


def test_only_the_manager_sees_it(world, browser, make_tenant):
    w = world
    url = w.url(f"/home/team/{w.q3.id}/under-70")
    assert browser(w.staff_user).get(url, headers=EN).status_code == 404
    assert browser(w.hr_user).get(url, headers=EN).status_code == 404
    b = browser(w.manager_user)
    assert b.get(w.url(f"/home/team/{w.q3.id}/under-50"), headers=EN).status_code == 404
    other = make_tenant(slug="other")
    from jili.models import Period

    with bound_tenant(other.id):
        from datetime import date

        theirs = Period(tenant_id=other.id, kind="quarter", label="X", start_date=date(2024, 1, 1),
                        end_date=date(2024, 3, 31))  # fmt: skip
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    assert b.get(w.url(f"/home/team/{theirs_id}/under-70"), headers=EN).status_code == 404
