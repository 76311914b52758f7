"""Server-rendered SVG charts for the home pages, in the way of the simulator's curve
(:func:`jili.incentives.services.simulator.chart_svg`): every text escaped, a title and
a description for screen readers, labelled axes, a CJK-capable font stack, a viewBox so
the chart scales to a phone. The caller translates the words and formats the numbers;
the page puts a table with the same numbers beside each chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from html import escape

from jili.incentives.services.simulator import FONT_FAMILY, _px, nice_step

ZERO = Decimal(0)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    css: str = ""  # a class for the bar's colour: low, mid, done


@dataclass(frozen=True)
class Words:
    """Translated words of a chart."""

    title: str
    desc: str
    x_axis: str
    y_axis: str


_COLOURS = {"low": "#b42318", "mid": "#b7791f", "done": "#1e7d4f", "": "#2f6fb0"}
FONT_PX = 14
GUTTER_MIN = 96  # the label gutter of a chart with short labels (names of people)
GUTTER_SHARE = Decimal("0.4")  # long labels widen the gutter up to this share of the width


def text_px(text: str, size: int = FONT_PX) -> int:
    """About how wide ``text`` is drawn: a full em for CJK and other wide
    characters, 0.6 em for the rest (generous for Latin letters and digits)."""
    wide = sum(1 for ch in text if ord(ch) >= 0x1100)
    px = size * wide + Decimal("0.6") * size * (len(text) - wide)
    return int(px.to_integral_value(rounding=ROUND_CEILING))


def fit(text: str, room: int) -> str:
    """``text`` cut with an ellipsis to fit ``room`` pixels (whole when it fits)."""
    if text_px(text) <= room:
        return text
    while text and text_px(text + "…") > room:
        text = text[:-1]
    return text + "…"


def gutter(labels: Sequence[str], width: int) -> int:
    """The label gutter: wide enough for the longest label, at least
    ``GUTTER_MIN``, at most ``GUTTER_SHARE`` of the chart's width."""
    longest = max((text_px(label) for label in labels), default=0)
    return max(GUTTER_MIN, min(longest + 16, int(width * GUTTER_SHARE)))


def _open(width: int, height: int, words: Words, chart_id: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="home-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" font-family="{FONT_FAMILY}" font-size="14">',
        f'<title id="{chart_id}-t">{escape(words.title)}</title>',
        f'<desc id="{chart_id}-d">{escape(words.desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]


def hbar_chart(
    bars: Sequence[Bar],
    words: Words,
    format_value: Callable[[Decimal], str],
    *,
    chart_id: str = "chart",
    marks: Sequence[Decimal] = (),
    width: int = 480,
    format_tick: Callable[[Decimal], str] | None = None,
    right: int = 64,
) -> str:
    """Horizontal bars, one per row, largest first as given (a ranking): the label
    on the left, the value at the bar's end, dashed lines at ``marks`` (e.g. 70, 80,
    100 %). ``format_tick`` writes the axis' numbers (default ``format_value``: give
    a shorter one for amounts); ``right`` leaves room for the longest value. The
    label gutter widens for long labels (:func:`gutter`); a label still too long
    is cut with an ellipsis and carries its whole text in a ``<title>``."""
    format_tick = format_tick or format_value
    left = gutter([b.label for b in bars], width)
    top, bottom, row = 30, 52, 28
    height = top + bottom + row * max(len(bars), 1)
    plot_w = Decimal(width - left - right)
    high = max([b.value for b in bars] + list(marks) + [Decimal(1)])
    step = nice_step(high)
    x_max = (high / step).to_integral_value(rounding=ROUND_CEILING) * step

    def x_of(value: Decimal) -> Decimal:
        return left + max(value, ZERO) / x_max * plot_w

    out = _open(width, height, words, chart_id)
    base_y = height - bottom
    tick = ZERO
    while tick <= x_max:
        x = _px(x_of(tick))
        out.append(
            f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{base_y}" stroke="#eef1f4"/>'
            f'<text class="x-tick" x="{x}" y="{base_y + 16}" text-anchor="middle" '
            f'fill="#65727e">{escape(format_tick(tick))}</text>'
        )
        tick += step
    for mark in marks:
        x = _px(x_of(mark))
        out.append(
            f'<line class="mark" x1="{x}" y1="{top}" x2="{x}" y2="{base_y}" stroke="#9aa5b1" '
            f'stroke-dasharray="4 3"/>'
        )
    for i, bar in enumerate(bars):
        y = top + row * i
        w = _px(x_of(bar.value) - left)
        label = fit(bar.label, left - 12)
        whole = f"<title>{escape(bar.label)}</title>" if label != bar.label else ""
        out.append(
            f'<text class="y-tick" x="{left - 8}" y="{y + row // 2}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#1f2933">{whole}{escape(label)}</text>'
            f'<rect class="bar {escape(bar.css)}" x="{left}" y="{y + 4}" width="{w}" '
            f'height="{row - 8}" fill="{_COLOURS.get(bar.css, _COLOURS[""])}">'
            f"<title>{escape(bar.label)}: {escape(format_value(bar.value))}</title></rect>"
            f'<text class="value" x="{_px(x_of(bar.value) + 6)}" y="{y + row // 2}" '
            f'dominant-baseline="middle" fill="#1f2933">{escape(format_value(bar.value))}</text>'
        )
    out.append(
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#1f2933"/>'
        f'<line class="axis" x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" '
        f'stroke="#1f2933"/>'
        f'<text class="axis-label" x="{left + int(plot_w) // 2}" y="{height - 8}" '
        f'text-anchor="middle" fill="#1f2933" font-size="14">{escape(words.x_axis)}</text>'
        f'<text class="axis-label" x="{left - 8}" y="{top - 4}" text-anchor="end" '
        f'fill="#1f2933" font-size="14">{escape(words.y_axis)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)
