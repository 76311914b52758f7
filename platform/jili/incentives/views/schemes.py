"""The schemes page: every installed scheme with an htmx toggle (``schemes.enable``)
and the budget settings; read-only for other roles with ``config.view``."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.roles import require
from jili.extensions import db
from jili.incentives.models import CEILING_KINDS, Plan, ceiling_fields
from jili.incentives.services import schemes as scheme_svc
from jili.incentives.services.budget_words import KIND_LABELS
from jili.incentives.services.plans import PlanError
from jili.incentives.views._plan_helpers import ERROR_STATUS, origin_label, registry
from jili.web import bp
from jili.web._helpers import saved


def _scheme_items() -> list[dict]:
    tid = g.tenant.id
    rows = scheme_svc.tenant_schemes(tid)
    counts = dict(
        db.session.execute(
            select(Plan.scheme_key, func.count(Plan.id))
            .where(Plan.tenant_id == tid)
            .group_by(Plan.scheme_key)
        ).all()
    )
    items = []
    for key, scheme in registry().all().items():
        row = rows.get(key)
        items.append(
            {
                "key": key,
                "scheme": scheme,
                "label": str(scheme.label),
                "description": str(scheme.description or scheme.__doc__ or ""),
                "origin": origin_label(key),
                "installed": True,
                "enabled": bool(row and row.enabled),
                "plans": counts.get(key, 0),
            }
        )
    for key, row in sorted(rows.items()):
        if row.enabled and registry().get(key) is None:
            items.append(
                {
                    "key": key,
                    "scheme": None,
                    "label": key,
                    "description": "",
                    "origin": "",
                    "installed": False,
                    "enabled": True,
                    "plans": counts.get(key, 0),
                }
            )
    items.sort(key=lambda i: (not i["installed"], i["label"].lower()))
    return items


def _budget_form(setting) -> dict[str, str]:
    def text(v):
        return "" if v is None else f"{v.normalize():f}" if hasattr(v, "normalize") else str(v)

    return {
        **{name: text(getattr(setting, name)) for name in scheme_svc.CEILING_FIELDS},
        "budget_rule": getattr(setting.budget_rule, "value", setting.budget_rule) or "proportional",
        "release_from_attainment_pct": text(setting.release_from_attainment_pct),
        "release_pct": text(setting.release_pct) if setting.release_pct else "",
    }


def _schemes_page(budget=None, budget_errors=None, status: int = 200):
    setting = scheme_svc.incentive_setting(g.tenant.id)
    return render_template(
        "incentives/schemes.html",
        items=_scheme_items(),
        budget=budget if budget is not None else _budget_form(setting),
        budget_errors=budget_errors or {},
        budget_saved=setting.id is not None,
        ceiling_kinds=_ceiling_kinds(),
    ), status


def _ceiling_kinds() -> list[dict]:
    """The ceiling form's rows: each period kind with its two fields."""
    rows = []
    for kind in CEILING_KINDS:
        amount, pct = ceiling_fields(kind)
        rows.append({"label": KIND_LABELS[kind], "amount": amount, "pct": pct})
    return rows


@bp.route("/schemes")
@require("config.view")
def schemes():
    return _schemes_page()


@bp.route("/schemes/toggle", methods=["POST"])
@require("schemes.enable")
def scheme_toggle():
    key = (request.form.get("scheme_key") or "").strip()
    known = {i["key"]: i for i in _scheme_items()}
    if key not in known:
        abort(400, description=_("Unknown scheme."))
    wanted = request.form.get("enabled")
    enable = (not known[key]["enabled"]) if wanted not in {"0", "1"} else wanted == "1"
    error = None
    try:
        scheme_svc.set_scheme_enabled(g.tenant.id, key, enable)
        db.session.commit()
    except PlanError as exc:
        db.session.rollback()
        error = next(iter(exc.errors.values()))
    item = {i["key"]: i for i in _scheme_items()}.get(key)
    if not g.htmx:
        if error:
            flash(error, "error")
        elif item:
            flash(
                _("%(scheme)s enabled.", scheme=item["label"])
                if item["enabled"]
                else _("%(scheme)s disabled.", scheme=item["label"]),
                "success",
            )
        return redirect(url_for("tenant.schemes"))
    if item is None:  # a scheme not installed, now disabled: its row goes
        return ""
    return render_template("incentives/_scheme_row.html", item=item, error=error), (
        ERROR_STATUS if error else 200
    )


@bp.route("/budget", methods=["POST"])
@require("schemes.edit")
def budget_save():
    values, errors = scheme_svc.parse_budget(request.form)
    if errors:
        typed = {k: (request.form.get(k) or "").strip() for k in scheme_svc.BUDGET_FIELDS}
        return _schemes_page(budget=typed, budget_errors=errors, status=ERROR_STATUS)
    scheme_svc.save_budget(g.tenant.id, values)
    db.session.commit()
    flash(_("Budget settings saved."), "success")
    setting = scheme_svc.incentive_setting(g.tenant.id)
    return saved(
        url_for("tenant.schemes"),
        "incentives/schemes.html",
        items=_scheme_items(),
        budget=_budget_form(setting),
        budget_errors={},
        budget_saved=True,
        ceiling_kinds=_ceiling_kinds(),
    )
