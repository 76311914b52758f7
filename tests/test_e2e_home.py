"""End to end, the home pages of the demo (real gunicorn, Chromium): every demo login
lands on a home whose charts render with the data's numbers, and every page a staff
member or manager uses fits a 390 × 844 phone without horizontal scrolling."""

from __future__ import annotations

import re
from pathlib import Path

from jili import ROOT
from jili.plan_as_code.demo import logins
from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401  (fixtures)

TENANTS = Path(ROOT) / "tenants"
PHONE = {"width": 390, "height": 844}


def _number(text: str) -> str:
    return re.sub(r"[^\d.]", "", text)


def _check_staff(page) -> None:
    """Progress bars, an estimate and a statement whose total is the statement's own."""
    assert page.locator(".period-progress [role=progressbar]").count() >= 2
    assert page.locator(".period-progress table tfoot .num").first.is_visible()
    total = page.inner_text("#stmt-h ~ p .big")
    assert re.search(r"[1-9]", total)
    page.click("#stmt-h ~ p a")
    page.wait_for_load_state("networkidle")
    assert _number(page.inner_text("#statement-total b")) == _number(total)
    page.go_back()
    page.wait_for_load_state("networkidle")


def _check_manager(page) -> None:
    """The ranking chart draws each person's bar with the attainment of the table
    beside it (both from the team's sales and targets)."""
    chart = page.locator(".home-team svg.home-chart").first
    assert chart.is_visible() and chart.bounding_box()["height"] > 100
    values = chart.locator("text.value").all_text_contents()
    assert len(values) >= 4 and any(re.search(r"[1-9]", v) for v in values)
    rows = page.locator(".home-team details.table-alt").first.locator("tbody tr")
    table = [rows.nth(i).locator("td").last.text_content() for i in range(rows.count())]
    assert [v.strip() for v in values] == [t.strip() for t in table]


def _check_admin(page) -> None:
    chart = page.locator("svg.home-chart[aria-labelledby='cost-t cost-d']")
    assert chart.is_visible()
    assert chart.locator("rect.bar").count() == 4  # the four ended quarters, calculated
    assert all(re.search(r"[1-9]", v) for v in chart.locator("text.value").all_text_contents())


def test_each_demo_role_lands_on_a_home_with_charts_and_numbers(server, chromium):  # noqa: F811
    for login in logins(TENANTS):
        page = chromium.new_page(locale="zh-CN")
        _login(page, server, login.email, login.password)
        if login.role == "consultant":
            rows = page.locator("table.clients-table tbody tr")
            assert rows.count() == 2
            assert all(re.search(r"\d", t) for t in rows.all_inner_texts())
            page.close()
            continue
        page.goto(f"{server}/t/{login.slug}/")
        page.wait_for_load_state("networkidle")
        if login.role in ("staff", "manager"):
            _check_staff(page)
        if login.role == "manager":
            _check_manager(page)
        if login.role in ("owner", "admin", "hr"):
            _check_admin(page)
        page.close()


def _fits(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 3).map(e => e.tagName + '.' + e.getAttribute('class'))"
    )
    assert width <= PHONE["width"], (url, width, wide)


def test_staff_and_manager_pages_fit_a_phone(server, chromium):  # noqa: F811
    pages = ["/", "/statements", "/simulator", "/simulator?attainment=150", "/feedback/"]
    for login in logins(TENANTS):
        if login.role not in ("staff", "manager"):
            continue
        page = chromium.new_page(locale="zh-TW", viewport=PHONE)
        _login(page, server, login.email, login.password)
        base = f"{server}/t/{login.slug}"
        for path in pages + (["/targets"] if login.role == "manager" else []):
            _fits(page, base + path)
        page.goto(base + "/")
        statement = page.locator("#stmt-h ~ p a").get_attribute("href")
        _fits(page, server + statement)
        page.close()


def _sidebar_shown(page) -> bool:
    return page.locator("#sidebar").is_visible()


def test_on_a_phone_the_sidebar_is_a_menu_behind_a_button(server, chromium):  # noqa: F811
    login = next(x for x in logins(TENANTS) if x.role == "manager")
    page = chromium.new_page(locale="zh-CN", viewport=PHONE)
    _login(page, server, login.email, login.password)
    page.goto(f"{server}/t/{login.slug}/")
    page.wait_for_load_state("networkidle")
    button = page.locator("button.menu-toggle")
    assert button.is_visible() and "菜单" in button.inner_text()
    assert button.get_attribute("aria-controls") == "sidebar"
    assert button.get_attribute("aria-expanded") == "false" and not _sidebar_shown(page)
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and _sidebar_shown(page)
    page.keyboard.press("Escape")  # closes, and the focus is back on the button
    assert button.get_attribute("aria-expanded") == "false" and not _sidebar_shown(page)
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")
    page.keyboard.press("Enter")  # the keyboard opens it too
    assert _sidebar_shown(page)
    page.locator("#sidebar a[href$='/simulator']").click()  # a boosted link: the page changes
    page.wait_for_url("**/simulator")
    page.wait_for_load_state("networkidle")
    assert not _sidebar_shown(page) and page.locator("button.menu-toggle").is_visible()
    # the simulator's chart drawn for the phone, at about its own scale: text stays legible
    phone_chart = page.locator("#sim-result .chart-phone svg")
    assert phone_chart.is_visible() and not page.locator("#sim-result .chart-wide svg").is_visible()
    scale = page.evaluate(
        "() => { const s = document.querySelector('#sim-result .chart-phone svg');"
        " return s.getBoundingClientRect().width / s.viewBox.baseVal.width; }"
    )
    assert scale >= 0.85, scale
    page.close()
    wide = chromium.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    _login(wide, server, login.email, login.password)
    wide.goto(f"{server}/t/{login.slug}/")
    wide.wait_for_load_state("networkidle")
    assert _sidebar_shown(wide) and not wide.locator("button.menu-toggle").is_visible()
    wide.close()


# A table cell this narrow (in em of its own font) holding two characters or more
# shows them one per line: the column was squeezed, the table needs nowrap or room.
SQUEEZED_EM = 1.9


def _squeezed(page) -> list[str]:
    return page.evaluate(
        """(em) => [...document.querySelectorAll('main td, main th')]
        .filter(c => c.offsetParent !== null)
        .filter(c => {
          const s = getComputedStyle(c), text = c.innerText.trim();
          const inner = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
          return text.length >= 2 && inner < em * parseFloat(s.fontSize);
        })
        .slice(0, 3).map(c => c.innerText.trim())""",
        SQUEEZED_EM,
    )


def _fits_unsqueezed(page, url: str, lang: str) -> None:
    """Fits the phone (as _fits) and is in ``lang``, without a column squeezed to
    one character a line."""
    _fits(page, url)
    assert page.evaluate("document.documentElement.lang") == lang, url
    assert page.locator("main h1").first.is_visible(), url
    assert _squeezed(page) == [], (url, _squeezed(page))


def _team_periods(page, base: str) -> list[str]:
    """The period ids the manager's home shows the team of (its links to the simulator)."""
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    hrefs = page.locator(".home-team a[href*='period_id=']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return sorted({re.search(r"period_id=(\d+)", h).group(1) for h in hrefs})


def _a_run(page, base: str, number: int) -> str:
    """The address of the first run numbered ``number`` of a quarter (#2: a run with
    a previous one to compare with)."""
    page.goto(base + "/periods")
    page.wait_for_load_state("networkidle")
    quarters = page.locator("tr", has_text="-Q").locator("a[href$='/runs']")
    for href in quarters.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        page.goto(base.split("/t/")[0] + href)
        page.wait_for_load_state("networkidle")
        run = page.locator("a[href*='/runs/']", has_text=re.compile(rf"^#{number}$"))
        if run.count():
            return run.first.get_attribute("href")
    raise AssertionError(f"no quarter of the demo has a run #{number}")


PHONE_LOCALES = [("zh-CN", "zh-Hans"), ("en-US", "en")]


def test_alert_list_and_run_pages_fit_a_phone(server, chromium):  # noqa: F811
    """The manager's full alert lists (both bands, every period the home shows) and
    the run page (hr, and the owner on a run with changes), and /alerts, fit a
    390 px phone in Chinese and English, no column squeezed to one character a line."""
    logins_by_email = {x.email: x for x in logins(TENANTS)}
    manager = logins_by_email["manager@huadong.example"]
    people_shown = 0
    for locale, lang in PHONE_LOCALES:
        page = chromium.new_page(locale=locale, viewport=PHONE)
        _login(page, server, manager.email, manager.password)
        base = f"{server}/t/{manager.slug}"
        periods = _team_periods(page, base)
        assert periods, "the demo manager's home shows no period of the team"
        for period_id in periods:
            for band in ("under-70", "under-80"):
                _fits_unsqueezed(page, f"{base}/home/team/{period_id}/{band}", lang)
                people_shown += page.locator("ol.alert-list li").count()
        page.close()
        for email in ("hr@huadong.example", "owner@shili.example"):
            login = logins_by_email[email]
            page = chromium.new_page(locale=locale, viewport=PHONE)
            _login(page, server, login.email, login.password)
            base = f"{server}/t/{login.slug}"
            _fits_unsqueezed(page, f"{base}/alerts", lang)
            number = 2 if login.slug == "shili" else 1
            _fits_unsqueezed(page, server + _a_run(page, base, number), lang)
            if number == 2:
                assert page.locator("#changes table tbody tr").count() >= 1
            assert page.locator("table#totals tbody tr").count() >= 1
            page.close()
    assert people_shown >= 2  # the demo team has someone under 80 % (in each language)
