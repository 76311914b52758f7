"""What the input pages share: choosing a period, the tenant's people, importing
an uploaded file, and CSV templates with Chinese headers."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jili.accounts.roles import can
from jili.alerts import tasks as alert_tasks
from jili.extensions import db
from jili.i18n import KIND_LABELS
from jili.jobs.services import imports as import_jobs
from jili.org.models import Person
from jili.org.visibility import person_condition
from jili.periods.models import Period, PeriodKind

MAX_ERRORS_SHOWN = 200
KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}


def tenant_periods() -> list[Period]:
    """The tenant's periods for choosing: the latest fiscal year first, each
    year in calendar order (the year, Q1, its months, Q2, …)."""
    rows = list(db.session.scalars(select(Period).where(Period.tenant_id == g.tenant.id)))
    by_id = {p.id: p for p in rows}

    def root(p: Period) -> Period:
        seen = set()
        while p.parent_id in by_id and p.id not in seen:
            seen.add(p.id)
            p = by_id[p.parent_id]
        return p

    return sorted(
        rows,
        key=lambda p: (-root(p).start_date.toordinal(), p.start_date, KIND_ORDER[p.kind]),
    )


def period_arg() -> Period | None:
    pid = request.args.get("period_id", type=int)
    if not pid:
        return None
    return db.session.scalar(
        select(Period).where(Period.tenant_id == g.tenant.id, Period.id == pid)
    )


def tenant_people() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.tenant_id == g.tenant.id).order_by(Person.employee_no)
        )
    )


def visible_people() -> list[Person]:
    """The people whose pay inputs the viewer may see (:mod:`jili.org.visibility`)."""
    query = select(Person).where(Person.tenant_id == g.tenant.id)
    condition = person_condition(Person.id)
    if condition is not None:
        query = query.where(condition)
    return list(db.session.scalars(query.order_by(Person.employee_no)))


def _upload_and_import(importer):
    """Run ``importer(tenant, filename, data)`` on the uploaded file; commit on
    success. Returns (outcome or None, errors for the template)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, [{"row": "", "column": "", "message": _("Choose a file to upload.")}]
    try:
        outcome = importer(g.tenant, upload.filename, upload.read())
        if outcome.ok:
            db.session.commit()
            # new actuals or targets may raise alerts: the worker re-evaluates them
            alert_tasks.after_change(g.tenant.id, everyone=True, queued=True)
    except IntegrityError:
        db.session.rollback()
        return None, [
            {
                "row": "",
                "column": "",
                "message": _(
                    "Another import saved some of the same rows at the same moment; "
                    "nothing was imported from this file. Import it again."
                ),
            }
        ]
    if not outcome.ok:
        db.session.rollback()
        return outcome, [
            {"row": e.row or "", "column": e.column, "message": e.message}
            for e in outcome.errors[:MAX_ERRORS_SHOWN]
        ]
    return outcome, []


def import_page(kind: str, importer, **context):
    outcome, errors = None, []
    if request.method == "POST":
        if not can("inputs.edit"):
            abort(403)
        # -- a large file is imported by a background job (jili.jobs) --
        upload = request.files.get("file")
        if upload is not None and upload.filename and import_jobs.is_large(upload):
            return import_jobs.start_import(kind, upload)
        outcome, errors = _upload_and_import(importer)
    total_errors = len(outcome.errors) if outcome is not None and outcome.errors else len(errors)
    status = 422 if errors else 200
    return render_template(
        "inputs/import.html",
        kind=kind,
        outcome=outcome if outcome is not None and outcome.ok else None,
        errors=errors,
        total_errors=total_errors,
        **context,
    ), status


def csv_response(filename: str, header: list[str], rows: list[list[str]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM, so Excel opens the Chinese headers as UTF-8.
    return Response(
        "\ufeff" + buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def zh_headers() -> str | None:
    locale = str(get_locale())
    return locale if locale in ("zh_Hans", "zh_Hant") else None


def kind_name(kind) -> str:
    return str(KIND_LABELS[getattr(kind, "value", kind)])
