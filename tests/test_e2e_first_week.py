"""End to end (issue 10): a new customer's costly wrong clicks, in a real browser.
Same gunicorn + Chromium set-up as test_e2e_browser, on its own database."""

from __future__ import annotations

from datetime import date, timedelta

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401


def test_unticking_an_on_off_setting_saves_a_new_version(server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(locale="zh-CN")
    _login(page, server, "owner@shili.example", "jili-demo-owner")
    page.goto(server + "/t/shili/plans")
    page.click("text=超额专项奖")
    page.wait_for_load_state("networkidle")
    plan_url = page.url
    page.click(f"a[href='{plan_url.removeprefix(server)}/edit']")
    page.wait_for_load_state("networkidle")
    form = page.locator("form.plan-form")
    assert "JSON" not in form.inner_text()
    assert form.locator("[name='s.over_target_enabled']").count() == 1  # the checkbox only
    page.uncheck("input[name='s.over_target_enabled']")
    page.select_option("select[name=effective_period_id]", index=_q4(page))
    page.screenshot(path=str(tmp_path / "special-awards-edit.png"), full_page=True)
    form.locator("button.primary").click()
    page.wait_for_load_state("networkidle")
    flashed = page.inner_text(".flash.success")
    # not "没有任何修改": a new version, proposed (maker-checker)
    assert "已提议 超额专项奖 的第 2 版" in flashed and "自 2024-Q4 起生效" in flashed
    assert page.locator("#approve").count() == 0  # its author may not approve it
    assert "第 2 版是您本人提议的" in page.inner_text("#approval-refusal")

    # A second administrator approves it on the plan's page.
    other = chromium.new_page(locale="zh-CN")
    _login(other, server, "admin@shili.example", "jili-demo-admin")
    other.goto(plan_url)
    other.click("#approve")
    other.wait_for_load_state("networkidle")
    assert "超额专项奖 的第 2 版已核准" in other.inner_text(".flash.success")
    assert "由 吴倩 核准" in other.inner_text("table.versions")


def _q4(page) -> int:
    options = page.locator("select[name=effective_period_id] option").all_inner_texts()
    return next(i for i, o in enumerate(options) if o.startswith("2024-Q4"))


def test_a_period_moves_forward_only_through_a_run(server, chromium):  # noqa: F811
    page = chromium.new_page(locale="zh-CN")
    _login(page, server, "owner@shili.example", "jili-demo-owner")
    page.goto(server + "/t/shili/periods")
    assert page.locator("form[action$='/advance']").count() == 0
    # the demo publishes every ended period but the latest month, left due
    last_month = date.today().replace(day=1) - timedelta(days=1)
    label = f"{last_month.year}-{last_month.month:02d}"
    page.locator("tr", has_text=label).first.locator("a[href$='/runs']").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("a#publish, form[action$='/publish']").count() == 0  # not beside Calculate
    page.click("form[hx-post$='/runs/calculate'] button")
    page.wait_for_selector("a#publish")
    page.click("a#publish")
    page.wait_for_selector("#what-it-locks")
    assert label in page.inner_text("#what-it-locks")
    page.click("#confirm-publish")
    page.wait_for_load_state("networkidle")
    assert "已发布" in page.inner_text("h1")
