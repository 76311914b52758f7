"""The sections of a period review: each a title, a sentence on what it counts,
an accessible SVG chart and the tables behind it (the chart's table alternative,
and the XLSX sheets).

``PROVIDERS`` is how another capability adds a section without this package
knowing it: a function ``(tenant_id, span) -> Section | None`` appended at start
(the appeals of issue 14 item 5 — the lead registers its provider at merge). A
provider that returns None (nothing to show) adds no section.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.evaluation.models import Scorecard
from jili.evaluation.services.ratings import bands
from jili.extensions import db
from jili.feedback import service as feedback
from jili.feedback.models import CATEGORY_LABELS, Category
from jili.home.services.charts import Bar, Words, hbar_chart
from jili.review.services import figures
from jili.review.services.figures import BUCKETS, Span
from jili.schemes import fmt_money, fmt_number

Provider = Callable[[int, Span], "Section | None"]
PROVIDERS: list[Provider] = []


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    money: tuple[int, ...] = ()  # columns of amounts
    pct: tuple[int, ...] = ()  # columns of per cents

    def shown(self, places: int) -> list[list[str]]:
        """The rows as the page shows them: amounts to the cent, grouped."""
        out = []
        for row in self.rows:
            cells = []
            for i, value in enumerate(row):
                if value is None:
                    cells.append("—")
                elif i in self.money:
                    cells.append(fmt_money(value, places))
                elif i in self.pct:
                    cells.append(f"{fmt_number(_q(value, 2))} %")
                elif isinstance(value, Decimal):  # counts, and ratios shown to 0.01
                    cells.append(fmt_number(_q(value, 2)))
                else:
                    cells.append(str(value))
            out.append(cells)
        return out


@dataclass
class Section:
    key: str
    title: str
    intro: str
    chart: str = ""
    tables: list[Table] = field(default_factory=list)


def _q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _count(value: Decimal) -> str:
    return fmt_number(value)


def _chart(key: str, bars: list[Bar], words: Words, fmt=_count, **kw) -> str:
    return hbar_chart(bars, words, fmt, chart_id=f"review-{key}", **kw) if bars else ""


@dataclass
class Inputs:
    """What the sections share, read once."""

    tenant_id: int
    span: Span
    places: int
    periods: list = field(default_factory=list)
    people: dict = field(default_factory=dict)
    revenue: dict = field(default_factory=dict)
    pay: figures.Pay | None = None

    @classmethod
    def read(cls, tenant_id: int, span: Span, places: int) -> Inputs:
        periods = figures.periods_in(tenant_id, span)
        return cls(
            tenant_id,
            span,
            places,
            periods,
            figures.people(tenant_id),
            figures.revenue(tenant_id, span),
            figures.pay(tenant_id, figures.final_runs(tenant_id, periods)),
        )

    def team_of(self, pid: int) -> str:
        person = self.people.get(pid)
        return person.team.name if person is not None and person.team is not None else ""


def bucket_label(i: int) -> str:
    low = fmt_number(BUCKETS[i])
    if i + 1 == len(BUCKETS):
        return _("%(low)s %% and above", low=low)
    return _("%(low)s–%(high)s %%", low=low, high=fmt_number(BUCKETS[i + 1]))


def attainment(inp: Inputs) -> Section:
    targets = figures.targets(inp.tenant_id, inp.periods)
    rows, counts = [], Counter()
    for pid, target in sorted(targets.items(), key=lambda kv: _key(inp, kv[0])):
        if target <= 0:
            continue
        actual = inp.revenue.get(pid, figures.ZERO)
        pct = actual * figures.HUNDRED / target
        counts[figures.bucket_of(pct)] += 1
        person = inp.people.get(pid)
        rows.append([person.employee_no, person.name, inp.team_of(pid), target, actual, pct])
    buckets = [[bucket_label(i), counts.get(i, 0)] for i in range(len(BUCKETS))]
    words = Words(_("Attainment distribution"),
                  _("How many people reached each band of attainment (sales ÷ target)."),
                  _("People"), _("Attainment"))  # fmt: skip
    bars = [Bar(label, Decimal(n)) for label, n in buckets] if rows else []
    return Section(
        "attainment",
        _("Attainment"),
        _("Credited sales of the span against each person's revenue targets."),
        _chart("attainment", bars, words),
        [
            Table(_("Attainment buckets"), [_("Attainment"), _("People")], buckets),
            Table(
                _("Attainment per person"),
                [
                    _("Employee number"),
                    _("Name"),
                    _("Team"),
                    _("Target"),
                    _("Actual"),
                    _("Attainment"),
                ],  # fmt: skip
                rows,
                money=(3, 4),
                pct=(5,),
            ),
        ],
    )


def _key(inp: Inputs, pid: int) -> tuple:
    person = inp.people.get(pid)
    return (person.employee_no, person.name) if person else ("\uffff", str(pid))


def ratings(inp: Inputs) -> Section:
    ids = [p.id for p in inp.periods]
    cards = db.session.scalars(
        select(Scorecard).where(
            Scorecard.tenant_id == inp.tenant_id, Scorecard.period_id.in_(ids or [-1])
        )  # fmt: skip
    ).all()
    counts = Counter(c.final_rating for c in cards if c.final_rating)
    labels = [label for label, _m, _s in bands(inp.tenant_id)]
    total = sum(counts.values())
    rows = [[label, counts.get(label, 0), figures.ratio_pct(Decimal(counts.get(label, 0)),
             Decimal(total))] for label in labels]  # fmt: skip
    words = Words(_("Rating distribution"), _("How many scorecards of the span got each rating."),
                  _("Scorecards"), _("Rating"))  # fmt: skip
    bars = [Bar(r[0], Decimal(r[1])) for r in rows] if total else []
    return Section(
        "ratings",
        _("Ratings"),
        _("Final ratings (after calibration) of the scorecards of the span's periods."),
        _chart("ratings", bars, words),
        [
            Table(
                _("Rating distribution"),
                [_("Rating"), _("Scorecards"), _("Share of scorecards")],
                rows,
                pct=(2,),
            )
        ],  # fmt: skip
    )


def roi(inp: Inputs) -> Section:
    """Incentive cost against revenue per plan and per team."""
    pay = inp.pay
    names = figures.plan_names(inp.tenant_id, pay.per_plan)
    plan_rows = []
    for plan_id, cost in sorted(pay.per_plan.items(), key=lambda kv: names.get(kv[0], "")):
        base = sum((inp.revenue.get(pid, figures.ZERO) for pid in pay.plan_people[plan_id]),
                   figures.ZERO)  # fmt: skip
        plan_rows.append([names.get(plan_id, ""), cost, base, figures.ratio_pct(cost, base),
                          base / cost if cost > 0 else None])  # fmt: skip
    teams: dict[str, list[Decimal]] = {}
    for pid in set(pay.per_person) | set(inp.revenue):
        row = teams.setdefault(inp.team_of(pid), [figures.ZERO, figures.ZERO])
        row[0] += pay.per_person.get(pid, figures.ZERO)
        row[1] += inp.revenue.get(pid, figures.ZERO)
    team_rows = [[name or _("No team"), cost, base, figures.ratio_pct(cost, base),
                  base / cost if cost > 0 else None]
                 for name, (cost, base) in sorted(teams.items())]  # fmt: skip
    cost, base = sum(pay.per_plan.values(), figures.ZERO), sum(inp.revenue.values(), figures.ZERO)
    headers = [_("Incentive cost"), _("Revenue"), _("Cost share of revenue"),
               _("Revenue per 1 of incentive")]  # fmt: skip
    words = Words(_("Incentive cost as a share of revenue, per plan"),
                  _("Each plan's cost divided by the revenue of the people it paid."),
                  _("Cost share of revenue"), _("Plan"))  # fmt: skip
    bars = [Bar(r[0], r[3]) for r in plan_rows if r[3] is not None]
    return Section(
        "roi",
        _("Incentive cost and revenue"),
        _(
            "Cost is what the latest final runs pay; a plan's revenue is the credited sales "
            "of the people it has a line for. Company: cost %(cost)s, revenue %(revenue)s.",
            cost=fmt_money(cost, inp.places),
            revenue=fmt_money(base, inp.places),
        ),  # fmt: skip
        _chart("roi", bars, words, lambda v: f"{fmt_number(_q(v, 2))} %"),
        [
            Table(
                _("Cost and revenue per plan"),
                [_("Plan"), *headers],
                plan_rows,
                money=(1, 2),
                pct=(3,),
            ),
            Table(
                _("Cost and revenue per team"),
                [_("Team"), *headers],
                team_rows,
                money=(1, 2),
                pct=(3,),
            ),
        ],
    )


def payouts(inp: Inputs) -> Section:
    amounts = inp.pay.per_person
    dist = figures.distribution(list(amounts.values()))
    stats: list[list] = []
    bars: list[Bar] = []
    if dist is not None:
        stats = [
            [_("People paid"), Decimal(dist.count)],
            [_("Total"), dist.total], [_("Lowest"), dist.minimum], [_("Lower quartile"), dist.q1],
            [_("Median"), dist.median], [_("Upper quartile"), dist.q3],
            [_("Highest"), dist.maximum],
            [_("Top 10 %% of people (%(n)d)", n=dist.top_count), dist.top_total],
        ]  # fmt: skip
        bars = [Bar(str(r[0]), r[1]) for r in stats[2:7]]
    share = dist.top_share if dist is not None else None
    rows = [[inp.people[pid].employee_no, inp.people[pid].name, inp.team_of(pid), amount,
             inp.revenue.get(pid, figures.ZERO)]
            for pid, amount in sorted(amounts.items(), key=lambda kv: _key(inp, kv[0]))
            if pid in inp.people]  # fmt: skip
    words = Words(_("Payout distribution"),
                  _("Lowest, quartiles, median and highest payout per person in the span."),
                  _("Payout"), _("Statistic"))  # fmt: skip
    money = lambda v: fmt_money(v, inp.places)  # noqa: E731
    intro = _("Each person's total pay over the span's final runs; quartiles interpolated "
              "between people (as Excel's QUARTILE.INC).")  # fmt: skip
    if dist is not None:
        intro += " " + _("%(n)d people paid.", n=dist.count)
    if share is not None:
        intro += " " + _("The best-paid tenth received %(share)s %% of the pay.",
                         share=fmt_number(_q(share, 2)))  # fmt: skip
    return Section(
        "payouts",
        _("Payout distribution"),
        intro,
        _chart("payouts", bars, words, money, format_tick=lambda v: fmt_number(v), right=110),
        [
            Table(
                _("Payout statistics"),
                [_("Statistic"), _("Amount"), _("Share of the total")],
                [[label, value, None] for label, value in stats[1:-1]]
                + [[stats[-1][0], stats[-1][1], share]]
                if stats
                else [],
                money=(1,),
                pct=(2,),
            ),  # fmt: skip
            Table(
                _("Payout per person"),
                [_("Employee number"), _("Name"), _("Team"), _("Payout"), _("Revenue")],
                rows,
                money=(3, 4),
            ),  # fmt: skip
        ],
    )


def feedback_volume(inp: Inputs, today: date) -> Section | None:
    """Submissions per month from the anonymous channel's summary, which withholds
    any count below the company's threshold (never a thread, never a small count)."""
    last = min(inp.span.end, today)
    if last < inp.span.start:
        return None
    setting = feedback.settings_for(inp.tenant_id)
    months = (last.year - inp.span.start.year) * 12 + last.month - inp.span.start.month + 1
    summary = feedback.monthly_summary(inp.tenant_id, setting.aggregate_threshold, last, months)
    rows = []
    for row in sorted(summary, key=lambda r: r.month):
        rows.append([row.month.strftime("%Y-%m"), row.total if row.shown else None]
                    + [row.cells.get(c) for c in Category])  # fmt: skip
    words = Words(_("Feedback volume by month"),
                  _("Anonymous submissions per month; months below the threshold show none."),
                  _("Submissions"), _("Month"))  # fmt: skip
    bars = [Bar(r[0], Decimal(r[1])) for r in rows if r[1]]
    return Section(
        "feedback",
        _("Anonymous feedback"),
        _(
            "Counts below %(n)d are withheld, so no one can be singled out.",
            n=setting.aggregate_threshold,
        ),  # fmt: skip
        _chart("feedback", bars, words),
        [
            Table(
                _("Feedback by month"),
                [_("Month"), _("Submissions"), *[str(CATEGORY_LABELS[c]) for c in Category]],
                rows,
            )
        ],  # fmt: skip
    )


def build(tenant_id: int, span: Span, places: int, today: date, *, feedback_ok: bool):
    inp = Inputs.read(tenant_id, span, places)
    out = [attainment(inp), ratings(inp), roi(inp), payouts(inp)]
    for provider in PROVIDERS:
        section = provider(tenant_id, span)
        if section is not None:
            out.append(section)
    if feedback_ok:
        section = feedback_volume(inp, today)
        if section is not None:
            out.append(section)
    return out
