"""Statements (a person's payout lines of a period, explained in the reader's
language) and the what-if simulator.

Who sees whose statement: everyone their own; a manager (``statements.team``)
the people in their team's subtree and those who report to them; roles with
``statements.all`` everyone. Staff see a period only once it is published.
Anything else is a 404, so a guess does not confirm that a person exists.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from babel import numbers
from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from jili.accounts.roles import can, require
from jili.extensions import db
from jili.i18n import LEVEL_LABELS, format_money
from jili.incentives.engine import (
    PlanStatus,
    latest_run,
    load_subtree,
    narrow,
    period_info,
    plans_for_period,
)
from jili.incentives.engine import run_lines as engine_run_lines
from jili.incentives.engine.facts import build_facts_and_own, without_rollup
from jili.incentives.engine.runs import paid_once_keys
from jili.incentives.engine.storage import fingerprint
from jili.incentives.models import CalculationRun, Plan, RunKind
from jili.incentives.services.simulator import (
    DEFAULT_STEPS,
    ChartLabels,
    Point,
    chart_svg,
    point_at,
    simulate,
)
from jili.inputs.models import SalesTarget
from jili.money import CURRENCIES, MoneyError, to_decimal
from jili.org.models import Level, Person
from jili.periods.models import Period, PeriodKind, PeriodStatus
from jili.schemes import CalculationContext, Explanation, Fact, PeriodFacts, PersonFacts
from jili.tenancy import get_scoped_or_404
from jili.web import bp

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PUBLISHED = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)

# Explanation inputs that hold a person id: shown as the person's name.
PERSON_KEYS = frozenset({"person", "newcomer", "mentor", "mentee", "manager"})

COMPONENT_LABELS = {
    "icebreaker": _l("Ice-breaking award"),
    "bole": _l("Talent-spotter award"),
    "training_fund_newcomer": _l("Training fund (newcomer)"),
    "training_fund_mentor": _l("Training fund (mentor)"),
    "over_target": _l("Over-target award"),
    "attainment_award": _l("Attainment award"),
}


def component_label(key: str) -> str:
    """A payout line's component in words ("" for a plan's single line)."""
    if not key:
        return ""
    if key in COMPONENT_LABELS:
        return str(COMPONENT_LABELS[key])
    if key.startswith("one_off:"):
        return _("One-off award: %(kind)s", kind=key.split(":", 1)[1])
    return key.replace("_", " ")


def _rule_word(key: str, value: str) -> str:
    if key == "level" and value in LEVEL_LABELS:
        return str(LEVEL_LABELS[value])
    return _(value) if value else value


def render_explanation(data: Mapping, names: Mapping[int, str]) -> tuple[str, list[str]]:
    """A stored explanation in the reader's language: the sentence (message and
    rule words translated, person ids as names) and the arithmetic as computed."""
    expl = Explanation.from_dict(data)
    inputs = {}
    for key, value in expl.inputs.items():
        if key in PERSON_KEYS and str(value).isdigit() and int(value) in names:
            value = names[int(value)]
        elif key == "level" and value in LEVEL_LABELS:
            value = str(LEVEL_LABELS[value])
        inputs[key] = value
    params = {**inputs, **{k: _rule_word(k, v) for k, v in expl.rule.items()}}
    sentence = _(expl.message)
    if params:
        try:
            sentence = sentence % params
        except (KeyError, ValueError, TypeError):  # a broken translation: fall back to English
            try:
                sentence = expl.message % params
            except (KeyError, ValueError, TypeError):
                sentence = expl.message
    return sentence, list(expl.arithmetic)


# -- who may see whom ------------------------------------------------------------


def viewer_person() -> Person | None:
    """The person record linked to the logged-in user in this tenant."""
    if "viewer_person" not in g:
        g.viewer_person = db.session.scalar(
            select(Person).where(
                Person.tenant_id == g.tenant.id, Person.user_id == g.membership.user_id
            )
        )
    return g.viewer_person


def visible_person_ids() -> set[int] | None:
    """Ids of the people whose statements the viewer may see; None = everyone."""
    if can("statements.all"):
        return None
    me = viewer_person()
    if me is None:
        return set()
    ids = {me.id}
    if can("statements.team"):
        teams = load_subtree(g.tenant.id).get(me.team_id, []) if me.team_id else []
        condition = Person.manager_id == me.id
        if teams:
            condition = or_(condition, Person.team_id.in_(teams))
        ids |= set(
            db.session.scalars(select(Person.id).where(Person.tenant_id == g.tenant.id, condition))
        )
    return ids


def may_see(person_id: int, visible: set[int] | None = None) -> bool:
    visible = visible_person_ids() if visible is None else visible
    return visible is None or person_id in visible


def period_visible(period: Period) -> bool:
    """Staff see published and closed periods; managers and up see calculated ones too."""
    return can("statements.team") or period.status in PUBLISHED


def _names() -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Person.id, Person.name).where(Person.tenant_id == g.tenant.id)
        ).all()
    )


def _plan_url(plan_id: int) -> str | None:
    """The plan page, when the plans pages are installed and the viewer may see them."""
    if "tenant.plan_detail" in current_app.view_functions and can("plans.view"):
        return url_for("tenant.plan_detail", plan_id=plan_id)
    return None


# -- the statement -----------------------------------------------------------------


def statement_context(period: Period, person: Person) -> dict:
    """Every line of the period's latest final run for ``person``, grouped by plan."""
    run = latest_run(g.tenant.id, period.id)
    groups: list[dict] = []
    total = total_before = ZERO
    if run is not None:
        names = _names()
        plan_order = {p["plan_id"]: i for i, p in enumerate(run.plans or [])}
        plan_names = {p["plan_id"]: p["plan_name"] for p in run.plans or []}
        by_plan: dict[int, dict] = {}
        for line in engine_run_lines(run, [person.id]):
            group = by_plan.get(line.plan_id)
            if group is None:
                group = by_plan[line.plan_id] = {
                    "plan_id": line.plan_id,
                    "plan_name": plan_names.get(line.plan_id, f"#{line.plan_id}"),
                    "plan_url": _plan_url(line.plan_id),
                    "lines": [],
                    "subtotal": ZERO,
                }
            sentence, arithmetic = render_explanation(line.explanation, names)
            group["lines"].append(
                {
                    "component": component_label(line.component),
                    "amount": line.amount,
                    "before": line.amount_before_budget,
                    "cut": line.amount != line.amount_before_budget,
                    "sentence": sentence,
                    "arithmetic": arithmetic,
                }
            )
            group["subtotal"] += line.amount
            total += line.amount
            total_before += line.amount_before_budget
        groups = sorted(by_plan.values(), key=lambda gr: plan_order.get(gr["plan_id"], 1 << 30))
    return {
        "period": period,
        "person": person,
        "run": run,
        "groups": groups,
        "total": total,
        "total_before": total_before,
        "published": period.status in PUBLISHED,
        "own": (me := viewer_person()) is not None and me.id == person.id,
    }


def _statement_periods() -> list[Period]:
    """Periods with a final run that the viewer may see, latest first."""
    has_run = (
        select(CalculationRun.period_id)
        .where(CalculationRun.tenant_id == g.tenant.id, CalculationRun.kind == RunKind.FINAL)
        .distinct()
    )
    query = select(Period).where(Period.tenant_id == g.tenant.id, Period.id.in_(has_run))
    if not can("statements.team"):
        query = query.where(Period.status.in_(PUBLISHED))
    return list(db.session.scalars(query.order_by(Period.start_date.desc(), Period.kind)))


def _team_rows(period: Period, visible: set[int] | None, me: Person | None) -> list[dict]:
    """The people the viewer may see besides themselves, with their period total."""
    run = latest_run(g.tenant.id, period.id)
    from jili.incentives.engine import person_totals

    totals = person_totals(run) if run is not None else {}
    query = select(Person).where(Person.tenant_id == g.tenant.id).options(selectinload(Person.team))
    if visible is not None:
        query = query.where(Person.id.in_(visible))
    rows = []
    for p in db.session.scalars(query.order_by(Person.employee_no)):
        if me is not None and p.id == me.id:
            continue
        rows.append({"person": p, "total": totals.get(p.id, ZERO), "paid": p.id in totals})
    return rows


@bp.route("/statements")
@require("tenant.view")
def statements():
    periods = _statement_periods()
    period_id = request.args.get("period_id", type=int)
    if period_id is not None:
        period = next((p for p in periods if p.id == period_id), None)
        if period is None:
            abort(404)
    else:
        period = periods[0] if periods else None
    me = viewer_person()
    context = {"periods": periods, "period": period, "me": me, "team": [], "statement": None}
    if period is not None:
        if me is not None:
            context["statement"] = statement_context(period, me)
        if can("statements.team"):
            context["team"] = _team_rows(period, visible_person_ids(), me)
    return render_template("incentives/statements/index.html", **context)


@bp.route("/periods/<int:period_id>/statements/<int:person_id>")
@require("tenant.view")
def statement(period_id: int, person_id: int):
    period = get_scoped_or_404(Period, period_id, g.tenant.id)
    person = get_scoped_or_404(Person, person_id, g.tenant.id)
    if not may_see(person.id) or not period_visible(period):
        abort(404)
    return render_template(
        "incentives/statements/statement.html", **statement_context(period, person)
    )


# -- the what-if simulator -----------------------------------------------------------

_KIND_ORDER = {PeriodKind.QUARTER: 3, PeriodKind.MONTH: 2, PeriodKind.YEAR: 1, PeriodKind.WEEK: 0}


def _default_period(person: Person | None) -> Period | None:
    """The latest period already started that is not closed, preferring one where
    the person has a target, then a quarter over a month over a year."""
    periods = list(
        db.session.scalars(
            select(Period).where(
                Period.tenant_id == g.tenant.id, Period.status != PeriodStatus.CLOSED
            )
        )
    )
    if not periods:
        return None
    with_target: set[int] = set()
    if person is not None:
        with_target = set(
            db.session.scalars(
                select(SalesTarget.period_id).where(
                    SalesTarget.tenant_id == g.tenant.id,
                    SalesTarget.person_id == person.id,
                    SalesTarget.revenue.is_not(None),
                )
            )
        )
    today = date.today()
    started = [p for p in periods if p.start_date <= today] or periods

    def rank(p: Period):
        return (p.id in with_target, p.start_date <= today, p.start_date, _KIND_ORDER[p.kind])

    return max(started, key=rank)


def _money_tick(amount: Decimal) -> str:
    currency = g.tenant.currency
    return numbers.format_currency(
        amount, currency, format="¤#,##0", locale=str(get_locale()), currency_digits=False
    )


def _signed(amount: Decimal) -> str:
    text = format_money(abs(amount))
    if amount > 0:
        return "+" + text
    if amount < 0:
        return "−" + text
    return "±" + text


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _pct(value: Decimal) -> str:
    return f"{_plain_number(value)} %"


@bp.route("/simulator")
@require("tenant.view")
def simulator():
    tid = g.tenant.id
    visible = visible_person_ids()
    me = viewer_person()
    errors: dict[str, str] = {}

    people_query = select(Person).where(Person.tenant_id == tid).order_by(Person.employee_no)
    if visible is not None:
        people_query = people_query.where(Person.id.in_(sorted(visible) or [-1]))
    people = list(db.session.scalars(people_query))

    person_id = request.args.get("person_id", type=int)
    if person_id is not None:
        person = get_scoped_or_404(Person, person_id, tid)
        if not may_see(person.id, visible):
            abort(404)
    else:
        person = me if me is not None and may_see(me.id, visible) else None
        person = person or (people[0] if people else None)

    period_id = request.args.get("period_id", type=int)
    period = (
        get_scoped_or_404(Period, period_id, tid)
        if period_id is not None
        else _default_period(person)
    )
    periods = list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == tid, Period.kind != PeriodKind.WEEK)
            .order_by(Period.start_date.desc(), Period.kind)
        )
    )
    if period is not None and period not in periods:
        periods.insert(0, period)

    entries = []
    if period is not None:
        entries = [e for e in plans_for_period(tid, period) if e.status == PlanStatus.ACTIVE]
    eligible = _eligibility(entries, person, period)
    plan_id = request.args.get("plan_id", type=int)
    entry = None
    if plan_id is not None:
        plan = get_scoped_or_404(Plan, plan_id, tid)
        entry = next((e for e in entries if e.plan.id == plan.id), None)
        if entry is None:
            errors["plan_id"] = _(
                "Plan %(plan)s is not calculated in %(period)s (disabled, or no version in force).",
                plan=plan.name,
                period=period.label if period else "—",
            )
    elif entries:
        entry = next((e for e in entries if eligible.get(e.plan.id)), entries[0])

    attainment = None
    raw = (request.args.get("attainment") or "").strip().replace("%", "")
    if raw:
        try:
            attainment = to_decimal(raw).quantize(Decimal("0.1")).normalize()
            if not ZERO <= attainment <= Decimal(200):
                raise MoneyError("out of range")
        except (MoneyError, ArithmeticError):
            errors["attainment"] = _("Attainment must be a number from 0 to 200.")
            attainment = None

    typed_target = None
    raw = (request.args.get("target") or "").strip()
    if raw:
        try:
            typed_target = to_decimal(raw)
            if typed_target <= 0:
                raise MoneyError("not positive")
        except (MoneyError, ArithmeticError):
            errors["target"] = _("The target must be an amount above zero, e.g. 500000.")
            typed_target = None

    result = _simulate(person, period, entry, attainment, typed_target)
    context = {
        "people": people,
        "person": person,
        "periods": periods,
        "period": period,
        "entries": entries,
        "eligible": eligible,
        "entry": entry,
        "errors": errors,
        "attainment": result.get("current_pct", attainment),
        "typed_target": request.args.get("target", "") if "target" in errors else typed_target,
        "own": me is not None and person is not None and me.id == person.id,
        "plain": _plain_number,
        **result,
    }
    if g.htmx and request.headers.get("HX-Target") == "sim-result":
        return render_template("incentives/statements/_sim_result.html", fragment=True, **context)
    return render_template("incentives/statements/simulator.html", **context)


def _eligibility(entries, person: Person | None, period: Period | None) -> dict[int, bool]:
    """plan id → whether ``person`` is eligible for the plan's version in force
    (the engine's own rule, on a one-person set of facts)."""
    if person is None or period is None or not entries:
        return {}
    one = PeriodFacts.build(
        period_info(period),
        [PersonFacts(person_id=person.id, level=str(person.level.value), team_id=person.team_id)],
    )
    subtree = load_subtree(g.tenant.id)
    return {
        e.plan.id: person.id in narrow(one, e.version.eligibility, subtree).people for e in entries
    }


# The 0–200 % steps of a curve, per worker process: a slider move then costs one
# calculation instead of twenty-two. Keyed by the engine's fingerprint of the
# facts, settings and eligibility, so any change to the inputs misses the cache.
_CURVES: OrderedDict[tuple, tuple[Point, ...]] = OrderedDict()
_CURVES_LOCK = threading.Lock()
_CURVES_MAX = 128


def _curve(scoped, entry, person_id: int, target: Decimal, attainment: Decimal, context):
    settings = entry.version.settings
    key = (
        g.tenant.id,
        person_id,
        str(target),
        fingerprint(scoped, [entry], {"paid_once": sorted(context.paid_once_keys)}),
    )
    with _CURVES_LOCK:
        steps = _CURVES.get(key)
        if steps is not None:
            _CURVES.move_to_end(key)
    if steps is None:
        steps = tuple(
            simulate(entry.scheme, settings, scoped, person_id, target, DEFAULT_STEPS, context)
        )
        with _CURVES_LOCK:
            _CURVES[key] = steps
            while len(_CURVES) > _CURVES_MAX:
                _CURVES.popitem(last=False)
    if attainment in DEFAULT_STEPS:
        return list(steps)
    extra = simulate(entry.scheme, settings, scoped, person_id, target, [attainment], context)
    return sorted([*steps, *extra], key=lambda p: p.attainment_pct)


def _simulate(person, period, entry, attainment, typed_target) -> dict:
    """The curve and the sentence, or the reason there is none (``problem``)."""
    if person is None:
        return {
            "problem": _(
                "There is no one you can simulate: your account is not linked to a person in this company."
            )
        }
    if period is None:
        return {"problem": _("There are no periods yet.")}
    if entry is None:
        return {"problem": _("No plan is calculated in %(period)s.", period=period.label)}
    tid = g.tenant.id
    scheme = entry.scheme
    # A per-person scheme needs only this person's facts (a manager's roll-up
    # needs their teams', so a manager gets the whole company).
    alone = scheme.per_person and person.level != Level.MANAGER
    facts, unrolled = build_facts_and_own(
        tid,
        period,
        frozenset(scheme.facts_needed) | {Fact.SALES, Fact.TARGETS},
        only=frozenset({person.id}) if alone else None,
    )
    if not scheme.manager_rollup:
        facts = without_rollup(facts, unrolled)
    actual = facts.people.get(person.id)
    subtree = load_subtree(tid)
    scoped = narrow(facts, entry.version.eligibility, subtree)
    if scheme.per_person and person.id in scoped.people:
        # This scheme pays each person on their own facts: calculate them alone.
        scoped = narrow(scoped, {"person_ids": [person.id]}, subtree)
    out: dict = {
        "actual_sales": actual.booked_revenue if actual else ZERO,
        "actual_target": actual.target if actual else None,
    }
    if person.id not in scoped.people:
        out["problem"] = _(
            "%(name)s is not eligible for plan %(plan)s (see the plan's eligibility).",
            name=person.name,
            plan=entry.plan.name,
        )
        return out
    target = typed_target or (actual.target if actual else None)
    out["target"] = target
    if target is None or target <= 0:
        out["need_target"] = True
        out["problem"] = _(
            "%(name)s has no revenue target in %(period)s. Type a target to simulate with.",
            name=person.name,
            period=period.label,
        )
        return out
    if attainment is None:
        current = actual.booked_revenue / target * HUNDRED if actual else HUNDRED
        attainment = min(max(current, ZERO), Decimal(200)).quantize(Decimal(1)).normalize()
    places = CURRENCIES.get(g.tenant.currency, 2)
    context = CalculationContext(
        plan_key=f"plan-{entry.plan.id}",
        places=places,
        currency=g.tenant.currency,
        paid_once_keys=paid_once_keys(tid, period.id).get(entry.plan.id, frozenset()),
    )
    try:
        points = _curve(scoped, entry, person.id, target, attainment, context)
    except Exception as exc:  # a plugin refusing its inputs: say so, plainly
        out["problem"] = _(
            "Plan %(plan)s could not be calculated: %(error)s", plan=entry.plan.name, error=exc
        )
        return out
    current = point_at(points, attainment)
    base = point_at(points, HUNDRED)
    me = viewer_person()
    own = me is not None and me.id == person.id
    params = {
        "pct": _pct(attainment),
        "amount": format_money(current.payout),
        "delta": _signed(current.payout - base.payout),
        "base": _pct(HUNDRED),
        "name": person.name,
    }
    sentence = (
        _("At %(pct)s you earn %(amount)s, %(delta)s against %(base)s.", **params)
        if own
        else _("At %(pct)s %(name)s earns %(amount)s, %(delta)s against %(base)s.", **params)
    )
    labels = ChartLabels(
        title=_("%(plan)s: payout against attainment", plan=entry.plan.name),
        x_axis=_("Attainment against target"),
        y_axis=_("Payout (%(currency)s)", currency=g.tenant.currency),
        target_line=_("Target"),
    )
    svg = chart_svg(points, current, labels, format_money, format_tick=_money_tick)
    out.update(
        points=points,
        current=current,
        base=base,
        current_pct=attainment,
        sentence=sentence,
        chart=Markup(svg),  # built from escaped parts in jili.incentives.services.simulator
    )
    return out
