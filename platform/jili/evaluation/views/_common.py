"""Helpers the evaluation pages share."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from jili.evaluation.services.library import EvaluationError
from jili.money import MoneyError, parse_decimal

LIMITS = {
    "value": (4, Decimal("1e14")),  # Numeric(18, 4)
    "weight": (4, Decimal("1e5")),  # Numeric(9, 4)
    "score": (2, Decimal("1e5")),  # Numeric(7, 2) / share limits
}


def number(raw: str | None, label: str, kind: str = "value", minimum=None) -> Decimal | None:
    """A number typed into ``label``, or None when left empty; a clear error naming
    the field otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    places, limit = LIMITS[kind]
    try:
        return parse_decimal(text, places=places, limit=limit, minimum=minimum)
    except MoneyError as exc:
        raise EvaluationError(_("%(field)s: %(why)s", field=label, why=str(exc))) from exc
