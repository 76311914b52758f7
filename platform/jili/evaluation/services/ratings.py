"""Rating bands of a company, the rating of a total, the distribution per team
and hr's calibration of a rating (with a reason)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit.services import record
from jili.evaluation.models import RatingBand, Scorecard
from jili.evaluation.services.library import EvaluationError
from jili.extensions import db
from jili.org.models import Person
from jili.periods.models import Period
from jili.schemes.kpi import DEFAULT_RATING_BANDS, rating_for


def bands(tenant_id: int) -> list[tuple[str, Decimal, Decimal | None]]:
    """(label, minimum total, share limit in % or None), best first; the defaults
    (S ≥ 95, A ≥ 90, B ≥ 80, C below) when the company has set none."""
    rows = db.session.scalars(select(RatingBand).where(RatingBand.tenant_id == tenant_id)).all()
    if not rows:
        return [(label, minimum, None) for label, minimum in DEFAULT_RATING_BANDS]
    return sorted(((r.label, r.min_score, r.share_limit) for r in rows), key=lambda b: -b[1])


def rate(tenant_id: int, total: Decimal | None) -> str | None:
    if total is None:
        return None
    return rating_for(total, [(label, minimum) for label, minimum, _s in bands(tenant_id)])


def save_bands(tenant_id: int, rows: list[tuple[str, Decimal, Decimal | None]]) -> None:
    """Replace the company's bands; one must start at 0 so every total has a rating."""
    labels = [label for label, _m, _s in rows]
    if not rows:
        raise EvaluationError(_("Give at least one rating band."))
    if len(set(labels)) != len(labels):
        raise EvaluationError(_("Each rating band needs its own label."))
    if min(m for _l, m, _s in rows) != 0:
        raise EvaluationError(_("The lowest rating band must start at 0."))
    limits = [s for _l, _m, s in rows if s is not None]
    if limits and len(limits) == len(rows) and sum(limits) < 100:
        raise EvaluationError(
            _(
                "When every band has a largest share, the shares must add up to at least "
                "100 percent: otherwise some people could have no rating."
            )
        )
    before = {"bands": [list(b) for b in bands(tenant_id)]}
    for row in db.session.scalars(select(RatingBand).where(RatingBand.tenant_id == tenant_id)):
        db.session.delete(row)
    db.session.flush()
    for label, minimum, share in rows:
        db.session.add(
            RatingBand(tenant_id=tenant_id, label=label, min_score=minimum, share_limit=share)
        )
    db.session.flush()
    after = {"bands": [list(b) for b in bands(tenant_id)]}
    record(
        "rating_bands.update",
        tenant_id=tenant_id,
        object_type="RatingBand",
        object_id="",
        before=before,
        after=after,
    )


def forced(tenant_id: int) -> bool:
    return any(share is not None for _l, _m, share in bands(tenant_id))


def distribution(
    tenant_id: int, period: Period, visible: set[int] | None = None
) -> dict[str, Counter]:
    """Team name (or "") → Counter of final ratings over the period's scorecards."""
    rows = db.session.execute(
        select(Scorecard, Person)
        .join(
            Person,
            (Person.id == Scorecard.person_id) & (Person.tenant_id == Scorecard.tenant_id),
        )
        .where(Scorecard.tenant_id == tenant_id, Scorecard.period_id == period.id)
    ).all()
    out: dict[str, Counter] = {}
    for card, person in rows:
        if visible is not None and person.id not in visible:
            continue
        team = person.team.name if person.team is not None else ""
        out.setdefault(team, Counter())[card.final_rating or "—"] += 1
    return dict(sorted(out.items()))


def over_limits(tenant_id: int, counts: Counter) -> list[str]:
    """Labels whose share of ``counts`` exceeds their forced-distribution limit."""
    n = sum(counts.values())
    if not n:
        return []
    return [
        label
        for label, _m, share in bands(tenant_id)
        if share is not None and Decimal(counts.get(label, 0)) * 100 / n > share
    ]


def adjust(card: Scorecard, label: str | None, reason: str) -> None:
    """Calibrate: set (or with ``label`` None, clear) the card's adjusted rating."""
    if label is not None and label not in [b[0] for b in bands(card.tenant_id)]:
        raise EvaluationError(_("There is no rating %(label)s.", label=label))
    if not reason.strip():
        raise EvaluationError(_("Give a reason for changing a rating."))
    before = {"rating": card.final_rating}
    card.adjusted_rating = None if label == card.rating else label
    card.adjust_reason = reason.strip() if card.adjusted_rating else ""
    record(
        "rating.adjust",
        card,
        before=before,
        after={"rating": card.final_rating, "person_id": card.person_id, "reason": reason.strip()},
    )
