"""End to end in Chromium: the demo's sales login reads their responsibility
letter from the home page and acknowledges it (the demo leaves it waiting)."""

from __future__ import annotations

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401

__all__ = ["chromium", "pytestmark", "server"]


def test_staff_acknowledges_their_letter_from_the_home_page(server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    _login(page, server, "sales@huadong.example", "jili-demo-sales")
    page.goto(server + "/t/huadong/")
    section = page.locator("#home-letters")
    assert "等待您确认" in section.inner_text()
    section.locator("a.button").first.click()
    page.wait_for_selector("#acknowledge-button")
    assert "目标责任书" in page.content()
    page.click("#acknowledge-button")
    page.wait_for_load_state("networkidle")
    text = page.locator("#content").inner_text()
    assert "您已确认责任书第 1 版" in text and "已于" in text
    assert page.locator("#acknowledge-button").count() == 0
    page.screenshot(path=str(tmp_path / "letter.png"), full_page=True)
    page.goto(server + "/t/huadong/")
    assert (
        page.locator("#home-letters").count() == 0
        or "等待您确认" not in page.locator("#home-letters").inner_text()
    )
