"""Statements (a person's payout lines of a period, explained in the reader's
language); the what-if simulator is :mod:`jili.incentives.views.simulator`.

Who sees whose statement follows :mod:`jili.org.visibility`: everyone their own;
a manager the people in their team's subtree and those who report to them; owner,
admin, hr and consultant everyone. Staff see a period only once it is published.
Anything else is a 404, so a guess does not confirm that a person exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask import abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from jili.accounts.roles import can, require
from jili.extensions import db
from jili.i18n import LEVEL_LABELS, award_kind_label
from jili.incentives.engine import corrections, latest_run
from jili.incentives.engine import run_lines as engine_run_lines
from jili.incentives.models import CalculationRun, RunKind
from jili.incentives.services.budget_words import statement_sentences
from jili.org.models import Person
from jili.org.visibility import may_see, viewer_person, visible_person_ids
from jili.periods.models import Period, PeriodStatus
from jili.schemes import Explanation, Step, translated
from jili.tenancy import get_scoped_or_404
from jili.web import bp

ZERO = Decimal(0)
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
        return _("One-off award: %(kind)s", kind=award_kind_label(key.split(":", 1)[1]))
    return key.replace("_", " ")


def _rule_word(key: str, value: str) -> str:
    if key == "level" and value in LEVEL_LABELS:
        return str(LEVEL_LABELS[value])
    if isinstance(value, Step):
        return value.translate(_)
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
        inputs[key] = translated(value, _)
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
    return sentence, expl.steps(_)


# -- who may see whom: jili.org.visibility ------------------------------------------


def period_visible(period: Period) -> bool:
    """Staff see published and closed periods; managers and up see calculated ones too."""
    return can("statements.team") or period.status in PUBLISHED


def _named_ids(explanations) -> set[int]:
    """The person ids the explanations name (mentor, newcomer, manager…)."""
    ids = set()
    for data in explanations:
        for key, value in ((data or {}).get("inputs") or {}).items():
            if key in PERSON_KEYS and str(value).isdigit():
                ids.add(int(value))
    return ids


def _names(ids) -> dict[int, str]:
    """The names of these people of the tenant (only those a statement names)."""
    ids = sorted(ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(Person.id, Person.name).where(
                Person.tenant_id == g.tenant.id, Person.id.in_(ids)
            )
        ).all()
    )


def _plan_url(plan_id: int) -> str | None:
    """The plan page, when the plans pages are installed and the viewer may see them."""
    if plan_id == corrections.CORRECTIONS_PLAN_ID:
        return None
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
        plan_order = {p["plan_id"]: i for i, p in enumerate(run.plans or [])}
        plan_names = {p["plan_id"]: p["plan_name"] for p in run.plans or []}
        plan_names[corrections.CORRECTIONS_PLAN_ID] = corrections.plan_name()
        by_plan: dict[int, dict] = {}
        lines = engine_run_lines(run, [person.id])
        names = _names(_named_ids(line.explanation for line in lines))
        for line in lines:
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
        "budget_sentences": statement_sentences(
            run.budget if run is not None else None, total_before, total
        ),
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
