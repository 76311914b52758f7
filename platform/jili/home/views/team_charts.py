"""The manager home's charts besides the ranking: the team's revenue by region and by
product line as contributions to its attainment, and its estimated payout against its
share of the budget ceiling (see :mod:`jili.home.services.team` for what the share is).
Accessible SVG from :mod:`jili.home.services.charts`; the page puts a table beside each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel import numbers
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from jili.home.services import charts
from jili.home.services.team import TeamPeriod
from jili.i18n import format_money

CHART_ROWS = 12  # the first 12 regions or product lines; the table lists every one


def slice_name(name: str) -> str:
    return name or _("Not given")


def _slice_chart(tp: TeamPeriod, kind: str, fmt: Callable[[Decimal], str]) -> Markup:
    slices = tp.by_region if kind == "region" else tp.by_product
    bars = [charts.Bar(slice_name(s.name), s.pct) for s in slices[:CHART_ROWS] if s.pct is not None]
    if not bars:
        return Markup("")
    label = tp.period.label
    if kind == "region":
        words = charts.Words(
            title=_("Attainment by region, %(period)s", period=label),
            desc=_(
                "Your team's booked revenue in each sales region as a share of the "
                "team's revenue target; the bars add up to the team's attainment."
            ),
            x_axis=_("Share of the team's target"),
            y_axis=_("Region"),
        )
    else:
        words = charts.Words(
            title=_("Attainment by product line, %(period)s", period=label),
            desc=_(
                "Your team's booked revenue in each product line as a share of the "
                "team's revenue target; the bars add up to the team's attainment."
            ),
            x_axis=_("Share of the team's target"),
            y_axis=_("Product line"),
        )
    svg = charts.hbar_chart(bars, words, fmt, chart_id=f"{kind}-{tp.period.id}")
    return Markup(svg)


def _budget_chart(tp: TeamPeriod) -> Markup:
    share = tp.budget_share
    if share is None:
        return Markup("")
    currency = g.tenant.currency
    over = tp.payout > share
    bars = [
        charts.Bar(_("Estimate"), tp.payout, "low" if over else "done"),
        charts.Bar(_("Budget share"), share),
    ]
    words = charts.Words(
        title=_("Estimated payout against the budget share, %(period)s", period=tp.period.label),
        desc=_(
            "The team's estimated payout, %(payout)s, against its share of the period's "
            "budget ceiling, %(share)s.",
            payout=format_money(tp.payout, currency),
            share=format_money(share, currency),
        ),
        x_axis=_("Amount (%(currency)s)", currency=currency),
        y_axis="",
    )
    svg = charts.hbar_chart(
        bars,
        words,
        lambda v: format_money(v, currency),
        chart_id=f"budget-{tp.period.id}",
        format_tick=_compact,
        right=128,
    )
    return Markup(svg)


def _compact(value: Decimal) -> str:
    """An axis number in the reader's way of shortening (1.8万, 1.8M)."""
    return numbers.format_compact_decimal(value, locale=str(get_locale()), fraction_digits=1)


def slice_charts(tp: TeamPeriod, fmt: Callable[[Decimal], str]) -> dict:
    return {
        "region_chart": _slice_chart(tp, "region", fmt),
        "product_chart": _slice_chart(tp, "product", fmt),
        "budget_chart": _budget_chart(tp),
        "slice_name": slice_name,
    }
