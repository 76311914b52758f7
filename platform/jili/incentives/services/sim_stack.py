"""The what-if simulator over all of a person's plans: each plan's payout at the
same attainment, added up. The chart stacks one bar per attainment step, a band
per plan, and marks the slider's attainment; like the one-plan curve
(:func:`jili.incentives.services.simulator.chart_svg`) it is server-rendered SVG
with escaped text, a title, labelled axes and CJK-capable fonts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from html import escape

from jili.incentives.services.simulator import (
    FONT_FAMILY,
    HUNDRED,
    ChartLabels,
    Point,
    _px,
    nice_step,
    point_at,
)

ZERO = Decimal(0)
COLOURS = ("#2f6fb0", "#c0392b", "#1e7d4f", "#b7791f", "#6b4fa0", "#0f7c86", "#8a5a44")


@dataclass(frozen=True)
class PlanCurve:
    plan_id: int
    name: str
    points: tuple[Point, ...]

    def at(self, pct: Decimal) -> Decimal:
        point = point_at(self.points, pct)
        return point.payout if point is not None else ZERO


@dataclass(frozen=True)
class Stack:
    """Every plan's curve over the same attainment steps."""

    curves: tuple[PlanCurve, ...]

    @property
    def steps(self) -> list[Decimal]:
        return sorted({p.attainment_pct for c in self.curves for p in c.points})

    def total(self, pct: Decimal) -> Decimal:
        return sum((c.at(pct) for c in self.curves), ZERO)

    def sales(self, pct: Decimal) -> Decimal:
        point = point_at(self.curves[0].points, pct) if self.curves else None
        return point.sales if point is not None else ZERO


def stacked_svg(
    stack: Stack,
    current_pct: Decimal,
    labels: ChartLabels,
    format_tick: Callable[[Decimal], str],
    *,
    width: int = 720,
    height: int = 340,
) -> str:
    """Stacked bars of payout by plan at each attainment step (the slider's own
    value is marked with a line, its total written above it) and a legend.
    ``height=0`` makes the chart as tall as its legend needs (a phone's one
    plan a row) on top of a 240-unit plot."""
    steps = [s for s in stack.steps if s % 10 == 0]
    left, right, top, bottom = 96, 24, 28, 56 + 22 * _legend_rows(stack.curves, width)
    if height <= 0:
        height = top + 240 + bottom
    plot_w, plot_h = Decimal(width - left - right), Decimal(height - top - bottom)
    high = max([stack.total(s) for s in stack.steps] + [Decimal(1)])
    step = nice_step(high)
    y_max = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    x_max = max(steps + [Decimal(200)])
    slot = plot_w / (len(steps) or 1)

    def x_of(pct: Decimal) -> Decimal:
        return left + pct / x_max * (plot_w - slot) + slot / 2

    def y_of(amount: Decimal) -> Decimal:
        return top + plot_h - amount / y_max * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sim-chart stacked" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-label="{escape(labels.title)}" font-family="{FONT_FAMILY}" font-size="12">',
        f"<title>{escape(labels.title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    tick = ZERO
    while tick <= y_max:
        y = _px(y_of(tick))
        out.append(
            f'<line class="grid" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#eef1f4"/>'
            f'<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#65727e">{escape(format_tick(tick))}</text>'
        )
        tick += step
    bar_w = _px(slot * Decimal("0.7"))
    for pct in steps:
        x = x_of(pct) - slot * Decimal("0.35")
        base = ZERO
        for i, curve in enumerate(stack.curves):
            amount = curve.at(pct)
            if amount > 0:
                out.append(
                    f'<rect class="band" data-plan="{curve.plan_id}" x="{_px(x)}" '
                    f'y="{_px(y_of(base + amount))}" width="{bar_w}" '
                    f'height="{_px(y_of(base) - y_of(base + amount))}" '
                    f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(curve.name)} · '
                    f"{_pct(pct)}: {escape(format_tick(amount))}</title></rect>"
                )
            base += amount
        if pct % 50 == 0:
            out.append(
                f'<text x="{_px(x_of(pct))}" y="{top + int(plot_h) + 16}" text-anchor="middle" '
                f'fill="#65727e">{_pct(pct)}</text>'
            )
    out += _marks(stack, current_pct, x_of, y_of, top, plot_h, format_tick)
    out += _axes_and_legend(stack, labels, left, right, top, plot_h, width, height)
    out.append("</svg>")
    return "\n".join(out)


def _pct(pct: Decimal) -> str:
    return f"{format(pct.normalize(), 'f')} %"


def _marks(stack, current_pct, x_of, y_of, top, plot_h, format_tick) -> list[str]:
    out = []
    for pct, css, colour in ((HUNDRED, "target", "#9aa5b1"), (current_pct, "current", "#962d22")):
        x = _px(x_of(pct))
        out.append(
            f'<line class="{css}" x1="{x}" y1="{top}" x2="{x}" y2="{top + int(plot_h)}" '
            f'stroke="{colour}" stroke-dasharray="4 3"/>'
        )
    total = stack.total(current_pct)
    out.append(
        f'<text class="current-total" x="{_px(x_of(current_pct))}" '
        f'y="{_px(max(y_of(total) - 8, Decimal(top + 10)))}" text-anchor="middle" '
        f'font-weight="700" fill="#962d22">{escape(format_tick(total))}</text>'
    )
    return out


def _legend_rows(curves: Sequence[PlanCurve], width: int) -> int:
    return max(1, -(-len(curves) // max(1, (width - 120) // 200)))


def _axes_and_legend(stack, labels, left, right, top, plot_h, width, height) -> list[str]:
    base_y = top + int(plot_h)
    out = [
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#1f2933"/>'
        f'<line class="axis" x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" '
        f'stroke="#1f2933"/>'
        f'<text class="axis-label" x="{left + (width - left - right) // 2}" y="{base_y + 36}" '
        f'text-anchor="middle" fill="#1f2933" font-size="13">{escape(labels.x_axis)}</text>'
        f'<text class="axis-label" x="{left - 6}" y="{top - 10}" text-anchor="end" '
        f'fill="#1f2933" font-size="13">{escape(labels.y_axis)}</text>'
    ]
    per_row = max(1, (width - 120) // 200)
    for i, curve in enumerate(stack.curves):
        row, col = divmod(i, per_row)
        x, y = left + col * 200, base_y + 52 + row * 22
        name = curve.name if len(curve.name) <= 14 else curve.name[:13] + "…"
        out.append(
            f'<rect class="legend" x="{x}" y="{y - 10}" width="12" height="12" '
            f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 18}" y="{y}" fill="#1f2933">{escape(name)}</text>'
        )
    return out
