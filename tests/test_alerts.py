"""Alert rules, alerts and improvement plans: the defaults (yellow below 80 % in a
month, red after two months below 70 % with a plan in 3 working days), who sees
which alert, writing a plan, late plans, the rules page and the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from alerts_kit import AlertWorld
from jili.extensions import db
from jili.models import Alert, AlertRule, AuditLog, ImprovementPlan, Notification
from jili.tenancy import bound_tenant
from jili.workdays.services import load_china_defaults

D = Decimal
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(make_tenant, member, monkeypatch):
    return AlertWorld(make_tenant(), member, monkeypatch)


def _alerts(w):
    with bound_tenant(w.t):
        return {
            (a.person_id, a.level): a for a in db.session.scalars(select(Alert).order_by(Alert.id))
        }


def test_yellow_below_80_red_after_two_months_below_70(world):
    w = world
    w.attainment.update(
        {
            ("E1", "2026-09"): D("65"), ("E1", "2026-10"): D("69.99"),  # red (and yellow)
            ("E2", "2026-09"): D("60"), ("E2", "2026-10"): D("79.99"),  # yellow only
            ("E3", "2026-09"): D("69"), ("E3", "2026-10"): D("80"),  # nothing: 80 is not below
            ("M1", "2026-10"): D("50"),  # yellow; no September target, so no red
        }
    )  # fmt: skip
    out = w.evaluate(date(2026, 11, 2))  # October has ended, November not
    alerts = _alerts(w)
    assert set(alerts) == {
        (w.a.id, "yellow"),
        (w.a.id, "red"),
        (w.b.id, "yellow"),
        (w.boss.id, "yellow"),
    }
    red = alerts[(w.a.id, "red")]
    assert red.values == [["2026-09", "65"], ["2026-10", "69.99"]]
    assert len(out.plans) == 1
    # evaluating again raises nothing new
    assert w.evaluate(date(2026, 11, 3)).raised == []


def test_the_plan_is_due_three_working_days_later_on_the_calendar(world):
    w = world
    w.attainment.update({("E1", "2026-08"): D("60"), ("E1", "2026-09"): D("60")})
    with bound_tenant(w.t):
        load_china_defaults(w.t, 2026)
        db.session.commit()
    w.evaluate(date(2026, 10, 1))  # a holiday; 2–7 Oct off, then 8, 9 and Saturday 10 worked
    with bound_tenant(w.t):
        plan = db.session.scalar(select(ImprovementPlan))
        assert plan.due_date == date(2026, 10, 10)


def test_the_person_and_their_manager_are_notified(world):
    w = world
    w.attainment.update({("E1", "2026-09"): D("60"), ("E1", "2026-10"): D("60")})
    w.evaluate(date(2026, 11, 2))
    with bound_tenant(w.t):
        kinds = sorted((n.user_id, n.kind) for n in db.session.scalars(select(Notification)))
    assert (w.staff_user.id, "alert_raised") in kinds
    assert (w.manager_user.id, "alert_raised") in kinds
    assert (w.staff_user.id, "improvement_plan_due") in kinds
    assert (w.manager_user.id, "improvement_plan_due") in kinds
    assert all(uid != w.other_user.id for uid, _k in kinds)


def test_who_sees_which_alert(world, browser):
    w = world
    w.attainment.update({("E2", "2026-10"): D("50"), ("E3", "2026-10"): D("50")})
    w.evaluate(date(2026, 11, 2))
    alerts = _alerts(w)
    mine, theirs = alerts[(w.b.id, "yellow")], alerts[(w.out.id, "yellow")]
    manager, staff, hr = browser(w.manager_user), browser(w.staff_user), browser(w.hr_user)
    page = manager.get("/t/acme/alerts", headers=EN).text
    assert "李娜" in page and "孙外队" not in page
    assert manager.get(f"/t/acme/alerts/{theirs.id}").status_code == 404
    assert manager.get(f"/t/acme/alerts/{mine.id}").status_code == 200
    page = staff.get("/t/acme/alerts", headers=EN).text
    assert "李娜" not in page and "孙外队" not in page
    assert staff.get(f"/t/acme/alerts/{mine.id}").status_code == 404
    page = hr.get("/t/acme/alerts", headers=EN).text
    assert "李娜" in page and "孙外队" in page
    other = browser(w.other_user)
    assert other.get(f"/t/acme/alerts/{theirs.id}").status_code == 200


def test_another_companys_alert_is_a_404(world, make_tenant, browser):
    w = world
    w.attainment.update({("E1", "2026-10"): D("50")})
    w.evaluate(date(2026, 11, 2))
    alert = _alerts(w)[(w.a.id, "yellow")]
    stranger = make_tenant("other")
    b = browser(stranger.owner)
    assert b.get(f"/t/other/alerts/{alert.id}").status_code == 404
    assert b.post(f"/t/other/alerts/{alert.id}/plan", data={"actions": "x"}).status_code == 404
    with bound_tenant(w.t):
        rule_id = db.session.scalar(select(AlertRule.id))
    assert b.post(f"/t/other/alerts/rules/{rule_id}/delete").status_code == 404


def test_the_person_writes_the_plan_late_plans_show_as_late(world, browser):
    w = world
    w.attainment.update(
        {("E1", "2026-09"): D("60"), ("E1", "2026-10"): D("60"),
         ("E2", "2026-09"): D("60"), ("E2", "2026-10"): D("60")}
    )  # fmt: skip
    w.evaluate(date(2026, 11, 2))  # Monday: due Thursday 5 November
    alerts = _alerts(w)
    red_a, red_b = alerts[(w.a.id, "red")], alerts[(w.b.id, "red")]
    with bound_tenant(w.t):  # not wall-clock dependent: 张伟's plan is due far ahead
        db.session.scalar(
            select(ImprovementPlan).where(ImprovementPlan.alert_id == red_a.id)
        ).due_date = date(2099, 1, 1)
        db.session.commit()
    staff = browser(w.staff_user)
    resp = staff.post(
        f"/t/acme/alerts/{red_a.id}/plan",
        data={"actions": "", "follow_up_date": "2026-12-01"},
        headers=EN,
    )
    assert resp.status_code == 422 and "Write the actions" in resp.text
    resp = staff.post(
        f"/t/acme/alerts/{red_a.id}/plan",
        data={"actions": "每周拜访 5 家重点客户", "follow_up_date": "2099-12-01"},
    )
    assert resp.status_code == 302
    # the staff member cannot write a colleague's plan (nor see it)
    assert staff.post(f"/t/acme/alerts/{red_b.id}/plan", data={"actions": "x"}).status_code == 404
    with bound_tenant(w.t):
        plan_a = db.session.scalar(
            select(ImprovementPlan).where(ImprovementPlan.alert_id == red_a.id)
        )
        assert plan_a.actions == "每周拜访 5 家重点客户" and plan_a.follow_up_date == date(
            2099, 12, 1
        )
        assert "improvement_plan.submit" in set(db.session.scalars(select(AuditLog.action)))
        plan_b = db.session.scalar(
            select(ImprovementPlan).where(ImprovementPlan.alert_id == red_b.id)
        )
        plan_b.due_date = date(2020, 1, 6)  # long past: late
        db.session.commit()
    for viewer in (w.manager_user, w.hr_user):
        page = browser(viewer).get("/t/acme/alerts?late=1", headers=EN).text
        assert "李娜" in page and "Late" in page and "张伟" not in page
    with bound_tenant(w.t):
        from jili.alerts.services import notify_late

        late = notify_late(w.t, date(2026, 11, 20))
        db.session.commit()
        assert [p.id for p in late] == [plan_b.id]
        assert notify_late(w.t, date(2026, 11, 21)) == []  # once
        told = {
            n.user_id
            for n in db.session.scalars(
                select(Notification).where(Notification.kind == "improvement_plan_late")
            )
        }
    assert told == {w.manager_user.id, w.hr_user.id}


@pytest.mark.parametrize(
    "role,view,edit",
    [("owner", 200, 302), ("admin", 200, 302), ("hr", 200, 302),
     ("consultant", 200, 403), ("manager", 200, 403), ("staff", 403, 403)],
)  # fmt: skip
def test_who_sees_and_edits_the_rules(world, member, browser, role, view, edit):
    w = world
    user = w.tenant.owner if role == "owner" else member(w.tenant, role)
    b = browser(user)
    assert b.get("/t/acme/alerts/rules").status_code == view
    data = {"level": "yellow", "measure": "attainment", "metric": "margin", "threshold": "90",
            "periods": "1", "period_kind": "quarter", "plan_days": "0", "active": "on"}  # fmt: skip
    assert b.post("/t/acme/alerts/rules", data=data).status_code == edit


def test_a_rule_is_added_changed_and_bad_input_refused(world, browser):
    w = world
    hr = browser(w.hr_user)
    bad = {"level": "red", "measure": "attainment", "metric": "revenue", "threshold": "7.123456",
           "periods": "2", "period_kind": "month", "plan_days": "3"}  # fmt: skip
    resp = hr.post("/t/acme/alerts/rules", data=bad, headers=EN)
    assert resp.status_code == 422 and "Threshold" in resp.text
    resp = hr.post(
        "/t/acme/alerts/rules", data={**bad, "threshold": "60", "periods": "x"}, headers=EN
    )
    assert resp.status_code == 422
    resp = hr.post("/t/acme/alerts/rules", data={**bad, "threshold": "60", "periods": "3"})
    assert resp.status_code == 302
    page = hr.get("/t/acme/alerts/rules", headers=EN).text
    assert "Revenue attainment below 60 % in 3 consecutive months" in page
    # one period is said as one, in every language (Chinese has no plural to do it)
    assert "Revenue attainment below 80 % in a month" in page
    zh = hr.get("/t/acme/alerts/rules", headers={"Accept-Language": "zh-CN"}).text
    assert "营收单月达成率低于 80%" in zh and "连续 1" not in zh
    with bound_tenant(w.t):
        rule = db.session.scalar(select(AlertRule).where(AlertRule.threshold == D("60")))
        rid = rule.id
    resp = hr.post(f"/t/acme/alerts/rules/{rid}", data={**bad, "threshold": "65", "periods": "3"})
    assert resp.status_code == 302
    with bound_tenant(w.t):
        assert db.session.get(AlertRule, rid).threshold == D("65")
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"alert_rule.create", "alert_rule.update"} <= actions


def test_cli_evaluates_a_tenant(world, runner):
    w = world
    w.attainment.update({("E1", "2026-10"): D("50")})
    result = runner.invoke(args=["alerts", "evaluate", "--tenant", "acme", "--today", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert "1 alert(s) raised" in result.output
    result = runner.invoke(args=["alerts", "evaluate", "--tenant", "nope"])
    assert result.exit_code != 0


def test_attainment_comes_from_the_targets_progress(make_tenant, member):
    """No stand-in: a month's revenue target and a deal of 75 % of it → yellow."""
    from jili.alerts.services import add_default_rules, evaluate
    from jili.models import Period, Person, SalesCredit, SalesTarget, Transaction
    from jili.periods.services import generate_year

    tenant = make_tenant()
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2026, 1)
        add_default_rules(tenant.id)
        person = Person(tenant_id=tenant.id, employee_no="E1", name="张伟")
        db.session.add(person)
        db.session.flush()
        october = db.session.scalar(select(Period).where(Period.label == "2026-10"))
        db.session.add(SalesTarget(tenant_id=tenant.id, period_id=october.id, person_id=person.id,
                                   metric="revenue", baseline=D("100000.00")))  # fmt: skip
        txn = Transaction(tenant_id=tenant.id, external_id="T1", deal_date=date(2026, 10, 9),
                          person_id=person.id, amount=D("75000.00"), row_hash="x")  # fmt: skip
        db.session.add(txn)
        db.session.flush()
        db.session.add(SalesCredit(tenant_id=tenant.id, transaction_id=txn.id, person_id=person.id,
                                   share_bp=10000, deal_date=txn.deal_date, amount=D("75000.00")))  # fmt: skip
        out = evaluate(tenant.id, date(2026, 11, 2))
        db.session.commit()
        assert [(a.level, a.values) for a in out.raised] == [("yellow", [["2026-10", "75.00"]])]


def test_a_continuing_red_streak_does_not_ask_for_a_plan_every_month(world):
    w = world
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        w.attainment[("E1", month)] = D("50")
    w.evaluate(date(2026, 10, 1))  # August–September: red
    w.evaluate(date(2026, 11, 1))  # September–October: September is covered already
    w.evaluate(date(2026, 12, 1))  # October–November: a new red
    with bound_tenant(w.t):
        reds = db.session.scalars(
            select(Alert).where(Alert.level == "red").order_by(Alert.id)
        ).all()
        assert [a.values[-1][0] for a in reds] == ["2026-09", "2026-11"]
        yellows = db.session.scalars(select(Alert).where(Alert.level == "yellow")).all()
        assert len(yellows) == 3  # September, October, November: one each month
