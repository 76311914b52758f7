"""Alert rules: the defaults, validation, create/change/remove (audit-logged),
and a rule described in words (made at read time, in the reader's language)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from jili.alerts.models import AlertRule, Level, Measure
from jili.audit import services as audit
from jili.extensions import db

PERIOD_KINDS = ("week", "month", "quarter")
LEVEL_LABELS = {"yellow": _l("Yellow"), "red": _l("Red")}
MEASURE_LABELS = {"attainment": _l("attainment (%)"), "value": _l("value")}
METRIC_LABELS = {
    "revenue": _l("Revenue"),
    "collected": _l("Collected cash"),
    "margin": _l("Margin"),
    "new_customers": _l("New customers"),
    "deals": _l("Deals"),
    "visits": _l("Visits"),
    "lead_conversion": _l("Lead conversion"),
}
FIELDS = (
    "name",
    "level",
    "measure",
    "metric",
    "threshold",
    "periods",
    "period_kind",
    "plan_days",
    "active",
)

#: The seed's defaults (DOMAIN.md): yellow below 80 % in a month, red after two
#: months below 70 % with a plan within 3 working days, and a metric below a
#: threshold for two consecutive weeks (lead conversion below 15 %).
DEFAULT_RULES = (
    dict(level="yellow", measure="attainment", metric="revenue", threshold=Decimal(80),
         periods=1, period_kind="month", plan_days=0),
    dict(level="red", measure="attainment", metric="revenue", threshold=Decimal(70),
         periods=2, period_kind="month", plan_days=3),
    dict(level="yellow", measure="value", metric="lead_conversion", threshold=Decimal(15),
         periods=2, period_kind="week", plan_days=0),
)  # fmt: skip


class RuleError(ValueError):
    pass


def metric_label(code: str) -> str:
    label = METRIC_LABELS.get(code)
    return str(label) if label is not None else code


def period_words(kind: str, n: int) -> str:
    if kind == "week":
        return ngettext("%(num)d week", "%(num)d consecutive weeks", n)
    if kind == "quarter":
        return ngettext("%(num)d quarter", "%(num)d consecutive quarters", n)
    return ngettext("%(num)d month", "%(num)d consecutive months", n)


def describe(rule: AlertRule) -> str:
    """The rule as a sentence: 'Revenue attainment below 70 % in 2 consecutive months'
    ('… in a month' for one period: Chinese has no plural to tell them apart)."""
    threshold = format(Decimal(rule.threshold).normalize(), "f")
    words = {"metric": metric_label(rule.metric), "threshold": threshold}
    attainment = rule.measure == Measure.ATTAINMENT
    if rule.periods == 1:
        text = _single(rule.period_kind, attainment) % words
    elif attainment:
        text = _(
            "%(metric)s attainment below %(threshold)s %% in %(periods)s",
            periods=period_words(rule.period_kind, rule.periods),
            **words,
        )
    else:
        text = _(
            "%(metric)s below %(threshold)s in %(periods)s",
            periods=period_words(rule.period_kind, rule.periods),
            **words,
        )
    return f"{rule.name} — {text}" if rule.name else text


def _single(kind: str, attainment: bool) -> str:
    """The sentence for a rule over one period, its values still to fill in."""
    if attainment:
        if kind == "week":
            return _("%(metric)s attainment below %(threshold)s %% in a week")
        if kind == "quarter":
            return _("%(metric)s attainment below %(threshold)s %% in a quarter")
        return _("%(metric)s attainment below %(threshold)s %% in a month")
    if kind == "week":
        return _("%(metric)s below %(threshold)s in a week")
    if kind == "quarter":
        return _("%(metric)s below %(threshold)s in a quarter")
    return _("%(metric)s below %(threshold)s in a month")


def rules_of(tenant_id: int) -> list[AlertRule]:
    return list(
        db.session.scalars(
            select(AlertRule)
            .where(AlertRule.tenant_id == tenant_id)
            .order_by(AlertRule.level.desc(), AlertRule.metric, AlertRule.id)
        )
    )


def validate(values: dict) -> None:
    if values["level"] not in {m.value for m in Level}:
        raise RuleError(_("Choose yellow or red."))
    if values["measure"] not in {m.value for m in Measure}:
        raise RuleError(_("Choose attainment or value."))
    if values["period_kind"] not in PERIOD_KINDS:
        raise RuleError(_("Choose weeks, months or quarters."))
    if not (1 <= int(values["periods"]) <= 12):
        raise RuleError(_("The number of consecutive periods must be 1 to 12."))
    if not (0 <= int(values["plan_days"]) <= 30):
        raise RuleError(_("The improvement plan deadline must be 0 to 30 working days."))
    if not values["metric"] or len(values["metric"]) > 40:
        raise RuleError(_("Name the metric (at most 40 characters)."))
    if Decimal(values["threshold"]) < 0:
        raise RuleError(_("The threshold cannot be negative."))


def _snapshot(rule: AlertRule) -> dict:
    return audit.snapshot(rule, list(FIELDS))


def create_rule(tenant_id: int, values: dict, *, actor=None) -> AlertRule:
    values = {"name": "", "active": True, **values}
    validate(values)
    rule = AlertRule(tenant_id=tenant_id, **{k: values[k] for k in FIELDS})
    db.session.add(rule)
    db.session.flush()
    audit.record("alert_rule.create", rule, after=_snapshot(rule), actor=actor)
    return rule


def update_rule(rule: AlertRule, values: dict) -> None:
    validate({**_snapshot(rule), **values})
    before = _snapshot(rule)
    for k in FIELDS:
        if k in values:
            setattr(rule, k, values[k])
    db.session.flush()
    audit.record("alert_rule.update", rule, before=before, after=_snapshot(rule))


def delete_rule(rule: AlertRule) -> None:
    audit.record("alert_rule.delete", rule, before=_snapshot(rule))
    db.session.delete(rule)
    db.session.flush()


def add_default_rules(tenant_id: int, *, actor=None) -> list[AlertRule]:
    return [create_rule(tenant_id, dict(r), actor=actor) for r in DEFAULT_RULES]
