"""Statements: who sees whose, only published periods for staff, every line
with its explanation in the reader's language, subtotals and totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import Level, Person, TenantScheme, User
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def publish(w, b):
    (run,) = [r for r in w.runs() if r.kind.value == "final"][-1:]
    resp = b.post(w.url(f"/runs/{run.id}/publish"), data={"status": "calculated"})
    assert resp.status_code == 302
    return run


def statement_url(w, person, period=None):
    return w.url(f"/periods/{(period or w.q3).id}/statements/{person.id}")


def test_staff_see_their_own_statement_only_after_publishing(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    staff = browser(w.staff_user)
    mine = staff.get(w.url("/statements"), headers=EN)
    assert mine.status_code == 200
    assert "No statements yet" in mine.text and "11,700.00" not in mine.text
    assert staff.get(statement_url(w, w.a)).status_code == 404  # calculated, not published
    publish(w, owner)
    mine = staff.get(w.url("/statements"), headers=EN).text
    assert "张伟" in mine and "11,700.00" in mine and "阶梯提成" in mine
    assert "650,000.00 × 1.8 % = 11,700.00" in mine
    own = staff.get(statement_url(w, w.a), headers=EN)
    assert own.status_code == 200 and "11,700.00" in own.text
    # Someone else's, in the same team or not, or a person that does not exist: 404.
    assert staff.get(statement_url(w, w.a2)).status_code == 404
    assert staff.get(statement_url(w, w.b)).status_code == 404
    assert staff.get(w.url(f"/periods/{w.q3.id}/statements/999999")).status_code == 404
    assert "李娜" not in mine  # no team list for staff


def test_a_manager_sees_the_team_subtree_and_direct_reports_not_other_teams(world, browser):
    w = world
    w.calculate(browser(w.tenant.owner))
    manager = browser(w.manager_user)
    # Calculated, not yet published: managers see it, marked as unpublished.
    sub_team = manager.get(statement_url(w, w.a2), headers=EN)
    assert sub_team.status_code == 200 and "4,800.00" in sub_team.text
    assert "Not published yet" in sub_team.text
    assert manager.get(statement_url(w, w.a)).status_code == 200
    assert manager.get(statement_url(w, w.direct)).status_code == 200  # reports to them
    assert manager.get(statement_url(w, w.b)).status_code == 404  # another team
    index = manager.get(w.url("/statements"), headers=EN).text
    assert "李娜" in index and "张伟" in index and "赵直属" in index
    assert "王芳" not in index


def test_hr_sees_everyone(world, browser):
    w = world
    w.calculate(browser(w.tenant.owner))
    hr = browser(w.hr_user)
    assert hr.get(statement_url(w, w.b)).status_code == 200
    index = hr.get(w.url("/statements"), headers=EN).text
    assert all(name in index for name in ("张伟", "李娜", "王芳", "赵直属"))


def test_another_tenants_period_or_person_is_404(world, browser, make_tenant):
    w = world
    other = make_tenant(slug="other")
    with bound_tenant(other.id):
        stranger = Person(tenant_id=other.id, employee_no="X1", name="外人")
        db.session.add(stranger)
        db.session.commit()
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    assert owner.get(w.url(f"/periods/{w.q3.id}/statements/{stranger.id}")).status_code == 404
    assert owner.get(w.url(f"/statements?period_id={w.q2.id}")).status_code == 404  # no run


def test_lines_subtotals_total_and_budget_cut(world, browser):
    from decimal import Decimal

    from jili.models import IncentiveSetting

    w = world
    with bound_tenant(w.t):
        db.session.add(IncentiveSetting(tenant_id=w.t, ceiling_quarter_amount=Decimal("11850.00")))
        db.session.commit()
    owner = browser(w.tenant.owner)
    w.calculate(owner)  # 23,700.00 cut to 11,850.00: everyone gets half
    page = owner.get(statement_url(w, w.a), headers=EN).text
    assert "5,850.00" in page  # 11,700.00 halved
    line = page.split('class="line"')[1].split("</tr>")[0]
    assert "before budget" in line and "11,700.00" in line and "5,850.00" in line
    assert "Subtotal 阶梯提成" in page
    total = page.split('id="statement-total"')[1].split("</div>")[0]
    assert "5,850.00" in total and "before the budget ceiling" in total


def test_explanations_are_shown_in_the_readers_language(world, browser, make_user):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    with bound_tenant(w.t):
        user = db.session.get(User, w.staff_user.id)
        user.locale = "zh_Hans"
        db.session.commit()
    staff = browser(w.staff_user)
    page = staff.get(statement_url(w, w.a)).text
    assert 'lang="zh-Hans"' in page
    assert "¥11,700.00" in page
    assert "650,000.00 × 1.8 % = 11,700.00" in page  # arithmetic as computed
    catalogue = Path("platform/jili/translations/zh_Hans/LC_MESSAGES/messages.mo")
    if catalogue.exists():  # compiled by `make`: the sentence itself in Chinese
        assert "该档比例适用于全部金额" in page
    english = browser(w.tenant.owner).get(statement_url(w, w.a), headers=EN).text
    assert "its rate applies to the whole amount" in english


def test_person_ids_in_explanations_are_shown_as_names(world, browser):
    from jili_mentor_award import MentorAward

    w = world
    with bound_tenant(w.t):
        db.session.add(TenantScheme(tenant_id=w.t, scheme_key="mentor_award"))
        mentor = db.session.get(Person, w.b.id)
        newbie = w.person(
            "N1", "小新", level=Level.NEWCOMER, team=w.team_b, hire_date=date(2024, 6, 1)
        )
        newbie.mentor_id = mentor.id
        w.sale(newbie, "30000", day=date(2024, 8, 20))
        w.make_plan("师徒制", MentorAward, eligibility={})
        db.session.commit()
        newbie_id = newbie.id
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    page = owner.get(statement_url(w, w.b), headers=EN).text  # the mentor's statement
    assert "师徒制" in page and "Talent-spotter award" in page
    assert "Your mentee 小新" in page
    assert f"mentee {newbie_id} " not in page
    with bound_tenant(w.t):
        assert db.session.scalar(select(Person.id).where(Person.name == "小新")) == newbie_id
