"""Appeals and pay inquiries (issue 14 item 5): a named case about a score, a
statement line or a missing deal credit; answered within working days; upheld
→ a visible correction line in an open period, never an edit of a closed run."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from jili.appeals.models import AppealCase, AppealFile, CaseKind, CaseStatus, PayCorrection
from jili.appeals.services import cases, decisions, rules
from jili.evaluation.models import LineAssessment, ScorecardLine
from jili.evaluation.services import scorecards
from jili.extensions import db
from jili.incentives.engine import calculate_period, latest_run, run_lines
from jili.incentives.engine.corrections import CORRECTIONS_PLAN_ID
from jili.incentives.models import PayoutLineRecord, TenantScheme
from jili.models import AuditLog, Notification, Period, PeriodStatus
from jili.tenancy import bound_tenant
from jili.workdays import services as workdays
from jili_performance_bonus.scheme import PerformanceBonus
from test_evaluation import EvalWorld

D = Decimal
EN = {"Accept-Language": "en"}
TODAY = date(2024, 10, 11)  # a Friday


class AppealWorld(EvalWorld):
    """周例 (E9, with a login) scored in 2024-Q3 with visits 10 of 30 (total
    87.56, coefficient 1.0): performance bonus 8,000 × 1.0 × 96 % = 7,680.00.
    Q3 is calculated and closed; Q4 is open."""

    def __init__(self, tenant, member):
        super().__init__(tenant, member)
        self.ex_user = member(tenant, "staff")
        with bound_tenant(self.t):
            self.ex.user_id = self.ex_user.id
            self.q4 = self._period("2024-Q4", date(2024, 10, 1), date(2024, 12, 31))
            db.session.add(TenantScheme(tenant_id=self.t, scheme_key="performance_bonus"))
            self.bonus = self.make_plan("绩效奖金", PerformanceBonus)
            scorecards.generate(self.t, self.q3)
            card = self.card(self.ex)
            by_kpi = {line.kpi_id: line for line, _k in scorecards.lines(card)}
            self.visits_line = by_kpi[self.visits.id]
            scorecards.enter(card, self.q3, {
                by_kpi[self.collect.id].id: (D(88), None),
                self.visits_line.id: (D(10), None),
                by_kpi[self.timely.id].id: (D(100), None),
            })  # fmt: skip
            db.session.commit()
            assert card.total == D("87.56")

    def close_q3(self):
        with bound_tenant(self.t):
            calculate_period(self.tenant, self.q3)
            db.session.execute(
                update(Period).where(Period.id == self.q3.id).values(status=PeriodStatus.CLOSED)
            )
            db.session.commit()
            db.session.expire_all()

    def q3_bonus(self):
        run = latest_run(self.t, self.q3.id)
        return [
            line.amount for line in run_lines(run, [self.ex.id]) if line.plan_id == self.bonus.id
        ]

    def raise_score(self, claimed="28", reason="拜访记录在 CRM 里有 28 次"):
        case = cases.raise_case(
            self.t, self.ex_user, self.ex, CaseKind.SCORE, today=TODAY, reason=reason,
            line_id=self.visits_line.id, claimed=D(claimed),
        )  # fmt: skip
        db.session.commit()
        return case


@pytest.fixture
def world(make_tenant, member, app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    return AppealWorld(make_tenant(), member)


def test_an_upheld_appeal_on_a_closed_period_is_paid_in_the_next_open_period(world, browser):
    w = world
    w.close_q3()
    with bound_tenant(w.t):
        assert w.q3_bonus() == [D("7680.00")]
        q3_run = latest_run(w.t, w.q3.id)
        q3_lines = db.session.scalar(
            select(func.count(PayoutLineRecord.id)).where(PayoutLineRecord.run_id == q3_run.id)
        )
        case = w.raise_score()
        correction = decisions.uphold(w.t, case, w.hr_user, "CRM 记录属实")
        db.session.commit()
        # 96.56 → coefficient 1.2: bonus 8,000 × 1.2 × 96 % = 9,216.00 instead of
        # 7,680.00; with the commission (480,000 × 1.2 % = 5,760.00) unchanged
        assert correction.amount == D("1536.00")
        assert correction.period_id == w.q4.id and correction.source_period_id == w.q3.id
        assert "recalculated 14,976.00 − paid 13,440.00 = +1,536.00" in correction.words
        assert "客户拜访 10 → 28" in correction.words and f"#{case.id}" in correction.words
        assert case.status == CaseStatus.UPHELD and case.actual_upheld == D(28)
        # the closed run is unchanged, and so is the closed scorecard
        assert latest_run(w.t, w.q3.id).id == q3_run.id and w.q3_bonus() == [D("7680.00")]
        assert (
            db.session.scalar(
                select(func.count(PayoutLineRecord.id)).where(PayoutLineRecord.run_id == q3_run.id)
            )
            == q3_lines
        )
        assert w.card(w.ex).total == D("87.56")
        # Q4's run carries the correction as its own line, with its words
        run = calculate_period(w.tenant, w.q4)
        mine = [line for line in run_lines(run, [w.ex.id]) if line.scheme_key == "correction"]
        assert [line.amount for line in mine] == [D("1536.00")]
        assert run.total == sum(line.amount for line in run_lines(run))
        actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.tenant_id == w.t)))
        assert {"appeal.raise", "appeal.uphold", "pay_correction.create"} <= actions
    hr = browser(w.hr_user)
    page = hr.get(w.url(f"/periods/{w.q4.id}/statements/{w.ex.id}"), headers=EN).text
    assert "Corrections from appeals" in page and "1,536.00" in page and "10 → 28" in page
    zh = hr.get(
        w.url(f"/periods/{w.q4.id}/statements/{w.ex.id}"), headers={"Accept-Language": "zh-CN"}
    ).text
    assert "申诉" in zh and "1,536.00" in zh
    staff = browser(w.ex_user)
    mine = staff.get(w.url(f"/appeals/{case.id}"), headers=EN).text
    assert "Upheld" in mine and "CRM 记录属实" in mine and "1,536.00" in mine


def test_a_second_upheld_appeal_of_the_same_closed_period_counts_the_first(world):
    w = world
    w.close_q3()
    with bound_tenant(w.t):
        first = w.raise_score(claimed="28")
        assert decisions.uphold(w.t, first, w.hr_user, "ok").amount == D("1536.00")
        db.session.commit()
        second = w.raise_score(claimed="10", reason="我点错了")
        # back to 10 visits: 13,440.00 − paid 13,440.00 − corrected 1,536.00 = −1,536.00
        again = decisions.uphold(w.t, second, w.hr_user, "ok")
        assert again.amount == D("-1536.00") and "corrected before 1,536.00" in again.words


def test_an_upheld_appeal_on_an_open_period_changes_the_scorecard(world):
    w = world
    with bound_tenant(w.t):
        case = w.raise_score()
        assert decisions.uphold(w.t, case, w.hr_user, "属实") is None
        db.session.commit()
        card = w.card(w.ex)
        assert card.total == D("96.56") and card.rating == "S"
        run = calculate_period(w.tenant, w.q3)
        bonus = [x.amount for x in run_lines(run, [w.ex.id]) if x.plan_id == w.bonus.id]
        assert bonus == [D("9216.00")]


def test_an_upheld_appeal_goes_through_the_cycle_so_the_managers_assessment_follows(world):
    """One way to change a score after an appeal (the evaluation cycle's): the
    manager's assessment of the line follows and the audit entry names the case."""
    w = world
    with bound_tenant(w.t):
        db.session.add(LineAssessment(tenant_id=w.t, line_id=w.visits_line.id,
                                      period_id=w.q3.id, manager_actual=D(10)))  # fmt: skip
        db.session.commit()
        case = w.raise_score()
        decisions.uphold(w.t, case, w.hr_user, "CRM 记录属实")
        db.session.commit()
        assessment = db.session.scalar(
            select(LineAssessment).where(LineAssessment.line_id == w.visits_line.id)
        )
        assert assessment.manager_actual == D(28)
        entry = db.session.scalar(
            select(AuditLog).where(AuditLog.action == "scorecard.appeal_upheld")
        )
        assert entry.after["case"] == case.id and entry.after["reason"] == "CRM 记录属实"
        assert D(entry.after["actual"]) == D(28)


def test_a_rejected_case_keeps_its_reason_and_the_person_sees_it(world, browser):
    w = world
    with bound_tenant(w.t):
        case = w.raise_score()
        with pytest.raises(rules.AppealError):
            decisions.reject(w.t, case, w.hr_user, "  ")
        decisions.reject(w.t, case, w.hr_user, "CRM 只有 10 次有效拜访")
        db.session.commit()
        assert case.status == CaseStatus.REJECTED and case.decision_note == "CRM 只有 10 次有效拜访"
        assert db.session.scalar(select(func.count(PayCorrection.id))) == 0
        kinds = set(
            db.session.scalars(
                select(Notification.kind).where(Notification.user_id == w.ex_user.id)
            )
        )
        assert "appeal_decided" in kinds
        with pytest.raises(rules.AppealError):
            decisions.uphold(w.t, case, w.hr_user, "再改")
    page = browser(w.ex_user).get(w.url(f"/appeals/{case.id}"), headers=EN).text
    assert "Rejected" in page and "CRM 只有 10 次有效拜访" in page


def test_the_deadline_counts_working_days_across_a_weekend_and_a_holiday(world):
    w = world
    with bound_tenant(w.t):
        workdays.set_day(w.t, date(2024, 10, 15), False, "假日")
        db.session.commit()
        # Fri 11 Oct + 5 working days: 14, 16, 17, 18, 21 (weekend and the 15th skipped)
        assert rules.due_date(w.t, TODAY) == date(2024, 10, 21)
        rules.set_answer_days(w.t, 2)
        assert rules.due_date(w.t, TODAY) == date(2024, 10, 16)
        with pytest.raises(rules.AppealError):
            rules.set_answer_days(w.t, 0)
        case = w.raise_score()
        assert case.due_on == date(2024, 10, 16)
        assert decisions.overdue(w.t, date(2024, 10, 16)) == []
        assert decisions.overdue(w.t, date(2024, 10, 17)) == [case]


def test_a_statement_inquiry_upheld_pays_the_amount_hr_enters_with_its_words(world, browser):
    w = world
    w.close_q3()
    with bound_tenant(w.t):
        line = next(c.line for c in cases.statement_choices(w.t, w.ex.id))
        case = cases.raise_case(w.t, w.ex_user, w.ex, CaseKind.STATEMENT, today=TODAY,
                                reason="奖金少了", line_id=line.id)  # fmt: skip
        db.session.commit()
        with pytest.raises(rules.AppealError):
            decisions.uphold(w.t, case, w.hr_user, "属实", amount=None)
        fix = decisions.uphold(
            w.t, case, w.hr_user, "属实", amount=D("200.50"), words="漏算回款奖励"
        )
        db.session.commit()
        assert (
            fix.amount == D("200.50") and fix.period_id == w.q4.id and "漏算回款奖励" in fix.words
        )
    page = browser(w.ex_user).get(w.url(f"/appeals/{case.id}"), headers=EN).text
    assert "Upheld" in page and "漏算回款奖励" in page and "+200.50" in page
    assert f"/periods/{w.q3.id}/statements/{w.ex.id}" in page and "阶梯提成" in page


def test_a_missing_credit_and_bad_input_are_refused_clearly_and_store_nothing(world, browser):
    w = world
    staff = browser(w.ex_user)
    bad = staff.post(w.url("/appeals/new?kind=credit"), data={
        "period_id": w.q3.id, "reference": "", "amount": "1000", "reason": "漏记",
    }, headers=EN)  # fmt: skip
    assert bad.status_code == 200 and "Enter the deal&#39;s number or reference." in bad.text
    worse = staff.post(w.url("/appeals/new?kind=credit"), data={
        "period_id": w.q3.id, "reference": "HT-1", "amount": "1e9", "reason": "漏记",
    }, headers=EN)  # fmt: skip
    assert worse.status_code == 200
    exe = staff.post(w.url("/appeals/new?kind=credit"), data={
        "period_id": w.q3.id, "reference": "HT-1", "amount": "1000", "reason": "漏记",
        "evidence": (io.BytesIO(b"MZ\x90\x00"), "x.exe"),
    }, headers=EN, content_type="multipart/form-data")  # fmt: skip
    assert exe.status_code == 200 and "Attach a PDF" in exe.text
    with bound_tenant(w.t):
        assert db.session.scalar(select(func.count(AppealCase.id))) == 0
    ok = staff.post(w.url("/appeals/new?kind=credit"), data={
        "period_id": w.q3.id, "reference": "HT-1", "amount": "120,000", "reason": "HT-1 是我签的",
        "evidence": (io.BytesIO(b"%PDF-1.4 contract"), "合同.pdf"),
    }, headers=EN, content_type="multipart/form-data")  # fmt: skip
    assert ok.status_code == 302
    with bound_tenant(w.t):
        case = db.session.scalar(select(AppealCase))
        assert case.amount_claimed == D("120000.00") and case.reference == "HT-1"
        stored = db.session.scalar(select(AppealFile))
        assert cases.file_path(w.t, stored).read_bytes() == b"%PDF-1.4 contract"
    got = staff.get(w.url(f"/appeals/{case.id}/files/{stored.id}"))
    assert got.status_code == 200 and got.data == b"%PDF-1.4 contract"
    # a manager does not see a pay inquiry of their team, nor its file
    manager = browser(w.manager_user)
    assert manager.get(w.url(f"/appeals/{case.id}")).status_code == 404
    assert manager.get(w.url(f"/appeals/{case.id}/files/{stored.id}")).status_code == 404
    assert browser(w.hr_user).get(w.url(f"/appeals/{case.id}/files/{stored.id}")).status_code == 200


def test_who_sees_and_answers_a_score_appeal(world, browser):
    w = world
    with bound_tenant(w.t):
        case = w.raise_score()
        notified = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "appeal_raised")
            )
        )
        assert {w.hr_user.id, w.manager_user.id} <= notified and w.ex_user.id not in notified
    manager, other, hr = browser(w.manager_user), browser(w.other_staff_user), browser(w.hr_user)
    assert manager.get(w.url(f"/appeals/{case.id}")).status_code == 200
    assert w.url(f"/appeals/{case.id}") not in other.get(w.url("/appeals")).text
    assert other.get(w.url(f"/appeals/{case.id}")).status_code == 404
    assert other.post(w.url(f"/appeals/{case.id}/reply"), data={"body": "x"}).status_code == 404
    assert (
        manager.post(
            w.url(f"/appeals/{case.id}/reply"), data={"body": "我确认有 28 次"}
        ).status_code
        == 302
    )
    assert (
        manager.post(
            w.url(f"/appeals/{case.id}/decide"), data={"decision": "reject", "note": "x"}
        ).status_code
        == 403
    )
    assert (
        browser(w.ex_user)
        .post(w.url(f"/appeals/{case.id}/decide"), data={"decision": "uphold", "note": "x"})
        .status_code
        == 403
    )
    home = hr.get(w.url("/"), headers=EN).text
    assert f"Answer appeal #{case.id}" in home
    assert (
        hr.post(
            w.url(f"/appeals/{case.id}/decide"), data={"decision": "uphold", "note": "属实"}
        ).status_code
        == 302
    )
    page = browser(w.ex_user).get(w.url(f"/appeals/{case.id}"), headers=EN).text
    assert "我确认有 28 次" in page and "Upheld" in page


def test_another_companys_case_is_404(world, make_tenant, member, browser):
    w = world
    with bound_tenant(w.t):
        case = w.raise_score()
    other = make_tenant(slug="other")
    b = browser(other.owner)
    assert b.get(f"/t/other/appeals/{case.id}").status_code == 404
    assert b.get(w.url(f"/appeals/{case.id}")).status_code == 404


def test_the_demo_company_carries_an_upheld_a_rejected_and_an_open_case(app, tmp_path):
    import shutil

    from jili.models import Tenant
    from jili.plan_as_code.demo import load_current
    from tenant_file_kit import SHILI

    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    shutil.copy(SHILI, tmp_path / SHILI.name)
    load_current(tmp_path, date(2026, 12, 1))
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "shili"))
    with bound_tenant(tenant.id):
        got = sorted((c.kind.value, c.status.value) for c in db.session.scalars(select(AppealCase)))
        assert got == [("score", "rejected"), ("score", "upheld"), ("statement", "open")]
        # both raised in the finished cycle's publication window, decided, then final
        from jili.evaluation.models import CycleStage
        from jili.evaluation.services import cycle as cycles

        upheld = db.session.scalar(select(AppealCase).where(AppealCase.status == "upheld"))
        period = db.session.get(Period, upheld.case_period_id)
        assert period.label == "2026-Q2"
        assert cycles.get_cycle(tenant.id, period.id).stage == CycleStage.FINAL
        # the manager counted only the visits with a sign-in; the appeal restores the
        # self-assessed count, a performance-bonus band higher
        line = db.session.get(ScorecardLine, upheld.scorecard_line_id)
        assert upheld.actual_upheld > upheld.actual_before == line.actual
        assert period.status == PeriodStatus.PUBLISHED  # its pay is out: a correction
        (fix,) = db.session.scalars(select(PayCorrection)).all()
        assert fix.case_id == upheld.id and fix.amount > 0
        assert "recalculated" in fix.words and f"#{upheld.id}" in fix.words
        paid_before = decisions.paid_in_run(tenant.id, period, upheld.person_id)
        assert fix.amount < paid_before  # a band's difference, not the whole bonus
        # the next open quarter's run pays it as a line of its own
        q4 = db.session.get(Period, fix.period_id)
        assert q4.label == "2026-Q4"
        run = calculate_period(tenant, q4, confirm=True)
        mine = [x for x in run_lines(run, [upheld.person_id])
                if x.plan_id == CORRECTIONS_PLAN_ID]  # fmt: skip
        assert [x.amount for x in mine] == [fix.amount]
    load_current(tmp_path, date(2026, 12, 1))  # a second load adds nothing
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(func.count(AppealCase.id))) == 3
        assert db.session.scalar(select(func.count(PayCorrection.id))) == 1


def test_a_period_in_the_cycle_is_appealable_in_its_window_and_finalising_waits(world):
    """With an evaluation cycle, scores are appealable only while the results are
    published and the window is open; an open score appeal stops finalising."""
    from flask_babel import force_locale

    from jili.evaluation.models import CycleStage
    from jili.evaluation.services import cycle as cycles
    from jili.evaluation.services.cycle import EvaluationError

    with bound_tenant(world.t):
        cycle = cycles.start(world.t, world.q3, date(2024, 10, 8))
        db.session.commit()
        assert cases.score_choices(world.t, world.ex.id, TODAY) == []
        with force_locale("en"), pytest.raises(rules.AppealError, match="rated KPI"):
            world.raise_score()
        cycle.stage, cycle.published_on = CycleStage.PUBLISHED, TODAY
        db.session.commit()
        assert [c.line.id for c in cases.score_choices(world.t, world.ex.id, TODAY)] != []
        world.raise_score()
        with force_locale("en"), pytest.raises(EvaluationError, match="still open"):
            cycles.finalise(cycle, date(2024, 11, 1))
        assert cycle.stage == CycleStage.PUBLISHED


def test_the_period_review_counts_the_spans_cases_and_their_corrections(world):
    from flask_babel import force_locale

    from jili.appeals.services import review
    from jili.review.services.figures import Span

    world.close_q3()
    with bound_tenant(world.t):
        upheld = world.raise_score()
        correction = decisions.uphold(world.t, upheld, world.hr_user, "CRM 记录属实")
        rejected = world.raise_score(claimed="20", reason="再看一次")
        decisions.reject(world.t, rejected, world.hr_user, "记录不足")
        db.session.commit()
        span = Span("2024-Q3", world.q3.start_date, world.q3.end_date, str(world.q3.id))
        with force_locale("en"):
            section = review.appeals_section(world.t, span)
        (table,) = section.tables
        # raised on 2024-10-11, due five working days later, decided today: both late
        assert table.rows == [["Score appeal", 2, 1, 1, 0, 2, correction.amount]]
        assert "<svg" in section.chart
        later = Span("2024-Q4", world.q4.start_date, world.q4.end_date, str(world.q4.id))
        assert review.appeals_section(world.t, later) is None
