"""The grid of a period and team: see, type in place (one cell per request),
split down, publish."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.alerts import tasks as alert_tasks
from jili.extensions import db
from jili.home.services.progress import tenant_today
from jili.money import NumberError
from jili.org.models import Person, Team
from jili.org.visibility import visible_person_ids, visible_team_ids
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.targets.services.core import (
    TargetError,
    change_target,
    delete_target,
    find_target,
    is_published,
    publication,
)
from jili.targets.services.grid import build_grid, parse_amount
from jili.targets.services.metrics import by_code
from jili.targets.services.publication import DifferenceNotAccepted, publish
from jili.targets.services.splits import SplitMethod, split
from jili.web import bp


def _periods() -> list[Period]:
    return list(
        db.session.scalars(
            select(Period)
            .where(Period.tenant_id == g.tenant.id, Period.kind.in_(("year", "quarter", "month")))
            .order_by(Period.start_date, Period.end_date.desc())
        )
    )


def _period(period_id) -> Period:
    period = db.session.get(Period, period_id) if period_id else None
    if period is None or period.tenant_id != g.tenant.id:
        abort(404)
    return period


def _team(team_id) -> Team | None:
    if not team_id:
        return None
    team = db.session.get(Team, team_id)
    if team is None or team.tenant_id != g.tenant.id:
        abort(404)
    teams = visible_team_ids()
    if teams is not None and team.id not in teams:
        abort(404)
    return team


def _int(name: str) -> int | None:
    value = request.values.get(name, "")
    return int(value) if value.isdigit() else None


def _default_period(periods: list[Period]) -> Period | None:
    today = tenant_today(g.tenant.timezone)
    current = [p for p in periods if p.start_date <= today <= p.end_date]
    return (current or periods or [None])[0]


def _grid_context(period: Period, team: Team | None, value: str) -> dict:
    editing = can("targets.edit")
    if not editing and not is_published(g.tenant.id, period.id):
        grid = None  # managers see published targets only
    else:
        grid = build_grid(
            g.tenant.id,
            period,
            team,
            tenant_today(g.tenant.timezone),
            visible_people=visible_person_ids(),
            visible_teams=visible_team_ids(),
        )
    pub = publication(g.tenant.id, period.id)
    published = pub is not None and pub.status.value == "published"
    return {
        "grid": grid,
        "period": period,
        "team": team,
        "value": value,
        "pub": pub,
        "published": published,
        "editable": editing and not published and not period.is_closed,
        "chain": _chain(team),
    }


def _chain(team: Team | None) -> list[Team]:
    out = []
    while team is not None:
        out.insert(0, team)
        team = db.session.get(Team, team.parent_id) if team.parent_id else None
    return out


@bp.route("/targets/plan")
@require("targets.view")
def targets_grid():
    periods = _periods()
    period_id = _int("period_id")
    period = _period(period_id) if period_id else _default_period(periods)
    team = _team(_int("team_id"))
    if team is None and visible_team_ids() is not None:
        me_teams = visible_team_ids()
        roots = [t for t in db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id))]
        team = next((t for t in roots if t.id in me_teams and t.parent_id not in me_teams), None)
    value = "challenge" if request.args.get("value") == "challenge" else "baseline"
    context = _grid_context(period, team, value) if period else {"grid": None, "period": None}
    return render_template("targets/grid.html", periods=periods, **context, **helpers())


@bp.route("/targets/plan/cell", methods=["POST"])
@require("targets.edit")
def targets_cell():
    """Save one typed cell; answer with the cell (and, out of band, the list of
    what doesn't add up). An error keeps the typed text in the cell."""
    period = _period(_int("period_id"))
    person_id, team_id = _int("person_id"), _int("team_id")
    _check_subject(person_id, team_id)
    metric = request.form.get("metric", "")
    if metric not in by_code(g.tenant.id):
        abort(404)
    value = "challenge" if request.form.get("value") == "challenge" else "baseline"
    typed = request.form.get("amount", "")
    error = None
    try:
        amount = parse_amount(typed)
        _save_cell(period, person_id, team_id, metric, value, amount)
        db.session.commit()
    except (NumberError, TargetError, PeriodClosed) as exc:
        db.session.rollback()
        error = str(exc)
    view = _team(_int("team_id_view")) if _int("team_id_view") else _home_team(person_id, team_id)
    context = _grid_context(period, view, value)
    row = _row_for(context["grid"], person_id, team_id)
    return render_template(
        "targets/_cell.html",
        oob=True,
        row=row,
        m=by_code(g.tenant.id)[metric],
        typed=typed if error else None,
        error=error,
        **context,
        **helpers(),
    )


def _check_subject(person_id: int | None, team_id: int | None) -> None:
    if (person_id is None) == (team_id is None):
        abort(400)
    model = Person if person_id else Team
    obj = db.session.get(model, person_id or team_id)
    if obj is None or obj.tenant_id != g.tenant.id:
        abort(404)


def _save_cell(period, person_id, team_id, metric, value, amount) -> None:
    existing = find_target(g.tenant.id, period.id, person_id, team_id, metric)
    subject = {"person_id": person_id, "team_id": team_id}
    if amount is None:
        if value == "challenge" and existing is not None:
            change_target(g.tenant.id, current_user.id, period.id, metric=metric,
                          clear_challenge=True, reason=_("typed in the grid"), **subject)  # fmt: skip
        elif existing is not None:
            delete_target(g.tenant.id, current_user.id, existing, _("emptied in the grid"))
        return
    change_target(
        g.tenant.id,
        current_user.id,
        period.id,
        metric=metric,
        reason=_("typed in the grid"),
        **{value: amount},
        **subject,
    )


def _home_team(person_id: int | None, team_id: int | None) -> Team | None:
    """The team whose grid shows this person or team as a row."""
    obj = db.session.get(Person, person_id) if person_id else db.session.get(Team, team_id)
    parent = obj.team_id if person_id else obj.parent_id
    return db.session.get(Team, parent) if parent else None


def _row_for(grid, person_id, team_id):
    for row in grid.rows if grid else ():
        if row.person_id == person_id and row.team_id == team_id:
            return row
    abort(404)


@bp.route("/targets/plan/split", methods=["POST"])
@require("targets.edit")
def targets_split():
    period = _period(_int("period_id"))
    team_view = _int("team_id_view")
    subject = request.form.get("subject", "")
    person_id = int(subject[1:]) if subject[:1] == "p" and subject[1:].isdigit() else None
    team_id = int(subject[1:]) if subject[:1] == "t" and subject[1:].isdigit() else None
    _check_subject(person_id, team_id)
    metric = request.form.get("metric", "")
    if metric not in by_code(g.tenant.id):
        abort(404)
    down = "team" if request.form.get("down") == "team" else "periods"
    if request.form.get("method") == "manual":  # one form with every part
        return redirect(url_for("tenant.targets_split_hand", period_id=period.id, subject=subject,
                                metric=metric, down=down, team_id_view=team_view))  # fmt: skip
    method = SplitMethod.HISTORY if request.form.get("method") == "history" else SplitMethod.EVEN
    try:
        parts = split(g.tenant.id, current_user.id, period, person_id=person_id, team_id=team_id,
                      metric=metric, down=down, method=method)  # fmt: skip
        db.session.commit()
        flash(_("Split into %(n)d parts.", n=len(parts)), "success")
    except (TargetError, PeriodClosed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("tenant.targets_grid", period_id=period.id, team_id=team_view))


@bp.route("/targets/plan/publish", methods=["POST"])
@require("targets.publish")
def targets_publish():
    period = _period(_int("period_id"))
    try:
        publish(g.tenant.id, current_user.id, period,
                accept_reason=request.form.get("accept_reason", ""))  # fmt: skip
        db.session.commit()
        alert_tasks.after_change(g.tenant.id, everyone=True, queued=True)  # many people
        flash(_("The targets of %(period)s are published.", period=period.label), "success")
    except DifferenceNotAccepted as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except (TargetError, PeriodClosed) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(
        url_for("tenant.targets_grid", period_id=period.id, team_id=_int("team_id_view"))
    )


def helpers() -> dict:
    """Formatting for the targets templates."""
    metrics = by_code(g.tenant.id)

    def subject_name(d) -> str:
        obj = (
            db.session.get(Person, d.person_id) if d.person_id else db.session.get(Team, d.team_id)
        )
        return obj.name if obj else ""

    return {
        "fmt_plain": fmt_plain,
        "fmt_pct": fmt_pct,
        "subject_name": subject_name,
        "metric_label": lambda code: metrics[code].label if code in metrics else code,
    }


def fmt_plain(value) -> str:
    """A target number with thousands separators, no trailing .00."""
    value = Decimal(value)
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def fmt_pct(ratio) -> str:
    return f"{(Decimal(ratio) * 100).quantize(Decimal('0.1'))}"
