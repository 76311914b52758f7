"""The improvement plans C ratings open are followed up where people look: the
/alerts page (along the visibility rule) and the home page's "To do" of whoever
owes the plan or its second evaluation."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from jili.alerts.services import submit
from jili.evaluation.services import followups, results
from jili.extensions import db
from jili.home.services.owed import PROVIDERS
from jili.models import Person
from jili.plan_as_code.demo import tenant_today
from jili.tenancy import bound_tenant
from test_results_review import ResultsWorld
from test_runs_pages import EN

OPENED = date(2024, 10, 8)  # the plan is due 5 working days later, on 15 October


@pytest.fixture
def world(make_tenant, member, browser):
    w = ResultsWorld(make_tenant(), member, browser)
    with bound_tenant(w.t):
        w.b.manager_id = w.boss.id  # 王芳 (C in Q3) reports to 陈经理
        w.plan = results.open_plans(w.t, w.q3, OPENED)[0]
        db.session.commit()
    return w


def _texts(w, me, role, today):
    with bound_tenant(w.t), force_locale("en"):
        person = db.session.get(Person, me.id) if me is not None else None
        return [(i.text, i.overdue) for i in followups.home_items(w.t, person, role, today)]


def test_the_provider_is_registered_on_the_home_page():
    names = {getattr(p, "__name__", "") for p in PROVIDERS}
    assert "_improvement_plans" in names


def test_the_person_and_the_manager_owe_the_plan_and_hr_sees_it_when_late(world):
    w = world
    assert _texts(w, w.b, "staff", date(2024, 10, 9)) == [
        ("Write your improvement plan (rating C of 2024-Q3)", False)
    ]
    assert _texts(w, w.b, "staff", date(2024, 10, 16))[0][1] is True  # overdue
    assert _texts(w, w.boss, "manager", date(2024, 10, 9)) == [
        ("Improvement plan of 王芳 (rating C of 2024-Q3)", False)
    ]
    assert _texts(w, w.a, "staff", date(2024, 10, 16)) == []  # not theirs
    assert _texts(w, None, "hr", date(2024, 10, 15)) == []  # not late yet
    assert _texts(w, None, "hr", date(2024, 10, 16)) == [
        ("Improvement plan of 王芳 (rating C of 2024-Q3)", True)
    ]


def test_the_second_evaluation_is_owed_from_the_follow_up_date_until_it_is_done(world):
    w = world
    with bound_tenant(w.t):
        submit(w.plan, "每周两次陪访", date(2024, 10, 21), date(2024, 10, 10), "wang@example.com")
        db.session.commit()
    assert _texts(w, w.b, "staff", date(2024, 10, 21)) == []  # written: nothing left for her
    assert _texts(w, w.boss, "manager", date(2024, 10, 18)) == []  # before the follow-up
    assert _texts(w, w.boss, "manager", date(2024, 10, 21)) == [
        ("Evaluate 王芳 again: the improvement plan's follow-up was 2024-10-21", False)
    ]
    assert _texts(w, None, "hr", date(2024, 10, 21)) == []  # the manager's, until late
    assert _texts(w, None, "hr", date(2024, 10, 22))[0][1] is True
    with bound_tenant(w.t):
        results.second_evaluation(w.plan, "B", "improved", "", date(2024, 10, 21), "hr")
        db.session.commit()
    assert _texts(w, w.boss, "manager", date(2024, 10, 22)) == []
    assert _texts(w, None, "hr", date(2024, 10, 22)) == []


def test_hr_evaluates_again_when_the_person_has_no_manager(world):
    w = world
    with bound_tenant(w.t):
        db.session.get(Person, w.b.id).manager_id = None
        submit(w.plan, "陪访", date(2024, 10, 21), date(2024, 10, 10), "wang@example.com")
        db.session.commit()
    assert _texts(w, None, "hr", date(2024, 10, 21)) == [
        ("Evaluate 王芳 again: the improvement plan's follow-up was 2024-10-21", False)
    ]


def test_the_alerts_page_lists_the_plans_along_the_visibility_rule(world, browser):
    w = world
    section = 'id="rating-plans"'
    hr = browser(w.hr_user).get(w.url("/alerts"), headers=EN).get_data(as_text=True)
    assert section in hr and f"/improvement-plans/{w.plan.id}" in hr and "王芳" in hr
    manager = browser(w.manager_user).get(w.url("/alerts"), headers=EN).get_data(as_text=True)
    assert f"/improvement-plans/{w.plan.id}" in manager  # a direct report
    herself = browser(w.other_staff_user).get(w.url("/alerts"), headers=EN).text
    assert f"/improvement-plans/{w.plan.id}" in herself
    other = browser(w.staff_user).get(w.url("/alerts"), headers=EN).get_data(as_text=True)
    assert section in other and f"/improvement-plans/{w.plan.id}" not in other
    # the company's today is long after 15 October 2024: the unwritten plan is late
    assert tenant_today(w.tenant) > w.plan.due_date
    late = browser(w.hr_user).get(w.url("/alerts?late=1"), headers=EN).get_data(as_text=True)
    assert f"/improvement-plans/{w.plan.id}" in late and "Late" in late
