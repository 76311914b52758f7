"""Split by hand: one form lists every child of a parent (a year's quarters, a
team's sub-teams and people) with its value and the running difference to the
parent; saved all or nothing, each bad row saying why and keeping what was typed."""

from decimal import Decimal as D

import pytest

from jili.extensions import db
from jili.models import AuditLog
from jili.tenancy import bound_tenant
from test_targets_pages import EN, HX, Shop, cell

HAND = "/targets/plan/split/hand"


@pytest.fixture
def shop(make_tenant, member):
    return Shop(make_tenant(slug="mubiao"), member)


def form(shop, label, subject, down="periods", **parts):
    data = {"period_id": shop.ids[label], "subject": subject, "metric": "revenue", "down": down}
    data.update(parts)
    return data


def key(period_id, person=None, team=None):
    return f"part-{period_id}:{person.id if person else ''}:{team.id if team else ''}"


def test_the_grid_sends_by_hand_to_one_form_with_every_quarter(shop, browser):
    b = browser(shop.users["hr"])
    cell(b, shop, "2024", "10000000", team=shop.region)
    resp = b.post(shop.url("/targets/plan/split"), data={
        "period_id": shop.ids["2024"], "subject": f"t{shop.region.id}", "metric": "revenue",
        "down": "periods", "method": "manual"})  # fmt: skip
    assert resp.status_code == 302 and HAND in resp.headers["Location"]
    page = b.get(resp.headers["Location"], headers=EN).text
    for q in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        assert q in page
    assert "Parent target 10,000,000 · parts 0" in page and "Difference -10,000,000" in page
    zh = b.get(resp.headers["Location"], headers={"Accept-Language": "zh-CN"}).text
    assert "手工分解" in zh


def test_the_running_difference_follows_what_is_typed(shop, browser):
    b = browser(shop.users["hr"])
    cell(b, shop, "2024", "10000000", team=shop.region)
    q = [shop.ids[f"2024-Q{i}"] for i in range(1, 5)]
    typed = {key(q[0], team=shop.region): "2,000,000", key(q[1], team=shop.region): "3000000"}
    resp = b.post(shop.url(HAND), data={**form(shop, "2024", f"t{shop.region.id}"), **typed,
                                        "preview": "1"}, headers=HX)  # fmt: skip
    assert resp.status_code == 200 and "<html" not in resp.text
    assert "parts 5,000,000" in resp.text and "Difference -5,000,000" in resp.text
    assert shop.targets("2024-Q1") == {}  # a preview saves nothing


def test_all_or_nothing_with_an_error_on_each_bad_row(shop, browser):
    b = browser(shop.users["hr"])
    cell(b, shop, "2024", "10000000", team=shop.region)
    q = [shop.ids[f"2024-Q{i}"] for i in range(1, 5)]
    r = shop.region
    bad = {key(q[0], team=r): "2500000", key(q[1], team=r): "abc",
           key(q[2], team=r): "2500000.001", key(q[3], team=r): ""}  # fmt: skip
    resp = b.post(shop.url(HAND), data={**form(shop, "2024", f"t{r.id}"), **bad}, headers=EN)
    assert resp.status_code == 422
    assert "Nothing was saved" in resp.text
    assert resp.text.count('class="error"') == 3  # abc, three places, empty
    assert 'value="abc"' in resp.text and 'value="2500000.001"' in resp.text
    assert "Type a value (0 for none)." in resp.text
    assert shop.targets("2024-Q1") == {}  # the good row was not saved either
    good = {key(q[0], team=r): "2000000", key(q[1], team=r): "2500000",
            key(q[2], team=r): "2500000", key(q[3], team=r): "3000000.50"}  # fmt: skip
    resp = b.post(shop.url(HAND), data={**form(shop, "2024", f"t{r.id}"), **good})
    assert resp.status_code == 302
    assert shop.targets("2024-Q1") == {(None, r.id, "revenue"): D("2000000")}
    assert shop.targets("2024-Q4") == {(None, r.id, "revenue"): D("3000000.50")}
    grid = b.get(shop.url(f"/targets/plan?period_id={shop.ids['2024']}"), headers=EN).text
    assert "difference +0.50" in grid  # the grid shows what does not add up
    with bound_tenant(shop.t):
        entry = db.session.query(AuditLog).filter_by(action="targets.split").one()
        assert entry.after["method"] == "manual"


def test_a_team_by_hand_lists_sub_teams_and_people_and_prefills(shop, browser):
    b = browser(shop.users["hr"])
    cell(b, shop, "2024-Q3", "900000", team=shop.group)
    cell(b, shop, "2024-Q3", "400000", person=shop.a)
    page = b.get(shop.url(f"{HAND}?period_id={shop.ids['2024-Q3']}&subject=t{shop.group.id}"
                          f"&metric=revenue&down=team"), headers=EN).text  # fmt: skip
    assert "张伟" in page and "李娜" in page and "王经理" not in page.split("<table")[1]
    assert 'value="400000"' in page and "Difference -500,000" in page
    qid = shop.ids["2024-Q3"]
    parts = {key(qid, person=shop.a): "450000", key(qid, person=shop.b): "450000"}
    resp = b.post(shop.url(HAND), data={**form(shop, "2024-Q3", f"t{shop.group.id}", "team"),
                                        **parts})  # fmt: skip
    assert resp.status_code == 302
    assert shop.targets("2024-Q3")[(shop.b.id, None, "revenue")] == D("450000")


def test_who_may_and_another_companys_ids(shop, browser, make_tenant):
    url = shop.url(f"{HAND}?period_id={shop.ids['2024']}&subject=t{shop.region.id}"
                   "&metric=revenue&down=periods")  # fmt: skip
    assert browser(shop.users["manager"]).get(url).status_code == 403
    assert browser(shop.users["staff"]).get(url).status_code == 403
    other = make_tenant(slug="other")
    outsider = browser(other.owner)
    assert outsider.get(
        f"/t/other{HAND}?period_id={shop.ids['2024']}&subject=t{shop.region.id}&metric=revenue"
    ).status_code == 404


def test_the_split_button_says_split_down_in_chinese(shop, browser):
    """The grid's split control is 分解 (to split a target down), not 分配方式."""
    b = browser(shop.users["hr"])
    url = shop.url(f"/targets/plan?period_id={shop.ids['2024']}")
    for lang in ("zh-CN", "zh-TW"):
        page = b.get(url, headers={"Accept-Language": lang}).text
        assert '<button class="primary">分解</button>' in page and "分配方式" not in page
