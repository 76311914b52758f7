"""The what-if simulator: what one person would earn from one plan at a given
attainment, and the curve of it as a server-rendered SVG chart.

Pure: no database and no web. The caller builds the period's facts (narrowed
to the plan's eligible people), picks the target, and passes the scheme and
the plan version's settings. Amounts stay :class:`~decimal.Decimal` from the
facts to the chart's labels; only pixel coordinates are rounded for drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from html import escape
from typing import Any

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.models import PlanVersion
from jili.inputs.models import SalesTarget
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.schemes import CalculationContext, OnePersonPayout, PeriodFacts, PersonFacts, SalesSlice

ZERO = Decimal(0)
HUNDRED = Decimal(100)
STEP_PCT = Decimal(10)
MAX_PCT = Decimal(200)
DEFAULT_STEPS: tuple[Decimal, ...] = tuple(Decimal(p) for p in range(0, 201, 10))
FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
    "'Noto Sans CJK TC', sans-serif"
)


@dataclass(frozen=True, slots=True)
class Point:
    """The payout at one attainment (percent: ``Decimal("120")`` = 120 %)."""

    attainment_pct: Decimal
    sales: Decimal
    payout: Decimal


def steps_with(value: Decimal | None) -> list[Decimal]:
    """0, 10, … 200 % plus ``value`` (the slider's) when it is not one of them."""
    points = set(DEFAULT_STEPS)
    if value is not None:
        points.add(value)
    return sorted(points)


def _scale(amount: Decimal, factor: Decimal) -> Decimal:
    return amount * factor


def person_at(person: PersonFacts, target: Decimal, attainment_pct: Decimal) -> PersonFacts:
    """``person`` booking ``target × attainment`` with ``target`` as revenue target.

    Collected cash, margin and the region × product slices move in proportion
    to the person's actual sales. With no sales yet, cash is assumed collected
    in full and margin follows the margin target's share of the revenue target
    (none: zero)."""
    booked = target * attainment_pct / HUNDRED
    old = person.booked_revenue
    if old > 0:
        factor = booked / old
        collected = _scale(person.collected_cash, factor)
        margin = _scale(person.margin, factor)
        slices = tuple(
            SalesSlice(
                s.region,
                s.product_line,
                _scale(s.booked_revenue, factor),
                _scale(s.collected_cash, factor),
                _scale(s.margin, factor),
            )
            for s in person.slices
        )
    else:
        collected = booked
        if person.margin_target is not None and target > 0:
            margin = booked * person.margin_target / target
        else:
            margin = ZERO
        slices = ()
    return replace(
        person,
        booked_revenue=booked,
        collected_cash=collected,
        margin=margin,
        target=target,
        slices=slices,
    )


def at_attainment(
    facts: PeriodFacts, person_id: int, target: Decimal, attainment_pct: Decimal
) -> PeriodFacts:
    """``facts`` where ``person_id`` is :func:`person_at` the attainment; the
    teams the person counts for move by the same difference
    (:meth:`PeriodFacts.with_person`)."""
    return facts.with_person(person_at(facts.people[person_id], target, attainment_pct))


def payout_for(
    scheme: Any,
    settings: Mapping[str, Any],
    facts: PeriodFacts,
    person_id: int,
    context: CalculationContext,
) -> Decimal:
    """What ``person_id`` earns from the plan on ``facts`` (before any budget ceiling)."""
    lines = scheme.calculate(facts, settings, context)
    return sum((line.amount for line in lines if line.person_id == person_id), ZERO)


def simulate(
    scheme: Any,
    settings: Mapping[str, Any],
    facts: PeriodFacts,
    person_id: int,
    target: Decimal,
    attainments: Iterable[Decimal],
    context: CalculationContext,
    pay: OnePersonPayout | None = None,
) -> list[Point]:
    """The payout of ``person_id`` at each attainment (percent): the scheme's
    one-person payout (:meth:`SchemeType.prepare_one_person` on ``facts``, or
    ``pay`` when the caller prepared it already) of the changed person — the
    same amount as the scheme's ``calculate`` on the changed facts."""
    if target is None or target <= 0:
        raise ValueError("the simulator needs a positive target")
    if person_id not in facts.people:
        raise KeyError(person_id)
    if pay is None:
        pay = scheme.prepare_one_person(facts, settings, context)
    person = facts.people[person_id]
    out = []
    for pct in attainments:
        changed = person_at(person, target, pct)
        out.append(Point(pct, changed.booked_revenue, pay(changed)))
    return out


def point_at(points: Iterable[Point], pct: Decimal) -> Point | None:
    for p in points:
        if p.attainment_pct == pct:
            return p
    return None


# -- the default period ---------------------------------------------------------

_KIND_ORDER = {PeriodKind.QUARTER: 3, PeriodKind.MONTH: 2, PeriodKind.YEAR: 1, PeriodKind.WEEK: 0}


def _periods_with_plans(tenant_id: int, periods: list[Period]) -> set[int]:
    """The periods some plan has a version in force for (same cadence, effective
    by the period's start): one query for the versions, whatever the periods."""
    versions = db.session.execute(
        select(PlanVersion.effective_from, Period.kind)
        .join(Period, Period.id == PlanVersion.effective_period_id)
        .where(PlanVersion.tenant_id == tenant_id, PlanVersion.is_pilot.is_(False))
    ).all()
    return {
        p.id
        for p in periods
        if any(kind == p.kind and start <= p.start_date for start, kind in versions)
    }


def default_period(tenant_id: int, person_id: int | None, today: date) -> Period | None:
    """The current open period that has plans: among periods not closed, one with
    plans in force first, then containing today, then not yet published, then where
    the person has a target; a quarter before a month before a year; the latest."""
    periods = list(
        db.session.scalars(
            select(Period).where(
                Period.tenant_id == tenant_id, Period.status != PeriodStatus.CLOSED
            )
        )
    )
    if not periods:
        return None
    with_target: set[int] = set()
    if person_id is not None:
        with_target = set(
            db.session.scalars(
                select(SalesTarget.period_id).where(
                    SalesTarget.tenant_id == tenant_id,
                    SalesTarget.person_id == person_id,
                    SalesTarget.metric == "revenue",
                )
            )
        )
    with_plans = _periods_with_plans(tenant_id, periods)
    started = [p for p in periods if p.start_date <= today] or periods

    def rank(p: Period):
        return (
            p.id in with_plans,
            p.start_date <= today <= p.end_date,
            p.status in (PeriodStatus.OPEN, PeriodStatus.CALCULATED),
            p.id in with_target,
            _KIND_ORDER[p.kind],
            p.start_date,
        )

    return max(started, key=rank)


# -- the chart -------------------------------------------------------------------

_NICE = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
_PX = Decimal("0.1")


def nice_step(span: Decimal, ticks: int = 5) -> Decimal:
    """A round tick step (1, 2, 2.5 or 5 × a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for nice in _NICE:
        if nice * magnitude >= raw:
            return nice * magnitude
    return 10 * magnitude


def _px(value: Decimal) -> str:
    text = format(value.quantize(_PX, rounding=ROUND_HALF_UP), "f")
    return text[:-2] if text.endswith(".0") else text


def _pct_text(pct: Decimal) -> str:
    text = format(pct.normalize(), "f")
    return f"{text} %"


@dataclass(frozen=True)
class ChartLabels:
    """Translated words for the chart (the caller translates)."""

    title: str
    x_axis: str
    y_axis: str
    target_line: str = ""


def chart_svg(
    points: list[Point],
    current: Point | None,
    labels: ChartLabels,
    format_amount: Callable[[Decimal], str],
    *,
    format_tick: Callable[[Decimal], str] | None = None,
    width: int = 720,
    height: int = 340,
) -> str:
    """A line chart of payout against attainment: gridlines, labelled axes, a
    dot per point and the current point marked. Scales with its container
    (``viewBox``); the font stack names CJK-capable fonts."""
    frame = _Frame.fit(points, width, height)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sim-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-label="{escape(labels.title)}" font-family="{FONT_FAMILY}" font-size="12">',
        f"<title>{escape(labels.title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    out += _y_grid(frame, format_tick or format_amount)
    out += _x_grid(frame)
    out += _target_line(frame, labels)
    out += _axes(frame, labels)
    out += _curve(frame, points, format_amount)
    if current is not None:
        out += _current_point(frame, current, format_amount)
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class _Frame:
    """The chart's size, margins and scales: attainment across, payout up."""

    width: int
    height: int
    x_min: Decimal
    x_max: Decimal
    y_min: Decimal
    y_max: Decimal
    y_step: Decimal
    left: int = 96
    right: int = 24
    top: int = 28
    bottom: int = 56

    @classmethod
    def fit(cls, points: list[Point], width: int, height: int) -> _Frame:
        """Scales that fit ``points``, 0 and 200 %, with round payout ticks."""
        xs = [p.attainment_pct for p in points] or [ZERO]
        ys = [p.payout for p in points] or [ZERO]
        x_max = max(MAX_PCT, max(xs))
        x_min = min(ZERO, min(xs))
        y_low, y_high = min(ZERO, min(ys)), max(ZERO, max(ys))
        y_step = nice_step(y_high - y_low)
        y_min = (y_low / y_step).to_integral_value(rounding=ROUND_FLOOR) * y_step
        y_max = (y_high / y_step).to_integral_value(rounding=ROUND_CEILING) * y_step
        if y_max == y_high and y_high > 0:
            y_max += y_step  # headroom: the top of the curve never touches the frame
        if y_max == y_min:
            y_max = y_min + y_step
        return cls(width, height, x_min, x_max, y_min, y_max, y_step)

    @property
    def plot_w(self) -> Decimal:
        return Decimal(self.width - self.left - self.right)

    @property
    def plot_h(self) -> Decimal:
        return Decimal(self.height - self.top - self.bottom)

    def x_of(self, pct: Decimal) -> Decimal:
        return self.left + (pct - self.x_min) / (self.x_max - self.x_min) * self.plot_w

    def y_of(self, amount: Decimal) -> Decimal:
        return self.top + (self.y_max - amount) / (self.y_max - self.y_min) * self.plot_h

    @property
    def base(self) -> str:
        """Where the horizontal axis is drawn: payout 0, or the lowest tick."""
        if self.y_min <= 0 <= self.y_max:
            return _px(self.y_of(ZERO))
        return _px(self.y_of(self.y_min))


def _y_grid(f: _Frame, format_tick: Callable[[Decimal], str]) -> list[str]:
    """Horizontal gridlines with the payout labels."""
    out = []
    tick = f.y_min
    while tick <= f.y_max:
        y = _px(f.y_of(tick))
        out.append(
            f'<line class="grid" x1="{f.left}" y1="{y}" x2="{f.width - f.right}" y2="{y}" '
            f'stroke="#e5e9ee" stroke-width="1"/>'
        )
        out.append(
            f'<text class="y-tick" x="{f.left - 8}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#65727e">{escape(format_tick(tick))}</text>'
        )
        tick += f.y_step
    return out


#: Below this plot width (a phone's chart) the attainment axis is labelled every 50 %.
NARROW_PLOT = 400


def _x_grid(f: _Frame) -> list[str]:
    """Vertical gridlines and labels every 20 % (every 50 % on a narrow chart)."""
    out = []
    every = 20 if f.plot_w >= NARROW_PLOT else 50
    pct = (f.x_min / every).to_integral_value(rounding=ROUND_CEILING) * every
    while pct <= f.x_max:
        x = _px(f.x_of(pct))
        out.append(
            f'<line class="grid" x1="{x}" y1="{f.top}" x2="{x}" y2="{f.height - f.bottom}" '
            f'stroke="#eef1f4" stroke-width="1"/>'
        )
        out.append(
            f'<text class="x-tick" x="{x}" y="{f.height - f.bottom + 18}" text-anchor="middle" '
            f'fill="#65727e">{escape(_pct_text(pct))}</text>'
        )
        pct += every
    return out


def _target_line(f: _Frame, labels: ChartLabels) -> list[str]:
    """The 100 % line: the target."""
    if not (labels.target_line and f.x_min <= HUNDRED <= f.x_max):
        return []
    x = _px(f.x_of(HUNDRED))
    return [
        f'<line class="target" x1="{x}" y1="{f.top}" x2="{x}" y2="{f.height - f.bottom}" '
        f'stroke="#9aa5b1" stroke-width="1" stroke-dasharray="4 3"/>',
        f'<text x="{x}" y="{f.top - 8}" text-anchor="middle" fill="#65727e">'
        f"{escape(labels.target_line)}</text>",
    ]


def _axes(f: _Frame, labels: ChartLabels) -> list[str]:
    """Both axes and their labels."""
    mid_y = f.top + int(f.plot_h) // 2
    return [
        f'<line class="axis" x1="{f.left}" y1="{f.base}" x2="{f.width - f.right}" '
        f'y2="{f.base}" stroke="#1f2933" stroke-width="1.2"/>',
        f'<line class="axis" x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{f.height - f.bottom}" '
        f'stroke="#1f2933" stroke-width="1.2"/>',
        f'<text class="axis-label" x="{f.left + int(f.plot_w) // 2}" y="{f.height - 12}" '
        f'text-anchor="middle" fill="#1f2933" font-size="13">{escape(labels.x_axis)}</text>',
        f'<text class="axis-label" x="18" y="{mid_y}" text-anchor="middle" fill="#1f2933" '
        f'font-size="13" transform="rotate(-90 18 {mid_y})">{escape(labels.y_axis)}</text>',
    ]


def _curve(f: _Frame, points: list[Point], format_amount: Callable[[Decimal], str]) -> list[str]:
    """The curve and a dot per point (with its values as a tooltip)."""
    if not points:
        return []
    path = " ".join(f"{_px(f.x_of(p.attainment_pct))},{_px(f.y_of(p.payout))}" for p in points)
    out = [
        f'<polyline class="curve" points="{path}" fill="none" stroke="#c0392b" '
        f'stroke-width="2.2" stroke-linejoin="round"/>'
    ]
    for p in points:
        out.append(
            f'<circle class="pt" cx="{_px(f.x_of(p.attainment_pct))}" '
            f'cy="{_px(f.y_of(p.payout))}" r="3.2" fill="#fff" stroke="#c0392b" '
            f'stroke-width="1.6"><title>{escape(_pct_text(p.attainment_pct))}: '
            f"{escape(format_amount(p.payout))}</title></circle>"
        )
    return out


def _current_point(f: _Frame, current: Point, format_amount: Callable[[Decimal], str]) -> list[str]:
    """The current point: a guide down to the axis, a big dot and its label."""
    cx, cy = f.x_of(current.attainment_pct), f.y_of(current.payout)
    anchor = "end" if current.attainment_pct > (f.x_min + f.x_max) / 2 else "start"
    dx = -10 if anchor == "end" else 10
    label_y = cy - 12 if cy - 12 > f.top + 16 else cy + 22  # below the point near the top
    return [
        f'<line class="current-guide" x1="{_px(cx)}" y1="{_px(cy)}" x2="{_px(cx)}" '
        f'y2="{f.base}" stroke="#962d22" stroke-width="1" stroke-dasharray="2 2"/>',
        f'<circle class="current" cx="{_px(cx)}" cy="{_px(cy)}" r="6.5" fill="#c0392b" '
        f'stroke="#fff" stroke-width="2"/>',
        f'<text class="current-label" x="{_px(cx + dx)}" y="{_px(label_y)}" '
        f'text-anchor="{anchor}" fill="#962d22" font-weight="700" stroke="#fff" '
        f'stroke-width="4" paint-order="stroke">'
        f"{escape(_pct_text(current.attainment_pct))} · "
        f"{escape(format_amount(current.payout))}</text>",
    ]
