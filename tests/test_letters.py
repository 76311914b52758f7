"""Responsibility letters (目标责任书): issued per person from their published
targets and the tenant's template, a printable page and a PDF with the Chinese
text, acknowledged by the person only (time and version recorded), listed while
unacknowledged for hr and on the person's home, a new version after a change;
the template round-trips through the tenant file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from jili.extensions import db
from jili.letters import services
from jili.letters.models import LetterTemplate, ResponsibilityLetter
from jili.org.models import Level
from jili.plan_as_code.export import export_toml
from jili.plan_as_code.importer import import_tenant, read_toml
from jili.plan_as_code.schema import TenantFileError
from jili.targets.models import TargetPublication
from jili.targets.services import change_target
from jili.targets.services.publication import publish as targets_publish
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

__all__ = ["EN", "LetterWorld", "publish"]

D = Decimal


def publish(w, period) -> None:
    """The period's targets published (version 1) as the targets page does: the
    letters are issued with it."""
    with bound_tenant(w.t):
        targets_publish(w.t, w.hr_user.id, period)
        db.session.commit()


class LetterWorld(CalcWorld):
    """CalcWorld (陈经理 leads 华东一组, which has the sub-team 二队 — a director
    by our rule) plus 周组长, who leads 二队 (a manager, no director), 李娜 of
    二队 with a login, an admin and a consultant; 2024-Q3's targets published and
    its letters issued by hr."""

    def __init__(self, tenant, member, browser):
        super().__init__(tenant, member)
        self._browsers: dict[int, object] = {}
        self._browser = browser
        self.admin_user = member(tenant, "admin")
        self.consultant_user = member(tenant, "consultant")
        self.group_user = member(tenant, "manager")
        self.lina_user = member(tenant, "staff")
        for user, name in (
            (self.group_user, "周组长"), (self.hr_user, "人事李"), (self.manager_user, "陈经理"),
            (self.lina_user, "李娜"), (self.staff_user, "张伟"), (self.admin_user, "管理员"),
        ):  # fmt: skip
            user.name = name
        with bound_tenant(self.t):
            self.group_lead = self.person(
                "M2", "周组长", level=Level.MANAGER, team=self.team_a2, user=self.group_user
            )
            self.a2.user_id = self.lina_user.id
            # CalcWorld publishes 2024-Q3 as it sets targets; here hr publishes it
            # (which issues the letters), so it is a draft until then.
            db.session.execute(
                delete(TargetPublication).where(
                    TargetPublication.tenant_id == self.t,
                    TargetPublication.period_id == self.q3.id,
                )
            )
            change_target(
                self.t, None, self.q3.id, person_id=self.group_lead.id, metric="revenue",
                baseline=D("500000"),
            )  # fmt: skip
            db.session.commit()
        publish(self, self.q3)
        resp = self.web(self.hr_user).post(
            self.url("/letters/issue"), data={"period_id": self.q3.id}
        )
        assert resp.status_code == 302, resp.text

    def web(self, user):
        """A logged-in browser per user (kept: logging in is slow)."""
        if user.id not in self._browsers:
            self._browsers[user.id] = self._browser(user)
        return self._browsers[user.id]

    def url(self, path: str) -> str:
        return f"/t/{self.slug}{path}"

    def letter_of(self, person) -> ResponsibilityLetter:
        with bound_tenant(self.t):
            return services.current_letter(self.t, self.q3.id, person.id)


@pytest.fixture
def world(make_tenant, member, browser):
    return LetterWorld(make_tenant(), member, browser)


def test_hr_issues_one_letter_per_person_with_published_targets_and_only_once(world):
    w = world
    with bound_tenant(w.t):
        letters = db.session.scalars(select(ResponsibilityLetter)).all()
    people = {x.person_id for x in letters}
    assert people == {w.a.id, w.a2.id, w.b.id, w.direct.id, w.group_lead.id}
    assert {x.version for x in letters} == {1}
    page = w.web(w.hr_user).post(
        w.url("/letters/issue"), data={"period_id": w.q3.id}, headers=EN, follow_redirects=True
    )
    assert "up to date" in page.text
    with bound_tenant(w.t):
        assert len(db.session.scalars(select(ResponsibilityLetter)).all()) == len(letters)


def test_the_letter_shows_targets_plans_support_and_authority(world):
    w = world
    letter = w.letter_of(w.a)
    page = w.web(w.staff_user).get(w.url(f"/letters/{letter.id}"), headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "500,000.00" in text and "张伟" in text and "2024-Q3" in text
    assert "阶梯提成" in text  # the plan that pays on it
    # written in the company's language (zh_Hans) whatever the reader's
    assert "目标责任书" in text and "100,000" in text


def test_the_pdf_has_the_chinese_text(world, app):
    w = world
    letter = w.letter_of(w.a)
    resp = w.web(w.staff_user).get(w.url(f"/letters/{letter.id}/letter.pdf"))
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert resp.headers["Content-Type"] == "application/pdf"
    # The same page through WeasyPrint's layout: the Chinese words are laid out in text
    # boxes with a CJK font.
    from weasyprint import HTML

    with app.test_request_context(f"/t/{w.slug}/letters/{letter.id}", headers=EN):
        from flask import g, render_template

        from jili.letters.views import _letter_context

        g.tenant = w.tenant
        with bound_tenant(w.t):
            source = render_template("letters/print.html", **_letter_context(letter))
    document = HTML(string=source).render()
    texts, fonts = [], set()

    def walk(box):
        if hasattr(box, "text") and box.text:
            texts.append(box.text)
            fonts.add(box.style["font_family"][0])
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    joined = "".join(texts)
    assert "目标责任书" in joined and "张伟" in joined and "阶梯提成" in joined
    assert any("CJK" in f for f in fonts)


def test_only_the_person_acknowledges_their_letter_and_the_time_and_version_are_kept(world):
    w = world
    letter = w.letter_of(w.a)
    for user in (w.manager_user, w.hr_user, w.admin_user):
        w.web(user).post(w.url(f"/letters/{letter.id}/acknowledge"))
        assert w.letter_of(w.a).acknowledged_at is None
    page = w.web(w.staff_user).get(w.url(f"/letters/{letter.id}"), headers=EN).text
    assert "I have read and acknowledge this letter" in page
    resp = w.web(w.staff_user).post(w.url(f"/letters/{letter.id}/acknowledge"), headers=EN)
    assert resp.status_code == 302
    done = w.letter_of(w.a)
    assert done.acknowledged_at is not None and done.acknowledged_by_id == w.staff_user.id
    assert done.version == 1
    page = w.web(w.staff_user).get(w.url(f"/letters/{letter.id}"), headers=EN).text
    assert "Acknowledged by 张伟" in page and "I have read" not in page


def test_unacknowledged_letters_are_on_the_home_pages_and_the_hr_list(world):
    w = world
    home = w.web(w.staff_user).get(w.url("/"), headers=EN).text
    assert "waiting for you to acknowledge" in home
    hr_home = w.web(w.hr_user).get(w.url("/"), headers=EN).text
    assert "5 letters are not acknowledged yet." in hr_home
    letter = w.letter_of(w.a)
    w.web(w.staff_user).post(w.url(f"/letters/{letter.id}/acknowledge"))
    assert (
        "waiting for you to acknowledge" not in w.web(w.staff_user).get(w.url("/"), headers=EN).text
    )
    waiting = w.web(w.hr_user).get(w.url("/letters?waiting=1"), headers=EN).text
    assert "李娜" in waiting and "张伟" not in waiting
    # staff see their own letter only; the manager their team's
    own = w.web(w.staff_user).get(w.url("/letters"), headers=EN).text
    assert "张伟" in own and "李娜" not in own and "王芳" not in own
    team = w.web(w.manager_user).get(w.url("/letters"), headers=EN).text
    assert "李娜" in team and "王芳" not in team  # 华南组 is not theirs


def test_a_changed_target_issues_a_new_version_and_the_old_one_cannot_be_acknowledged(world):
    w = world
    old = w.letter_of(w.a)
    with bound_tenant(w.t):
        change_target(
            w.t, w.hr_user.id, w.q3.id, person_id=w.a.id, metric="revenue",
            baseline=D("520000"), reason="调整", via_adjustment=True,
        )  # fmt: skip
        issued = services.issue_letters(w.t, w.q3.id, w.hr_user.id)
        db.session.commit()
    assert [x.person_id for x in issued] == [w.a.id]
    new = w.letter_of(w.a)
    assert new.version == 2 and new.targets_version == 2
    page = w.web(w.staff_user).post(
        w.url(f"/letters/{old.id}/acknowledge"), headers=EN, follow_redirects=True
    )
    assert "newer version" in page.text
    old_page = w.web(w.staff_user).get(w.url(f"/letters/{old.id}"), headers=EN).text
    assert "earlier version" in old_page and "500,000.00" in old_page


def test_the_template_editor_checks_its_input_and_who_may_use_it(world):
    w = world
    assert w.web(w.staff_user).get(w.url("/letters/template")).status_code == 403
    assert w.web(w.manager_user).get(w.url("/letters/template")).status_code == 403
    bad = w.web(w.hr_user).post(
        w.url("/letters/template"),
        data={"title": "", "acknowledge_days": "abc"},
        headers=EN,
    )
    assert bad.status_code == 200
    assert "The letter needs a title." in bad.text and "whole number of days" in bad.text
    with bound_tenant(w.t):
        assert db.session.scalar(select(LetterTemplate)) is None
    data = {
        "title": "2024年度目标责任书", "opening": "开篇", "support": "售前支持",
        "authority": "单笔超过100,000元需经理批准\n折扣需总监批准", "closing": "特此确认",
        "acknowledge_days": "3",
    }  # fmt: skip
    assert w.web(w.consultant_user).post(w.url("/letters/template"), data=data).status_code == 302
    with bound_tenant(w.t):
        assert db.session.scalar(select(LetterTemplate)).title == "2024年度目标责任书"
        issued = services.issue_letters(w.t, w.q3.id, w.hr_user.id)
        db.session.commit()
    assert len(issued) == 5  # new words: a new version for everyone
    page = w.web(w.staff_user).get(w.url(f"/letters/{w.letter_of(w.a).id}"), headers=EN).text
    assert "折扣需总监批准" in page


def test_the_letter_template_round_trips_through_the_tenant_file(make_tenant):
    from jili.adjustments.services import set_limit

    tenant = make_tenant(slug="tpl")
    with bound_tenant(tenant.id):
        values, errors = services.clean_template({
            "title": "目标责任书", "opening": "第一段\n第二段", "support": "支持",
            "authority": "甲\n乙", "closing": "", "acknowledge_days": "7",
        })  # fmt: skip
        assert errors == {}
        services.save_template(tenant.id, values)
        set_limit(tenant.id, D("12.5"))
        db.session.commit()
    first = export_toml(tenant)
    assert "[letter_template]" in first and 'limit_pct = "12.50"' in first
    copy = import_tenant(read_toml(first), slug="copy", source="test")
    again = export_toml(copy)
    assert again.replace('slug = "copy"', 'slug = "tpl"') == first
    bad = first.replace("acknowledge_days = 7", 'acknowledge_days = "x"')
    with pytest.raises(TenantFileError) as err:
        import_tenant(read_toml(bad), slug="bad", source="test")
    assert "letter_template.acknowledge_days" in str(err.value.errors)
