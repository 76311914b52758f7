"""The rows of the pay-visibility matrix (tests/test_pay_visibility.py) for using
the results and the period review (issue 14 items 6 and 8): a C rating's
improvement plan follows the person's visibility; the results page, the review
and their exports are for the roles that see everyone's pay."""

from __future__ import annotations

from datetime import date

from jili.alerts.models import ImprovementPlan
from jili.extensions import db
from jili.tenancy import bound_tenant

HIDDEN = (404, [])
REFUSED = (403, [])

RESULTS_PAGES = frozenset(
    {
        "tenant.improvement_plan",
        "tenant.evaluation_results",
        "tenant.evaluation_promotion_xlsx",
        "tenant.review",
        "tenant.review_export",
    }
)
RESULTS_NO_PAY = {
    "tenant.improvement_plan_save": "an action (the plan's own visibility applies)",
    "tenant.improvement_plan_second": "an action (the plan's own visibility applies)",
}


def _improvement_plans(w) -> tuple[int, int]:
    """Improvement plans on the Q3 scorecards of 孙外队 (another team, score 87.65)
    and of 李娜 (the manager's sub-team, 23.46: a C)."""
    if not hasattr(w, "plan_ids"):
        with bound_tenant(w.t):
            ids = []
            for person in (w.out, w.a2):
                plan = ImprovementPlan(tenant_id=w.t, person_id=person.id, due_date=date(2024, 10, 9),
                                       scorecard_id=w.cards[person.id].id)  # fmt: skip
                db.session.add(plan)
                db.session.flush()
                ids.append(plan.id)
            db.session.commit()
        w.plan_ids = tuple(ids)
    return w.plan_ids


def results_matrix(w, case) -> dict[str, list[tuple[str, dict]]]:
    """Using the results and the period review (issue 14 items 6 and 8): the review
    shows every team's pay, so only the roles that see everyone's open it."""
    q3 = w.q3.id
    plan_out, plan_a2 = _improvement_plans(w)
    hr_only = {"consultant": REFUSED}
    return {
        "tenant.improvement_plan": [
            (f"/improvement-plans/{plan_out}", case((200, ["孙外队", "87.65"]), HIDDEN, HIDDEN)),
            (f"/improvement-plans/{plan_a2}", case((200, ["李娜", "23.46"]), (200, ["李娜", "23.46"]), HIDDEN)),
        ],
        "tenant.evaluation_results": [
            (f"/evaluation/results?period_id={q3}", case((200, ["李娜"]), REFUSED, REFUSED, **hr_only)),
        ],
        "tenant.evaluation_promotion_xlsx": [
            ("/evaluation/promotion.xlsx", case((200, []), REFUSED, REFUSED, **hr_only)),
        ],
        "tenant.review": [
            (f"/review?span={q3}", case((200, ["36,417.04", "孙外队", "11,851.85"]), REFUSED, REFUSED)),
        ],
        "tenant.review_export": [
            ("/review/export.xlsx", case((200, []), REFUSED, REFUSED)),
        ],
    }  # fmt: skip
