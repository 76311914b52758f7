"""End to end in Chromium (real gunicorn, the demo loaded): the demo's sales login
finds their overdue self-assessment on the home page and submits it on a phone;
the owner (their manager, and the one who runs the cycle) closes self-assessment,
and scores the card — refused without a comment where the score differs, saved
with one."""

from __future__ import annotations

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401

__all__ = ["chromium", "pytestmark", "server"]
PHONE = {"width": 390, "height": 844}


def _todo(page, words: str):
    return page.locator(".home-owed li a", has_text=words).first


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_self_assess_then_manager_scores_with_a_comment(server, chromium, tmp_path):  # noqa: F811
    page = chromium.new_page(locale="zh-CN", viewport=PHONE)
    _login(page, server, "sales@shili.example", "jili-demo-sales")
    page.goto(server + "/t/shili/")
    link = _todo(page, "自评")
    assert link.count() == 1
    link.click()
    page.wait_for_selector("form.assess")
    assert "已过截止日期" in page.content()  # late, still accepted
    assert _no_horizontal_scroll(page)
    actuals = page.locator("form.assess input[name^=actual_]")
    assert actuals.count() >= 1
    for i in range(actuals.count()):
        actuals.nth(i).fill("30")
    page.locator("form.assess textarea[name^=evidence_]").first.fill("CRM 记录 30 次有效拜访")
    page.screenshot(path=str(tmp_path / "assess.png"), full_page=True)
    page.click("form.assess button.primary")
    page.wait_for_load_state("networkidle")
    assert "已保存" in page.content()
    card_url = page.url.replace("/assess", "")

    owner = chromium.new_page(locale="zh-CN", viewport=PHONE)
    _login(owner, server, "owner@shili.example", "jili-demo-owner")
    owner.goto(server + "/t/shili/")
    _todo(owner, "自评已逾期").click()
    owner.wait_for_selector("#steps")
    owner.click("text=结束自评并开始经理评分")
    owner.wait_for_load_state("networkidle")
    assert "经理评分" in owner.locator("#stage").inner_text()
    owner.goto(card_url + "/review")
    owner.wait_for_selector("form.assess")
    assert "CRM 记录 30 次有效拜访" in owner.content()  # the self-assessment's evidence
    first = owner.locator("form.assess input[name^=actual_]").first
    first.fill("25")
    owner.click("form.assess button.primary")
    owner.wait_for_load_state("networkidle")
    assert "请用具体案例说明" in owner.locator("p.error").inner_text()
    owner.locator("form.assess input[name^=actual_]").first.fill("25")
    owner.locator("form.assess textarea[name^=comment_]").first.fill(
        "11 月 3 日至 7 日有 5 次拜访没有客户签到，按 25 次计"
    )
    owner.click("form.assess button.primary")
    owner.wait_for_load_state("networkidle")
    assert "已保存" in owner.content()
    assert _no_horizontal_scroll(owner)
    owner.screenshot(path=str(tmp_path / "review.png"), full_page=True)
