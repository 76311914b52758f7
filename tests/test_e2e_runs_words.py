"""End to end (real gunicorn, Chromium), issue 10 items 4, 13 and 14 on the demo's
pages: a run calculated by Jili itself says so in Chinese, a person outside a
plan shows "—", the totals row is drawn as the strongest row, and KPI values and
plan settings are grouped by thousands."""

from __future__ import annotations

import re

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401  (fixtures)


def _style(locator) -> dict:
    return locator.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {weight: parseInt(s.fontWeight), size: parseFloat(s.fontSize), color: s.color}; }"
    )


def test_runs_kpis_and_settings_read_in_chinese_with_grouped_numbers(server, chromium):  # noqa: F811
    page = chromium.new_page(locale="zh-CN")
    _login(page, server, "owner@shili.example", "jili-demo-owner")
    page.goto(f"{server}/t/shili/periods")
    page.wait_for_load_state("networkidle")
    links = page.eval_on_selector_all("a[href$='/runs']", "els => els.map(e => e.href)")
    outside = 0
    for link in links:  # a period whose run has someone outside one of its plans
        page.goto(link)
        page.wait_for_load_state("networkidle")
        if not page.locator("tr[id^='run-']").count():
            continue
        by = page.locator("tr[id^='run-'] td:nth-child(3)").first.inner_text()
        assert by == "系统", by  # the demo loader's run, not the stored label "system"
        page.locator("tr[id^='run-'] td a[href*='/runs/']").first.click()
        page.wait_for_load_state("networkidle")
        toolbar = page.inner_text(".toolbar")
        assert "系统" in toolbar and "system" not in toolbar
        outside = page.locator("#totals td.none").count()
        if outside:
            break
    # Someone outside a plan: "—", never ¥0.00 beside a dash.
    assert outside > 0
    assert set(page.locator("#totals td.none").all_inner_texts()) == {"—"}
    # The totals row is at least as strong as any data row: bold, full size, dark.
    total = _style(page.locator("#totals tfoot th.num").last)
    cell = _style(page.locator("#totals tbody td.num").first)
    assert total["weight"] >= 700 and total["size"] >= cell["size"]
    assert total["color"] == cell["color"]
    # KPI values and plan settings: grouped by thousands like money.
    page.goto(f"{server}/t/shili/metrics")
    page.wait_for_load_state("networkidle")
    numbers = page.locator("#content table td.num").all_inner_texts()
    assert "500,000" in numbers  # a KPI target
    assert not [n for n in numbers if re.fullmatch(r"\d{4,}(\.\d+)?", n.strip())], numbers
    page.goto(f"{server}/t/shili/plans")
    page.wait_for_load_state("networkidle")
    page.locator("a", has_text="绩效奖金").first.click()
    page.wait_for_load_state("networkidle")
    settings = page.inner_text(".settings-view")
    assert "8,000" in settings and "5,000" in settings and "8000" not in settings
    page.close()
