"""The final evaluation rating of each person for a run's period (issue 14,
item 6: ratings feed award eligibility where a plan says so).

A person's rating is that of their scorecard of the period itself, else of the
evaluation period that contains it (a month's run reads the quarter's rating);
the calibrated rating wins over the computed one. The company's rating bands,
best first, come with it so a scheme can compare labels."""

from __future__ import annotations

from sqlalchemy import select

from jili.evaluation.models import Scorecard
from jili.evaluation.services.ratings import bands
from jili.extensions import db
from jili.periods.models import Period


def final_ratings(tenant_id: int, period: Period) -> tuple[tuple[str, ...], dict[int, str]]:
    """(rating labels best first, person id → final rating)."""
    labels = tuple(label for label, _m, _s in bands(tenant_id))
    rows = db.session.execute(
        select(Scorecard, Period)
        .join(
            Period,
            (Period.id == Scorecard.period_id) & (Period.tenant_id == Scorecard.tenant_id),
        )
        .where(
            Scorecard.tenant_id == tenant_id,
            Period.start_date <= period.start_date,
            Period.end_date >= period.end_date,
        )
    ).all()
    out: dict[int, tuple[int, str]] = {}
    for card, card_period in rows:
        rating = card.final_rating
        if rating is None:
            continue
        # The narrowest period wins: the period itself before a quarter around it.
        span = (card_period.end_date - card_period.start_date).days
        if card.person_id not in out or span < out[card.person_id][0]:
            out[card.person_id] = (span, rating)
    return labels, {pid: rating for pid, (_span, rating) in out.items()}
