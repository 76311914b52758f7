"""Split by hand: one form listing every child of a parent target (its quarters
or months, or its team's sub-teams and people) with its value, the running
difference to the parent, saved all or nothing with an error on each bad row."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from jili.accounts.roles import require
from jili.extensions import db
from jili.money import NumberError
from jili.org.models import Person, Team
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.targets.services.core import TargetError, find_target, is_published
from jili.targets.services.grid import parse_amount
from jili.targets.services.metrics import by_code
from jili.targets.services.splits import (
    Child,
    SplitMethod,
    period_children,
    split,
    subject_children,
)
from jili.targets.views.grid import fmt_plain
from jili.web import bp

ZERO = Decimal(0)


@dataclass
class HandRow:
    child: Child
    typed: str
    error: str = ""


def _args() -> dict:
    src = request.values
    period_id = src.get("period_id", "")
    period = db.session.get(Period, int(period_id)) if period_id.isdigit() else None
    if period is None or period.tenant_id != g.tenant.id:
        abort(404)
    subject = src.get("subject", "")
    person_id = int(subject[1:]) if subject[:1] == "p" and subject[1:].isdigit() else None
    team_id = int(subject[1:]) if subject[:1] == "t" and subject[1:].isdigit() else None
    if (person_id is None) == (team_id is None):
        abort(404)
    obj = db.session.get(Person if person_id else Team, person_id or team_id)
    if obj is None or obj.tenant_id != g.tenant.id:
        abort(404)
    metric = src.get("metric", "")
    if metric not in by_code(g.tenant.id):
        abort(404)
    view = src.get("team_id_view", "")
    return {
        "period": period, "person_id": person_id, "team_id": team_id, "subject": subject,
        "name": obj.name, "metric": metric, "down": "team" if src.get("down") == "team" else "periods",
        "team_id_view": int(view) if view.isdigit() else None,
    }  # fmt: skip


def _children(a: dict) -> list[Child]:
    tid = g.tenant.id
    if a["down"] == "team":
        return subject_children(tid, a["period"], a["team_id"]) if a["team_id"] else []
    return period_children(tid, a["period"], a["person_id"], a["team_id"])


def _current(a: dict, child: Child) -> str:
    t = find_target(g.tenant.id, child.period_id, child.person_id, child.team_id, a["metric"])
    return _plain(t.baseline) if t is not None else ""


def _plain(value: Decimal) -> str:
    return f"{value:f}".removesuffix(".00")


def _check(a: dict, rows: list[HandRow]) -> dict[str, Decimal]:
    """Each row's value, or its error (set on the row); the values when all are good."""
    values: dict[str, Decimal] = {}
    periods: dict[int, Period] = {}
    for row in rows:
        c = row.child
        period = periods.setdefault(c.period_id, db.session.get(Period, c.period_id))
        try:
            value = parse_amount(row.typed)
        except NumberError as exc:
            row.error = str(exc)
            continue
        if value is None:
            row.error = _("Type a value (0 for none).")
        elif period.is_closed:
            row.error = _("%(period)s is closed: its targets cannot change.", period=period.label)
        elif is_published(g.tenant.id, c.period_id):
            row.error = _("The targets of %(period)s are published: ask for an adjustment.",
                          period=period.label)  # fmt: skip
        else:
            values[c.key] = value
    return values


def _totals(parent: Decimal | None, rows: list[HandRow]) -> dict:
    total, complete = ZERO, True
    for row in rows:
        try:
            total += parse_amount(row.typed) or ZERO
        except NumberError:
            complete = False
    diff = total - parent if parent is not None else None
    return {"parent": parent, "total": total, "diff": diff, "complete": complete}


@bp.route("/targets/plan/split/hand", methods=["GET", "POST"])
@require("targets.edit")
def targets_split_hand():
    a = _args()
    parent = find_target(g.tenant.id, a["period"].id, a["person_id"], a["team_id"], a["metric"])
    children = _children(a)
    posted = request.method == "POST"
    rows = [
        HandRow(c, request.form.get(f"part-{c.key}", "") if posted else _current(a, c))
        for c in children
    ]
    context = {"a": a, "rows": rows, "parent": parent, "m": by_code(g.tenant.id)[a["metric"]],
               "fmt_plain": fmt_plain}  # fmt: skip
    if posted and request.form.get("preview"):  # the running difference, as typed
        context["totals"] = _totals(parent.baseline if parent else None, rows)
        return render_template("targets/_split_totals.html", **context)
    status, error = 200, None
    if posted:
        values = _check(a, rows) if parent is not None and children else {}
        if parent is not None and children and len(values) == len(rows):
            try:
                split(g.tenant.id, current_user.id, a["period"], person_id=a["person_id"],
                      team_id=a["team_id"], metric=a["metric"], down=a["down"],
                      method=SplitMethod.MANUAL, manual=values)  # fmt: skip
                db.session.commit()
            except (TargetError, PeriodClosed) as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(_("Split by hand into %(n)d parts.", n=len(values)), "success")
                return redirect(url_for("tenant.targets_grid", period_id=a["period"].id,
                                        team_id=a["team_id_view"]))  # fmt: skip
        status = 422
        if parent is None:
            error = _("Set this target before splitting it.")
        elif not children:
            error = _("There is nothing to split into.")
        error = error or _("Nothing was saved: correct the rows marked below.")
    context["totals"] = _totals(parent.baseline if parent else None, rows)
    return render_template("targets/split_hand.html", error=error, **context), status
