"""The sidebar: the work in its order (set up → each period → review), only the links a
role may follow, and scheme modules and plans named apart in every language."""

from __future__ import annotations

import re

import pytest

EN = {"Accept-Language": "en"}


def sidebar(html: str) -> str:
    return html[
        html.index('<nav class="sidebar"') : html.index("</nav>", html.index('class="sidebar"'))
    ]


def test_the_sidebar_follows_the_work_in_its_order(make_tenant, browser):
    tenant = make_tenant()
    nav = sidebar(browser(tenant.owner).get(f"/t/{tenant.slug}/", headers=EN).text)
    sections = re.findall(r'<div class="section">([^<]+)</div>', nav)
    assert sections == ["Set up", "Each period", "Review"]
    assert nav.index("Scheme library") < nav.index("Plans") < nav.index("Transactions")
    assert nav.index("Periods and calculations") < nav.index("Statements") < nav.index("Audit log")


@pytest.mark.parametrize(
    ("lang", "library", "plans"),
    [
        ("zh-CN", "激励模块", "激励计划"),
        ("zh-TW", "激勵模組", "激勵計畫"),
        ("en", "Scheme library", "Plans"),
    ],
)
def test_scheme_modules_and_plans_read_apart(make_tenant, browser, lang, library, plans):
    tenant = make_tenant()
    nav = sidebar(
        browser(tenant.owner).get(f"/t/{tenant.slug}/", headers={"Accept-Language": lang}).text
    )
    assert f">{library}</a>" in nav and f">{plans}</a>" in nav
    assert "方案" not in nav


@pytest.mark.parametrize("role", ["admin", "consultant", "manager", "hr", "staff"])
def test_each_role_sees_only_links_it_may_follow(make_tenant, member, browser, role):
    tenant = make_tenant()
    b = browser(member(tenant, role))
    nav = sidebar(b.get(f"/t/{tenant.slug}/", headers=EN).text)
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links
    for href in links:
        assert b.get(href).status_code == 200, (role, href)


def test_staff_see_only_their_review(make_tenant, member, browser):
    tenant = make_tenant()
    nav = sidebar(browser(member(tenant, "staff")).get(f"/t/{tenant.slug}/", headers=EN).text)
    # their own alerts under "Each period", their statements and review under "Review"
    assert re.findall(r'<div class="section">([^<]+)</div>', nav) == ["Each period", "Review"]
    assert "Alerts" in nav and "Transactions" not in nav and "Calculation" not in nav
    assert "Statements" in nav and "Plans" not in nav and "Audit log" not in nav
