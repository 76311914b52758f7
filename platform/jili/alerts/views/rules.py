"""The alert rules page: list, add, change, remove, the defaults, evaluate now."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, g, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.alerts import services
from jili.alerts.models import AlertRule
from jili.alerts.services.rules import (
    LEVEL_LABELS,
    MEASURE_LABELS,
    METRIC_LABELS,
    PERIOD_KINDS,
    metric_label,
)
from jili.extensions import db
from jili.money import NumberError, parse_decimal
from jili.plan_as_code.demo import tenant_today
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import saved


def _context(**extra) -> dict:
    return {
        "rules": services.rules_of(g.tenant.id),
        "describe": services.describe,
        "level_labels": LEVEL_LABELS,
        "measure_labels": MEASURE_LABELS,
        "metric_labels": METRIC_LABELS,
        "metric_label": metric_label,
        "period_kinds": PERIOD_KINDS,
        **extra,
    }


def _values(form) -> dict:
    """The posted rule, parsed; RuleError names the field at fault."""
    try:
        threshold = parse_decimal(
            form.get("threshold", ""), places=4, limit=Decimal(10) ** 14, minimum=Decimal(0)
        )
    except NumberError as exc:
        raise services.RuleError(_("Threshold: %(why)s", why=str(exc))) from None
    out = {}
    for key in ("periods", "plan_days"):
        raw = (form.get(key) or "0").strip()
        if not raw.isdigit():
            raise services.RuleError(
                _("The number of periods must be a whole number.")
                if key == "periods"
                else _("The plan deadline must be a whole number of working days.")
            )
        out[key] = int(raw)
    return {
        "name": (form.get("name") or "").strip()[:120],
        "level": form.get("level", ""),
        "measure": form.get("measure", ""),
        "metric": (form.get("metric") or "").strip(),
        "threshold": Decimal(threshold),
        "period_kind": form.get("period_kind", ""),
        "active": form.get("active") == "on",
        **out,
    }


def _fail(exc: Exception):
    db.session.rollback()
    flash(str(exc), "error")
    return render_template("alerts/rules.html", **_context(typed=request.form)), 422


def _done(message: str):
    db.session.commit()
    flash(message, "success")
    return saved(url_for("tenant.alert_rules"), "alerts/rules.html", **_context())


@bp.route("/alerts/rules")
@require("alerts.rules.view")
def alert_rules():
    return render_template("alerts/rules.html", **_context())


@bp.route("/alerts/rules", methods=["POST"])
@require("alerts.rules.edit")
def alert_rule_create():
    try:
        services.create_rule(g.tenant.id, _values(request.form))
    except services.RuleError as exc:
        return _fail(exc)
    return _done(_("The rule is added."))


@bp.route("/alerts/rules/<int:rule_id>", methods=["POST"])
@require("alerts.rules.edit")
def alert_rule_update(rule_id: int):
    rule = get_scoped_or_404(AlertRule, rule_id, g.tenant.id)
    try:
        services.update_rule(rule, _values(request.form))
    except services.RuleError as exc:
        return _fail(exc)
    return _done(_("The rule is saved."))


@bp.route("/alerts/rules/<int:rule_id>/delete", methods=["POST"])
@require("alerts.rules.edit")
def alert_rule_delete(rule_id: int):
    rule = get_scoped_or_404(AlertRule, rule_id, g.tenant.id)
    services.delete_rule(rule)
    return _done(_("The rule is removed, with the alerts it raised."))


@bp.route("/alerts/rules/defaults", methods=["POST"])
@require("alerts.rules.edit")
def alert_rule_defaults():
    services.add_default_rules(g.tenant.id)
    return _done(_("The default rules are added."))


@bp.route("/alerts/evaluate", methods=["POST"])
@require("alerts.rules.edit")
def alert_rules_evaluate():
    today = tenant_today(g.tenant)
    out = services.evaluate(g.tenant.id, today)
    services.notify_late(g.tenant.id, today)
    return _done(
        _(
            "Rules evaluated: %(n)d new alerts, %(p)d improvement plans asked for.",
            n=len(out.raised),
            p=len(out.plans),
        )
    )
