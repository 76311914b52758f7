"""The working-day calendar page: a year's holidays and make-up working days."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.extensions import db
from jili.web import bp
from jili.web._helpers import saved
from jili.workdays import china
from jili.workdays.services import (
    CalendarError,
    days_of_year,
    label,
    load_china_defaults,
    remove_day,
    set_day,
    years_listed,
)


def _year() -> int:
    raw = request.values.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return date.today().year


def _context(year: int) -> dict:
    return {
        "year": year,
        "days": days_of_year(g.tenant.id, year),
        "label": label,
        "weekday": lambda d: format_date(d, "EEEE"),
        "years": sorted(set(years_listed(g.tenant.id)) | set(china.YEARS) | {year}),
        "official": year in china.OFFICIAL,
        "provisional": year in china.PROVISIONAL,
        "has_defaults": bool(china.days(year)),
    }


@bp.route("/calendar")
@require("calendar.view")
def calendar():
    return render_template("workdays/calendar.html", **_context(_year()))


@bp.route("/calendar/days", methods=["POST"])
@require("calendar.edit")
def calendar_day_add():
    year = _year()
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(_("Give the day as a date (YYYY-MM-DD)."), "error")
        return render_template("workdays/calendar.html", **_context(year)), 422
    working = request.form.get("kind") == "workday"
    try:
        set_day(g.tenant.id, day, working, request.form.get("name", ""))
    except CalendarError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("workdays/calendar.html", **_context(day.year)), 422
    db.session.commit()
    flash(_("%(day)s saved.", day=day.isoformat()), "success")
    return saved(
        url_for("tenant.calendar", year=day.year), "workdays/calendar.html", **_context(day.year)
    )


@bp.route("/calendar/days/<int:day_id>/remove", methods=["POST"])
@require("calendar.edit")
def calendar_day_remove(day_id: int):
    row = remove_day(g.tenant.id, day_id)
    if row is None:
        abort(404)
    db.session.commit()
    flash(_("%(day)s is back to the weekly pattern.", day=row.day.isoformat()), "success")
    return saved(
        url_for("tenant.calendar", year=row.day.year),
        "workdays/calendar.html",
        **_context(row.day.year),
    )


@bp.route("/calendar/china", methods=["POST"])
@require("calendar.edit")
def calendar_china():
    year = _year()
    try:
        n = load_china_defaults(g.tenant.id, year)
    except CalendarError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("workdays/calendar.html", **_context(year)), 422
    db.session.commit()
    flash(
        _("%(n)d days of mainland China's holidays listed for %(year)s.", n=n, year=year), "success"
    )
    return saved(url_for("tenant.calendar", year=year), "workdays/calendar.html", **_context(year))
