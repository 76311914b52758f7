"""Using the results (issue 14 item 6) and the period review (item 8): C ratings
ask for improvement plans, the promotion list, ratings feed the performance bonus,
and the review's figures — quartiles to the cent, ROI per plan — with its export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from jili.alerts.models import ImprovementPlan
from jili.evaluation.models import Scorecard
from jili.evaluation.services import results
from jili.extensions import db
from jili.incentives.engine.facts import build_facts
from jili.models import AuditLog, MetricValue, Notification, PayoutLineRecord, Period, TenantScheme
from jili.periods.models import PeriodKind
from jili.plan_as_code.demo import tenant_today
from jili.review.services.figures import distribution, quantile
from jili.schemes import Fact
from jili.tenancy import bound_tenant
from jili_performance_bonus import PerformanceBonus
from test_runs_pages import EN, CalcWorld

D = Decimal


# -- statistics on known data ---------------------------------------------------------


def test_quartiles_interpolate_exactly_to_the_fen():
    pays = [D("1200.00"), D("4800.00"), D("6000.00"), D("11700.00")]
    dist = distribution(pays)
    assert (dist.q1, dist.median, dist.q3) == (D("3900.00"), D("5400.00"), D("7425.00"))
    assert (dist.minimum, dist.maximum, dist.total) == (D("1200.00"), D("11700.00"), D("23700.00"))
    assert dist.top_count == 1 and dist.top_total == D("11700.00")
    assert dist.top_share.quantize(D("0.01")) == D("49.37")
    # an odd count: the middle one; half a fen stays exact (never rounded here)
    assert quantile([D("0.03"), D("0.01"), D("0.02")], D("0.5")) == D("0.02")
    assert quantile([D("0.01"), D("0.02")], D("0.5")) == D("0.015")
    assert quantile([D("5.00")], D("0.25")) == D("5.00")


def test_the_top_tenth_is_at_least_one_person_and_rounds_up():
    pays = [D(n) for n in range(1, 12)]  # 11 people: the top tenth is 2 of them
    dist = distribution(pays)
    assert dist.top_count == 2 and dist.top_total == D(21)
    assert distribution([]) is None


# -- the world ------------------------------------------------------------------------


class ResultsWorld(CalcWorld):
    """CalcWorld (Q3 run: 张伟 11,700.00, 李娜 4,800.00, 王芳 6,000.00, 赵直属
    1,200.00) plus Q2 and Q3 ratings: 张伟 A then S, 李娜 A then B, 王芳 S then C."""

    def __init__(self, tenant, member, browser):
        super().__init__(tenant, member)
        self.owner = browser(tenant.owner)
        self.year = self._year()
        with bound_tenant(self.t):
            ratings = {self.a: ("A", "S"), self.a2: ("A", "B"), self.b: ("S", "C")}
            self.cards = {}
            for person, (q2, q3) in ratings.items():
                for period, label in ((self.q2, q2), (self.q3, q3)):
                    card = Scorecard(tenant_id=self.t, period_id=period.id, person_id=person.id,
                                     level="core", total=D("85"), rating=label)  # fmt: skip
                    db.session.add(card)
                    db.session.flush()
                    self.cards[person.id, period.id] = card
            db.session.commit()

    def _year(self):
        with bound_tenant(self.t):
            year = Period(tenant_id=self.t, kind=PeriodKind.YEAR, label="2024",
                          start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))  # fmt: skip
            q1 = Period(tenant_id=self.t, kind=PeriodKind.QUARTER, label="2024-Q1",
                        start_date=date(2024, 1, 1), end_date=date(2024, 3, 31))  # fmt: skip
            db.session.add_all([year, q1])
            db.session.commit()
            return year


@pytest.fixture
def world(make_tenant, member, browser):
    return ResultsWorld(make_tenant(), member, browser)


# -- improvement plans for C ratings ---------------------------------------------------


def test_a_c_rating_opens_an_improvement_plan_once_and_tells_the_person(world):
    with bound_tenant(world.t):
        low = results.low_ratings(world.t, world.q3)
        assert [r.person.name for r in low] == ["王芳"]
        opened = results.open_plans(world.t, world.q3, date(2024, 10, 8))
        assert [p.person_id for p in opened] == [world.b.id]
        assert opened[0].scorecard_id == world.cards[world.b.id, world.q3.id].id
        assert opened[0].alert_id is None
        assert opened[0].due_date == date(2024, 10, 15)  # 5 working days later
        assert results.open_plans(world.t, world.q3, date(2024, 10, 9)) == []  # once
        db.session.commit()
        notes = db.session.scalars(
            select(Notification).where(Notification.kind == "improvement_plan_due")
        ).all()
        assert notes and all(f"/improvement-plans/{opened[0].id}" in n.link for n in notes)
        assert db.session.scalar(
            select(AuditLog.id).where(AuditLog.action == "improvement_plan.open")
        )


def test_the_results_page_offers_the_plan_and_the_person_writes_it_then_hr_evaluates(
    world, browser
):
    hr = browser(world.hr_user)
    page = hr.get(world.url(f"/evaluation/results?period_id={world.q3.id}"), headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王芳" in html and "Open improvement plans" in html
    resp = hr.post(world.url(f"/evaluation/results/plans?period_id={world.q3.id}"), headers=EN)
    assert resp.status_code == 302
    with bound_tenant(world.t):
        plan = db.session.scalar(
            select(ImprovementPlan).where(ImprovementPlan.person_id == world.b.id)
        )
    url = world.url(f"/improvement-plans/{plan.id}")
    # 王芳 herself (other_staff_user) writes the actions; the follow-up is today
    staff = browser(world.other_staff_user)
    assert staff.get(url, headers=EN).status_code == 200
    today = tenant_today(world.tenant).isoformat()  # the company's today
    bad = staff.post(url, data={"actions": "", "follow_up_date": today}, headers=EN)
    assert bad.status_code == 422 and "Write the actions" in bad.get_data(as_text=True)
    ok = staff.post(url, data={"actions": "每周两次陪访", "follow_up_date": today}, headers=EN)
    assert ok.status_code == 302
    # she may not evaluate herself; hr does, on the follow-up date
    assert (
        staff.post(url + "/second", data={"rating": "B", "outcome": "improved"}).status_code == 403
    )
    refused = hr.post(url + "/second", data={"rating": "Z", "outcome": "improved"}, headers=EN)
    assert refused.status_code == 422 and "Choose a rating" in refused.get_data(as_text=True)
    done = hr.post(url + "/second", data={"rating": "B", "outcome": "improved", "note": "好转"},
                   headers=EN)  # fmt: skip
    assert done.status_code == 302
    with bound_tenant(world.t):
        db.session.refresh(plan)
        assert (plan.actions, plan.second_rating, plan.second_outcome) == (
            "每周两次陪访",
            "B",
            "improved",
        )
    shown = hr.get(url, headers=EN).get_data(as_text=True)
    assert "Rated B on" in shown and "Improved" in shown
    # another staff member does not see it at all
    assert browser(world.staff_user).get(url).status_code == 404


# -- promotion list ---------------------------------------------------------------------


def test_two_consecutive_a_or_better_put_a_person_on_the_promotion_list(world, browser):
    with bound_tenant(world.t):
        periods, rows = results.promotion_list(world.t, 2)
        assert [p.label for p in periods] == ["2024-Q2", "2024-Q3"]
        assert [(r.person.name, r.ratings) for r in rows] == [("张伟", ["A", "S"])]
        # one rating is enough with a streak of 1: the latest quarter's A or better
        _p, rows = results.promotion_list(world.t, 1)
        assert [r.person.name for r in rows] == ["张伟"]
        # three in a row: only two rated quarters exist
        periods, rows = results.promotion_list(world.t, 3)
        assert rows == []
        # calibrating 李娜's Q3 B up to A puts her on the list
        world.cards[world.a2.id, world.q3.id].adjusted_rating = "A"
        db.session.flush()
        _p, rows = results.promotion_list(world.t, 2)
        assert [r.person.name for r in rows] == ["张伟", "李娜"]
        db.session.rollback()
    hr = browser(world.hr_user)
    bad = hr.post(world.url("/evaluation/results/streak"), data={"streak": "0"}, headers=EN)
    assert bad.status_code == 422 and "from 1 to 12" in bad.get_data(as_text=True)
    assert hr.post(world.url("/evaluation/results/streak"), data={"streak": "1"}).status_code == 302
    with bound_tenant(world.t):
        assert db.session.merge(world.tenant).promotion_streak == 1
    xlsx = hr.get(world.url("/evaluation/promotion.xlsx"))
    assert xlsx.status_code == 200
    ws = load_workbook(BytesIO(xlsx.data)).active
    assert [c.value for c in ws[1]][:3] == ["Employee number", "Name", "Team"] or ws.max_row >= 2
    assert [c.value for c in ws[2]][:2] == ["E1", "张伟"]
    # a manager and staff are refused
    assert browser(world.manager_user).get(world.url("/evaluation/results")).status_code == 403
    assert browser(world.staff_user).get(world.url("/evaluation/promotion.xlsx")).status_code == 403


# -- ratings feed the performance bonus -----------------------------------------------------


def test_the_engine_reads_final_ratings_and_a_minimum_rating_pays_an_explained_zero(world):
    with bound_tenant(world.t):
        facts = build_facts(world.t, world.q3, frozenset({Fact.RATINGS}))
        assert facts.rating_labels == ("S", "A", "B", "C")
        assert {pid: facts.people[pid].rating for pid in (world.a.id, world.a2.id, world.b.id)} == {
            world.a.id: "S",
            world.a2.id: "B",
            world.b.id: "C",
        }
        assert facts.people[world.direct.id].rating is None
        for person in (world.a, world.b):  # a KPI total of 93.2 for both
            db.session.add(MetricValue(tenant_id=world.t, period_id=world.q3.id, person_id=person.id,
                                       metric="score", weight=D(1), actual=D("93.2"), target=D(100)))  # fmt: skip
        db.session.add(TenantScheme(tenant_id=world.t, scheme_key="performance_bonus"))
        world.make_plan("绩效奖金", PerformanceBonus, {"minimum_rating": "B"})
        db.session.commit()
    assert world.calculate(world.owner).status_code == 302
    run = world.runs()[-1]
    with bound_tenant(world.t):
        lines = {
            line.person_id: line
            for line in db.session.scalars(
                select(PayoutLineRecord).where(
                    PayoutLineRecord.run_id == run.id,
                    PayoutLineRecord.scheme_key == "performance_bonus",
                )
            )
        }
    # 张伟 (S): 8,000 × 1.2 × 130 % = 12,480.00; 王芳 (C): nothing, and why
    assert lines[world.a.id].amount == D("12480.00")
    assert lines[world.b.id].amount == D("0.00")
    assert "rating C is below the plan's minimum rating B" in lines[world.b.id].explanation_text
    assert "no rating for the period" in lines[world.direct.id].explanation_text


def test_a_month_reads_the_rating_of_its_quarter(world):
    with bound_tenant(world.t):
        aug = Period(tenant_id=world.t, kind=PeriodKind.MONTH, label="2024-08",
                     start_date=date(2024, 8, 1), end_date=date(2024, 8, 31))  # fmt: skip
        db.session.add(aug)
        db.session.flush()
        facts = build_facts(world.t, aug, frozenset({Fact.RATINGS}))
        assert facts.people[world.b.id].rating == "C"
        db.session.rollback()


# -- the period review ---------------------------------------------------------------------


def test_the_review_shows_quartiles_roi_and_ratings_of_the_quarter(world, browser):
    assert world.calculate(world.owner).status_code == 302
    hr = browser(world.hr_user)
    page = hr.get(world.url(f"/review?span={world.q3.id}"), headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for figure in ("3,900.00", "5,400.00", "7,425.00", "11,700.00", "23,700.00", "49.37 %"):
        assert figure in html, figure
    # ROI of the plan: 23,700.00 over 1,650,000.00 of its people's revenue
    assert "1,650,000.00" in html and "1.44 %" in html and "69.62" in html
    # attainment: 张伟 130 %, 李娜 80 %, 王芳 100 %, 赵直属 20 %
    assert "130 %" in html and "<svg" in html and 'role="img"' in html
    # ratings of Q3: one S, one B, one C
    assert "Rating distribution" in html
    # the half-year H2 (Q3 + Q4) is offered only when both quarters exist: not here
    assert "2024-H1" in html  # Q1 and Q2 exist
    assert "Anonymous feedback" in html
    # appeals show only when a provider is registered
    assert "review-appeals" not in html
    for role_user in (world.manager_user, world.staff_user):
        assert browser(role_user).get(world.url("/review")).status_code == 403
    assert hr.get(world.url("/review?span=999999")).status_code == 404


def test_the_review_exports_one_sheet_per_table_with_amounts_as_numbers(world, browser):
    assert world.calculate(world.owner).status_code == 302
    hr = browser(world.hr_user)
    resp = hr.get(world.url(f"/review/export.xlsx?span={world.q3.id}"), headers=EN)
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.data))
    assert len(wb.sheetnames) >= 7
    sheet = next(wb[n] for n in wb.sheetnames if "Payout per person" in n)
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["张伟"][3] == 11700 and isinstance(rows["张伟"][3], int | float | Decimal)
    assert sheet.cell(row=2, column=4).number_format == "#,##0.00"
    stats = next(wb[n] for n in wb.sheetnames if "Payout statistics" in n)
    values = {r[0]: r[1] for r in stats.iter_rows(min_row=2, values_only=True)}
    assert values["Median"] == 5400 and values["Lower quartile"] == 3900
    with bound_tenant(world.t):
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "review.export"))


def test_a_registered_provider_adds_its_section(world, browser):
    from jili.review.services import sections

    def appeals(tenant_id, span):
        return sections.Section("appeals", "Appeals", "2 upheld, 1 rejected",
                                tables=[sections.Table("Appeals", ["Outcome", "Count"],
                                                       [["upheld", 2]])])  # fmt: skip

    sections.PROVIDERS.append(appeals)
    try:
        html = browser(world.hr_user).get(world.url("/review"), headers=EN).get_data(as_text=True)
        assert 'id="review-appeals"' in html and "2 upheld, 1 rejected" in html
    finally:
        sections.PROVIDERS.remove(appeals)
