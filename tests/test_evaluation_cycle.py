"""The evaluation cycle (issue 14 item 4): self-assessment → manager scoring → hr
calibration and aggregation → publication window → appeals → final, with
deadlines in working days after the period's end (weekends, holidays and make-up
working days of the company calendar), late but accepted self-assessments,
managers scoring only their own team, comments where a score differs, reopening
with a reason, and the To do items and reminders."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from jili.evaluation.models import CycleStage, LineAssessment
from jili.evaluation.services import assessments, duties, scorecards
from jili.evaluation.services import cycle as cycles
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.models import AuditLog, MetricValue, Notification, Period, PeriodKind
from jili.tenancy import bound_tenant
from jili.workdays.services import set_day
from test_evaluation import EN, EvalWorld

D = Decimal
# 2024-Q3 ends on Monday 30 September; 1–7 October is the National Day holiday
# (listed below), Sunday 29 September and Saturday 12 October are make-up days.
END = date(2024, 9, 30)


class CycleWorld(EvalWorld):
    """EvalWorld with the Q3 scorecards made and China's 2024 autumn days listed."""

    def __init__(self, tenant, member):
        super().__init__(tenant, member)
        with bound_tenant(self.t):
            for d in (1, 2, 3, 4, 7):  # weekdays of the holiday
                set_day(self.t, date(2024, 10, d), False, "国庆节")
            set_day(self.t, date(2024, 10, 12), True, "调休")
            scorecards.generate(self.t, self.q3)
            db.session.commit()

    def card_of(self, person):
        with bound_tenant(self.t):
            return next(c for c in scorecards.cards(self.t, self.q3) if c.person_id == person.id)

    def line_of(self, card, code):
        return next(line for line, kpi in scorecards.lines(card) if kpi.code == code)

    def start(self, today=date(2024, 10, 8)):
        with bound_tenant(self.t):
            cycle = cycles.start(self.t, self.q3, today)
            db.session.commit()
            return cycle


@pytest.fixture
def w(make_tenant, member):
    return CycleWorld(make_tenant(), member)


def _cycle(w):
    return cycles.get_cycle(w.t, w.q3.id)


def test_deadlines_count_working_days_across_the_holiday_and_the_make_up_day(w):
    with bound_tenant(w.t):
        due = cycles.deadlines(w.t, w.q3, None)
        # after Mon 30 Sep: 1–7 Oct holiday; Tue 8, Wed 9, Thu 10 → self ≤ 3
        assert due.self_due == date(2024, 10, 10)
        # Fri 11, Sat 12 (make-up working day) → manager ≤ 5
        assert due.manager_due == date(2024, 10, 12)
        cycles.save_settings(w.t, {"self_days": 1, "manager_days": 6})
        due = cycles.deadlines(w.t, w.q3, None)
        assert (due.self_due, due.manager_due) == (date(2024, 10, 8), date(2024, 10, 14))
        with force_locale("en"), pytest.raises(EvaluationError):
            cycles.save_settings(w.t, {"self_days": 61})


def test_the_publication_window_and_payout_count_working_days(w):
    with bound_tenant(w.t):
        cycle = cycles.start(w.t, w.q3, date(2024, 10, 8))
        cycle.stage, cycle.published_on = CycleStage.PUBLISHED, date(2024, 10, 17)  # a Thursday
        due = cycles.deadlines(w.t, w.q3, cycle)
        assert due.window_end == date(2024, 10, 22)  # Fri 18, Mon 21, Tue 22
        assert due.appeals_due == date(2024, 10, 29)
        assert cycles.appeal_window_open(w.t, w.q3.id, date(2024, 10, 22))
        assert not cycles.appeal_window_open(w.t, w.q3.id, date(2024, 10, 23))
        with force_locale("en"), pytest.raises(EvaluationError, match="window"):
            cycles.finalise(cycle, date(2024, 10, 22))
        cycles.finalise(cycle, date(2024, 10, 23))
        assert cycles.deadlines(w.t, w.q3, cycle).payout_due == date(2024, 11, 6)


def test_a_self_assessment_after_its_deadline_is_late_but_accepted_until_hr_closes_it(w):
    w.start()
    card = w.card_of(w.ex)
    with bound_tenant(w.t):
        line = w.line_of(card, "visits")
        assessments.self_assess(card, {line.id: (D(28), "28 次拜访，见 CRM")}, date(2024, 10, 10))
        row = assessments.assessments(card)[line.id]
        assert row.self_late is False
        assessments.self_assess(card, {line.id: (D(29), "补录 1 次")}, date(2024, 10, 11))
        assert assessments.assessments(card)[line.id].self_late is True
        assert assessments.assessments(card)[line.id].self_actual == D(29)
        cycles.advance(_cycle(w), date(2024, 10, 11))
        with force_locale("en"), pytest.raises(EvaluationError, match="closed"):
            assessments.self_assess(card, {line.id: (D(30), "again")}, date(2024, 10, 11))
        db.session.commit()
        assert _cycle(w).stage == CycleStage.MANAGER


def test_a_manager_score_unlike_the_self_assessment_needs_a_concrete_comment(w):
    w.start()
    card = w.card_of(w.ex)
    with bound_tenant(w.t):
        visits, collect = w.line_of(card, "visits"), w.line_of(card, "collection_rate")
        timely = w.line_of(card, "proposal_timeliness")
        assessments.self_assess(
            card, {visits.id: (D(30), ""), collect.id: (D(88), "回款单")}, date(2024, 10, 9)
        )
        cycles.advance(_cycle(w), date(2024, 10, 10))
        db.session.commit()
        with force_locale("en"), pytest.raises(EvaluationError, match="客户拜访"):
            assessments.manager_score(card, {visits.id: (D(28), "少")}, date(2024, 10, 11), "陈经理")
        db.session.rollback()
        assert assessments.assessments(card)[visits.id].manager_on is None
        values = {
            visits.id: (D(28), "9 月 12 日和 9 月 19 日两次拜访没有签到记录，不计入"),
            collect.id: (D(88), ""),  # the same as the self-assessment: no comment needed
            timely.id: (D(100), ""),  # no self-assessment to differ from
        }
        assessments.manager_score(card, values, date(2024, 10, 11), "陈经理")
        db.session.commit()
        card = w.card_of(w.ex)
        assert card.total == D("96.56")  # the DOMAIN.md example, by the one rule
        assert card.rating == "S"
        mv = db.session.scalar(
            select(MetricValue).where(
                MetricValue.tenant_id == w.t, MetricValue.person_id == w.ex.id,
                MetricValue.metric == "visits",
            )
        )  # fmt: skip
        assert mv.actual == D(28)  # the performance bonus reads the manager's value


def test_a_manager_cannot_score_outside_their_team(w, browser):
    w.start()
    with bound_tenant(w.t):
        cycles.advance(_cycle(w), date(2024, 10, 10))
        db.session.commit()
    manager = browser(w.manager_user)
    inside, outside = w.card_of(w.ex), w.card_of(w.b)
    assert manager.get(w.url(f"/scorecards/{inside.id}/review"), headers=EN).status_code == 200
    assert manager.get(w.url(f"/scorecards/{outside.id}/review"), headers=EN).status_code == 404
    resp = manager.post(w.url(f"/scorecards/{outside.id}/review"), data={})
    assert resp.status_code == 404
    # staff may not score anyone, not even their colleague they cannot see
    staff = browser(w.staff_user)
    assert staff.get(w.url(f"/scorecards/{inside.id}/review")).status_code == 404


def test_self_assessment_page_with_evidence_file_and_who_may_download_it(w, browser):
    w.start()
    card = w.card_of(w.a)  # 张伟, the staff login
    staff = browser(w.staff_user)
    page = staff.get(w.url(f"/scorecards/{card.id}/assess"), headers=EN)
    assert page.status_code == 200 and "My actual" in page.get_data(as_text=True)
    with bound_tenant(w.t):
        visits = w.line_of(card, "visits")
    data = {
        f"actual_{visits.id}": "31", f"evidence_{visits.id}": "CRM 拜访记录 31 次",
        f"file_{visits.id}": (io.BytesIO(b"%PDF-1.4 evidence"), "拜访.pdf"),
    }  # fmt: skip
    resp = staff.post(w.url(f"/scorecards/{card.id}/assess"), data=data,
                      content_type="multipart/form-data")  # fmt: skip
    assert resp.status_code == 302
    with bound_tenant(w.t):
        (f,) = assessments.evidence(card)[visits.id]
        assert assessments.assessments(card)[visits.id].self_actual == D(31)
    url = w.url(f"/scorecards/{card.id}/evidence/{f.id}")
    assert staff.get(url).data == b"%PDF-1.4 evidence"
    assert browser(w.manager_user).get(url).status_code == 200  # 张伟 is in his team
    assert browser(w.other_staff_user).get(url).status_code == 404
    # a file that is not what its name says is refused, nothing saved
    bad = {f"file_{visits.id}": (io.BytesIO(b"not a pdf"), "x.pdf")}
    resp = staff.post(w.url(f"/scorecards/{card.id}/assess"), data=bad,
                      content_type="multipart/form-data", headers=EN)  # fmt: skip
    assert resp.status_code == 422 and "does not match" in resp.get_data(as_text=True)
    # nobody else assesses 张伟
    assert browser(w.manager_user).get(w.url(f"/scorecards/{card.id}/assess")).status_code == 403


def test_bad_numbers_are_refused_with_the_kpi_named(w, browser):
    w.start()
    card = w.card_of(w.a)
    with bound_tenant(w.t):
        visits = w.line_of(card, "visits")
    staff = browser(w.staff_user)
    resp = staff.post(w.url(f"/scorecards/{card.id}/assess"),
                      data={f"actual_{visits.id}": "abc"}, headers=EN)  # fmt: skip
    assert resp.status_code == 422 and "客户拜访" in resp.get_data(as_text=True)
    with bound_tenant(w.t):
        assert db.session.scalar(select(LineAssessment.id)) is None


def test_hr_publishes_the_person_sees_results_then_and_hr_reopens_with_a_reason(w, browser):
    w.start()
    card = w.card_of(w.a)
    staff = browser(w.staff_user)
    with bound_tenant(w.t):
        for line, kpi in scorecards.lines(card):
            if kpi.source.value == "entered":
                scorecards.enter(card, w.q3, {line.id: (kpi.default_target, None)})
        db.session.commit()
    page = staff.get(w.url(f"/scorecards/{card.id}"), headers=EN).get_data(as_text=True)
    assert "Not published yet" in page
    hr = browser(w.hr_user)
    period = w.q3.id
    for action in ("advance", "advance"):
        resp = hr.post(w.url(f"/evaluation/cycle/{period}/step"), data={"action": action})
        assert resp.status_code == 302
    with bound_tenant(w.t):
        incomplete = [c for c in scorecards.cards(w.t, w.q3) if c.total is None]
    if incomplete:  # other people's entered KPIs: hr fills them before publishing
        resp = hr.post(w.url(f"/evaluation/cycle/{period}/step"), data={"action": "publish"},
                       headers=EN)  # fmt: skip
        assert resp.status_code == 422 and "incomplete" in resp.get_data(as_text=True)
        with bound_tenant(w.t):
            for c in incomplete:
                for line, _kpi in scorecards.lines(c):
                    if line.actual is None:
                        scorecards.enter(c, w.q3, {line.id: (D(1), D(1))})
            db.session.commit()
    resp = hr.post(w.url(f"/evaluation/cycle/{period}/step"), data={"action": "publish"})
    assert resp.status_code == 302
    page = staff.get(w.url(f"/scorecards/{card.id}"), headers=EN).get_data(as_text=True)
    assert "Not published yet" not in page
    # reopen needs a reason
    resp = hr.post(w.url(f"/evaluation/cycle/{period}/reopen"), data={"stage": "manager"},
                   headers=EN)  # fmt: skip
    assert resp.status_code == 422 and "reason" in resp.get_data(as_text=True)
    resp = hr.post(w.url(f"/evaluation/cycle/{period}/reopen"),
                   data={"stage": "manager", "reason": "王芳的回款数据有误"})  # fmt: skip
    assert resp.status_code == 302
    with bound_tenant(w.t):
        assert _cycle(w).stage == CycleStage.MANAGER and _cycle(w).published_on is None
        entry = db.session.scalar(
            select(AuditLog).where(AuditLog.action == "evaluation_cycle.reopen")
        )
        assert entry.after["reason"] == "王芳的回款数据有误"
    # the staff member cannot move the cycle
    assert staff.post(w.url(f"/evaluation/cycle/{period}/step"),
                      data={"action": "advance"}).status_code == 403  # fmt: skip


def test_finalising_asks_the_finalise_checks(w, monkeypatch):
    with bound_tenant(w.t):
        cycle = cycles.start(w.t, w.q3, date(2024, 10, 8))
        cycle.stage, cycle.published_on = CycleStage.PUBLISHED, date(2024, 10, 17)
        monkeypatch.setattr(cycles, "FINALISE_CHECKS", [lambda t, p: "2 appeals are open."])
        with force_locale("en"), pytest.raises(EvaluationError, match="appeals are open"):
            cycles.finalise(cycle, date(2024, 11, 1))
        assert cycle.stage == CycleStage.PUBLISHED


def test_an_upheld_appeal_changes_the_score_of_an_open_period_only(w):
    with bound_tenant(w.t):
        card = w.card_of(w.ex)
        visits = w.line_of(card, "visits")
        cycles.score_changed_after_appeal(visits, D(30), "拜访记录已补齐", None)
        db.session.commit()
        assert w.line_of(card, "visits").score == D(100)
        entry = db.session.scalar(
            select(AuditLog).where(AuditLog.action == "scorecard.appeal_upheld")
        )
        assert entry.after["reason"] == "拜访记录已补齐"
        w.q3.status = w.q3.status.__class__("closed")
        db.session.commit()
        with force_locale("en"), pytest.raises(EvaluationError, match="closed"):
            cycles.score_changed_after_appeal(visits, D(10), "x", None)


def test_to_do_items_and_reminders_reach_whoever_owes_the_step(w, browser):
    w.start()
    with bound_tenant(w.t):
        staff_me = w.a
        items = duties.home_items(w.t, staff_me, "staff", date(2024, 10, 11))
        assert [i.overdue for i in items] == [True]
        assert "2024-Q3" in items[0].text
        hr_items = duties.home_items(w.t, None, "hr", date(2024, 10, 11))
        assert hr_items and hr_items[0].overdue
        assert duties.home_items(w.t, None, "hr", date(2024, 10, 9)) == []
        told = duties.remind(w.t, date(2024, 10, 11))
        assert told >= 1 and duties.remind(w.t, date(2024, 10, 11)) == 0  # once a day
        notes = db.session.scalars(
            select(Notification).where(Notification.kind == "evaluation_self_due")
        ).all()
        assert {n.user_id for n in notes} >= {w.staff_user.id}
    home = browser(w.staff_user).get(w.url("/"), headers=EN).get_data(as_text=True)
    assert "Self-assessment for 2024-Q3" in home


def test_the_cycle_page_in_three_languages(w, browser):
    w.start()
    hr = browser(w.hr_user)
    for lang, word in (("zh-CN", "自评"), ("zh-TW", "自評"), ("en", "Self-assessment")):
        page = hr.get(w.url(f"/evaluation/cycle?period_id={w.q3.id}"),
                      headers={"Accept-Language": lang})  # fmt: skip
        assert page.status_code == 200 and word in page.get_data(as_text=True)


def test_a_cycle_needs_scorecards_and_an_open_period(w):
    with bound_tenant(w.t):
        empty = Period(tenant_id=w.t, kind=PeriodKind.QUARTER, label="2024-Q4",
                       start_date=date(2024, 10, 1), end_date=date(2024, 12, 31))  # fmt: skip
        db.session.add(empty)
        db.session.flush()
        with force_locale("en"), pytest.raises(EvaluationError, match="scorecards"):
            cycles.start(w.t, empty, date(2025, 1, 2))
