"""The evaluation pages: the KPI library and sets, rating bands, scorecards and
calibration."""

from decimal import Decimal

from jili.evaluation.views import assess, cards, cycle, library, results  # noqa: F401
from jili.schemes import fmt_number, quantize
from jili.web import bp


@bp.app_template_filter("kpi_number")
def kpi_number(value, places: int = 4) -> str:
    """A KPI value, weight or score without trailing zeros: 96.5600 → 96.56."""
    return fmt_number(quantize(Decimal(value), places))
