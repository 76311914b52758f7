"""End to end in Chromium, on a phone: the demo's sales login appeals a KPI score,
the admin answers it with a reason, and the person reads the outcome and thread."""

from __future__ import annotations

from test_e2e_browser import _login, chromium, pytestmark, server  # noqa: F401

__all__ = ["chromium", "pytestmark", "server"]

PHONE = {"width": 390, "height": 844}


def test_staff_appeals_a_score_and_the_admin_answers_it(server, chromium, tmp_path):  # noqa: F811
    staff = chromium.new_page(locale="zh-CN", viewport=PHONE)
    _login(staff, server, "sales@shili.example", "jili-demo-sales")
    staff.goto(server + "/t/shili/appeals")
    text = staff.locator("#content").inner_text()
    assert "申诉与薪酬疑问" in text and "已逾期" not in text
    staff.click("text=申诉评分")
    staff.wait_for_selector("select[name=line_id]")
    option = staff.locator("select[name=line_id] option", has_text="培训学时").first
    staff.select_option("select[name=line_id]", value=option.get_attribute("value"))
    staff.fill("input[name=claimed]", "18")
    staff.fill("textarea[name=reason]", "9 月 12 日的产品课有签到表，1.4 学时没有计入。")
    staff.click("form button.primary")
    staff.wait_for_load_state("networkidle")
    text = staff.locator("#content").inner_text()
    assert "申诉已提交人力资源部" in text and "培训学时" in text and "18" in text
    assert staff.evaluate("document.documentElement.scrollWidth") <= 390
    staff.screenshot(path=str(tmp_path / "appeal-staff.png"), full_page=True)
    case_url = staff.url

    admin = chromium.new_page(locale="zh-CN")
    _login(admin, server, "admin@shili.example", "jili-demo-admin")
    admin.goto(server + "/t/shili/")
    assert "答复 孙悦 的申诉" in admin.locator("#content").inner_text()
    admin.goto(case_url)
    admin.fill("textarea[name=body]", "请补充签到表照片。")
    admin.click("#reply-h + form button.primary")
    admin.wait_for_load_state("networkidle")
    admin.check("input[name=decision][value=reject]")
    admin.fill("textarea[name=note]", "签到表上没有你的签名，学时不予补记。")
    admin.click("#decide-h + form button.primary")
    admin.wait_for_load_state("networkidle")
    assert "处理结果已保存" in admin.locator("#content").inner_text()

    staff.goto(case_url)
    text = staff.locator("#content").inner_text()
    assert "签到表上没有你的签名" in text and "请补充签到表照片。" in text
    assert staff.locator("#reply-h").count() == 0  # decided: the thread is closed
    staff.screenshot(path=str(tmp_path / "appeal-outcome.png"), full_page=True)
