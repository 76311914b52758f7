"""The what-if simulator: a person's payout against attainment under a plan in
force in a period, as a curve and a sentence. Whom one may simulate follows the
statements' rule (:func:`jili.org.visibility.visible_person_ids`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import numbers
from flask import abort, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from jili.accounts.models import Role
from jili.accounts.roles import require
from jili.extensions import db
from jili.i18n import format_money
from jili.incentives.engine import PlanStatus, load_subtree, narrow, period_info, plans_for_period
from jili.incentives.engine.runs import paid_once_keys
from jili.incentives.models import Plan
from jili.incentives.services.estimates import company_estimate
from jili.incentives.services.sim_company import company_part, curve, own_part
from jili.incentives.services.sim_stack import PlanCurve, Stack, stacked_svg
from jili.incentives.services.simulator import (
    ChartLabels,
    Point,
    chart_svg,
    default_period,
    point_at,
)
from jili.money import CURRENCIES, MoneyError, to_decimal
from jili.org.models import Level, Person
from jili.org.visibility import may_see, viewer_person, visible_person_ids
from jili.periods.models import Period, PeriodKind
from jili.schemes import CalculationContext, PeriodFacts, PersonFacts
from jili.tenancy import get_scoped_or_404
from jili.web import bp

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _default_period(person: Person | None) -> Period | None:
    return default_period(g.tenant.id, person.id if person else None, date.today())


#: The simulator's charts for a phone: drawn at about the width they are shown at
#: (390 px less the page's margins), so 12-unit text stays about 12 px.
PHONE_WIDTH, PHONE_HEIGHT = 360, 300


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


def _people(visible: set[int] | None) -> list[Person]:
    """The people the viewer may simulate, by employee number."""
    query = select(Person).where(Person.tenant_id == g.tenant.id).order_by(Person.employee_no)
    if visible is not None:
        query = query.where(Person.id.in_(sorted(visible) or [-1]))
    return list(db.session.scalars(query))


def _chosen_person(people: list[Person], me: Person | None, visible) -> Person | None:
    """``?person_id`` (404 unless the viewer may see them), else the viewer, else the first."""
    person_id = request.args.get("person_id", type=int)
    if person_id is not None:
        person = get_scoped_or_404(Person, person_id, g.tenant.id)
        if not may_see(person.id, visible):
            abort(404)
        return person
    if g.role == Role.MANAGER and me is not None:
        # a manager simulates their team: the first person of it
        team = [p for p in people if p.id != me.id]
        if team:
            return team[0]
    person = me if me is not None and may_see(me.id, visible) else None
    return person or (people[0] if people else None)


def _chosen_period(person: Person | None) -> tuple[Period | None, list[Period]]:
    """``?period_id`` or the default one, and the periods to choose from (no weeks)."""
    period_id = request.args.get("period_id", type=int)
    period = (
        get_scoped_or_404(Period, period_id, g.tenant.id)
        if period_id is not None
        else _default_period(person)
    )
    periods = list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == g.tenant.id, Period.kind != PeriodKind.WEEK)
            .order_by(Period.start_date.desc(), Period.kind)
        )
    )
    if period is not None and period not in periods:
        periods.insert(0, period)
    return period, periods


def _chosen_entry(entries, eligible: dict[int, bool], period: Period | None, errors: dict):
    """``?plan_id`` among the plans calculated in the period, else the first the
    person is eligible for, else the first."""
    plan_id = request.args.get("plan_id", type=int)
    if plan_id is None:
        return (
            next((e for e in entries if eligible.get(e.plan.id)), entries[0]) if entries else None
        )
    plan = get_scoped_or_404(Plan, plan_id, g.tenant.id)
    entry = next((e for e in entries if e.plan.id == plan.id), None)
    if entry is None:
        errors["plan_id"] = _(
            "Plan %(plan)s is not calculated in %(period)s (disabled, or no version in force).",
            plan=plan.name,
            period=period.label if period else "—",
        )
    return entry


def _read_attainment(errors: dict) -> Decimal | None:
    raw = (request.args.get("attainment") or "").strip().replace("%", "")
    if not raw:
        return None
    try:
        attainment = to_decimal(raw).quantize(Decimal("0.1")).normalize()
        if not ZERO <= attainment <= Decimal(200):
            raise MoneyError("out of range")
    except (MoneyError, ArithmeticError):
        errors["attainment"] = _("Attainment must be a number from 0 to 200.")
        return None
    return attainment


def _read_target(errors: dict) -> Decimal | None:
    raw = (request.args.get("target") or "").strip()
    if not raw:
        return None
    try:
        target = to_decimal(raw)
        if target <= 0:
            raise MoneyError("not positive")
    except (MoneyError, ArithmeticError):
        errors["target"] = _("The target must be an amount above zero, e.g. 500000.")
        return None
    return target


@bp.route("/simulator")
@require("tenant.view")
def simulator():
    visible = visible_person_ids()
    me = viewer_person()
    errors: dict[str, str] = {}
    people = _people(visible)
    person = _chosen_person(people, me, visible)
    period, periods = _chosen_period(person)
    entries = []
    if period is not None:
        entries = [
            e for e in plans_for_period(g.tenant.id, period) if e.status == PlanStatus.ACTIVE
        ]
    eligible = _eligibility(entries, person, period)
    attainment = _read_attainment(errors)
    typed_target = _read_target(errors)
    # Without a chosen plan, a person in two plans or more sees them all at once.
    all_plans = not request.args.get("plan_id") and sum(eligible.values()) >= 2
    entry = None if all_plans else _chosen_entry(entries, eligible, period, errors)
    if all_plans:
        mine = [e for e in entries if eligible.get(e.plan.id)]
        result = _simulate_all(person, period, mine, attainment, typed_target)
    else:
        result = _simulate(person, period, entry, attainment, typed_target)
    context = {
        "people": people,
        "person": person,
        "periods": periods,
        "period": period,
        "entries": entries,
        "eligible": eligible,
        "entry": entry,
        "all_plans": all_plans,
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


def _needs_company(person: Person, entries) -> bool:
    """Whether the person's curves are drawn on the company's facts: a plan that
    is not per-person pays them according to others, and a manager's row
    carries their teams' roll-up. Otherwise their own facts alone will do."""
    return person.level == Level.MANAGER or any(not e.scheme.per_person for e in entries)


def _plan_part(person: Person, period: Period, entry, context, company: bool):
    """The facts the plan is simulated on for ``person`` (see
    :mod:`jili.incentives.services.sim_company`): the company's, prepared once
    per inputs stamp (shared with the home pages), or the person's alone."""
    tid = g.tenant.id
    if company:
        estimate = company_estimate(tid, g.tenant.currency, period)
        return company_part(tid, estimate, entry, context)
    return own_part(tid, period, person.id, entry, context)


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
    context = _plan_context(entry, paid_once_keys(g.tenant.id, period.id))
    part = _plan_part(person, period, entry, context, _needs_company(person, [entry]))
    actual, scoped = part.facts.people.get(person.id), part.scoped
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
    try:
        points = curve(g.tenant.id, part, person.id, target, attainment)
    except Exception as exc:  # a plugin refusing its inputs: say so, plainly
        out["problem"] = _(
            "Plan %(plan)s could not be calculated: %(error)s", plan=entry.plan.name, error=exc
        )
        return out
    out.update(_outcome(person, entry, points, attainment))
    return out


def _plan_context(entry, paid: dict) -> CalculationContext:
    """What a plan's scheme is told about the company when one person is simulated."""
    return CalculationContext(
        plan_key=f"plan-{entry.plan.id}",
        places=CURRENCIES.get(g.tenant.currency, 2),
        currency=g.tenant.currency,
        paid_once_keys=paid.get(entry.plan.id, frozenset()),
    )


def _simulate_all(person, period, entries, attainment, typed_target) -> dict:
    """Every plan of the person at the same attainment, stacked: one slider moves
    them all together (each plan calculated by its own scheme, as one plan is)."""
    curves, out = [], {}
    paid = paid_once_keys(g.tenant.id, period.id)  # one read for every plan
    company = _needs_company(person, entries)  # then every plan reads the same facts
    for entry in entries:
        context = _plan_context(entry, paid)
        part = _plan_part(person, period, entry, context, company)
        actual = part.facts.people.get(person.id)
        if not out:
            out = {
                "actual_sales": actual.booked_revenue if actual else ZERO,
                "actual_target": actual.target if actual else None,
            }
            target = typed_target or out["actual_target"]
            if target is None or target <= 0:
                out["need_target"] = True
                out["problem"] = _(
                    "%(name)s has no revenue target in %(period)s. Type a target to simulate with.",
                    name=person.name,
                    period=period.label,
                )
                return out
            if attainment is None:
                current = out["actual_sales"] / target * HUNDRED
                attainment = min(max(current, ZERO), Decimal(200)).quantize(Decimal(1)).normalize()
        try:
            points = curve(g.tenant.id, part, person.id, target, attainment)
        except Exception as exc:  # a plugin refusing its inputs: say so, plainly
            out["problem"] = _(
                "Plan %(plan)s could not be calculated: %(error)s", plan=entry.plan.name, error=exc
            )
            continue
        curves.append(PlanCurve(entry.plan.id, entry.plan.name, tuple(points)))
    stack = Stack(tuple(curves))
    out.update(target=target, stack=stack, current_pct=attainment)
    out.update(_stack_words(person, stack, attainment))
    return out


def _stack_words(person: Person, stack: Stack, attainment: Decimal) -> dict:
    me = viewer_person()
    params = {
        "pct": _pct(attainment),
        "amount": format_money(stack.total(attainment)),
        "delta": _signed(stack.total(attainment) - stack.total(HUNDRED)),
        "base": _pct(HUNDRED),
        "name": person.name,
        "n": len(stack.curves),
    }
    sentence = (
        _(
            "At %(pct)s you earn %(amount)s from your %(n)d plans, %(delta)s against %(base)s.",
            **params,
        )
        if me is not None and me.id == person.id
        else _(
            "At %(pct)s %(name)s earns %(amount)s from %(n)d plans, %(delta)s against %(base)s.",
            **params,
        )
    )
    labels = ChartLabels(
        title=_("All plans: payout against attainment, stacked by plan"),
        x_axis=_("Attainment against target"),
        y_axis=_("Payout (%(currency)s)", currency=g.tenant.currency),
    )
    return {
        "sentence": sentence,
        "chart": Markup(stacked_svg(stack, attainment, labels, _money_tick)),
        # the same chart drawn for a phone's width, so its words stay readable there
        "chart_phone": Markup(
            stacked_svg(stack, attainment, labels, _money_tick, width=PHONE_WIDTH, height=0)
        ),
    }


def _outcome(person: Person, entry, points: list[Point], attainment: Decimal) -> dict:
    """The payout at ``attainment`` against 100 %, in a sentence and on the chart."""
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
    phone = chart_svg(
        points,
        current,
        labels,
        format_money,
        format_tick=_money_tick,
        width=PHONE_WIDTH,
        height=PHONE_HEIGHT,
    )
    return {
        "points": points,
        "current": current,
        "base": base,
        "current_pct": attainment,
        "sentence": sentence,
        "chart": Markup(svg),  # built from escaped parts in jili.incentives.services.simulator
        "chart_phone": Markup(phone),  # the same for a phone's width (shown there instead)
    }
