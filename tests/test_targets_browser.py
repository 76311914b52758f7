"""Targets in a real browser (gunicorn + Chromium, the demo tenants): type a
cell in place, see a refused value kept, split a year into quarters and months."""

from __future__ import annotations

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401


def _period_id(page, label: str) -> str:
    option = page.locator("select[name=period_id] option", has_text=f"{label} ·").first
    return option.get_attribute("value")


def _cell(page, who: str):
    return page.locator(f"input[aria-label='{who} · Revenue']")


def test_edit_a_cell_and_split_a_year(server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(locale="en-US")
    _login(page, server, "hr@huadong.example", "jili-demo-hr")
    page.goto(server + "/t/huadong/periods")
    page.fill("input[name=year]", "2027")
    page.locator("input[name=year]").press("Enter")
    page.wait_for_selector("text=2027-Q4")  # the new periods are listed
    page.goto(server + "/t/huadong/targets/plan")
    year = _period_id(page, "2027")
    page.goto(server + f"/t/huadong/targets/plan?period_id={year}")
    page.evaluate("window.__noReload = true")
    cell = _cell(page, "华东大区")
    cell.fill("10000000")
    cell.press("Tab")
    page.wait_for_selector("input[aria-label='华东大区 · Revenue'][value='10000000.00']")
    # a refused value stays as typed, with the reason, without a reload
    cell = _cell(page, "华东大区")
    cell.fill("12.345")
    cell.press("Tab")
    page.wait_for_selector("td.has-error small.error")
    assert _cell(page, "华东大区").input_value() == "12.345"
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "grid.png"), full_page=True)
    # split the year evenly into its quarters
    page.goto(server + f"/t/huadong/targets/plan?period_id={year}")
    page.select_option("#split-form select[name=down]", "periods")
    page.select_option("#split-form select[name=method]", "even")
    page.click("#split-form button.primary")
    page.wait_for_load_state("networkidle")
    assert "Split into 4 parts." in page.content()
    quarter = _period_id(page, "2027-Q1")
    page.goto(server + f"/t/huadong/targets/plan?period_id={quarter}")
    assert _cell(page, "华东大区").input_value() == "2500000.00"
    # and the quarter into its months: a third each, the odd fen to the first month
    page.click("#split-form button.primary")
    page.wait_for_load_state("networkidle")
    page.goto(server + f"/t/huadong/targets/plan?period_id={_period_id(page, '2027-01')}")
    assert _cell(page, "华东大区").input_value() == "833333.34"
    page.goto(server + f"/t/huadong/targets/plan?period_id={_period_id(page, '2027-02')}")
    assert _cell(page, "华东大区").input_value() == "833333.33"
