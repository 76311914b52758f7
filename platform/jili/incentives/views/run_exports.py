"""The payroll export of a final run (CSV and Excel). Only roles that see every
person's pay have ``runs.export`` (owner, admin, hr): the export is the whole run."""

from __future__ import annotations

from flask import Response, abort, g
from flask_babel import gettext as _

from jili.accounts.roles import require
from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.models import CalculationRun, RunKind
from jili.incentives.services.exports import payroll, to_csv, to_xlsx
from jili.incentives.views.statements import component_label
from jili.org.visibility import sees_everyone
from jili.periods.models import Period
from jili.tenancy import get_scoped_or_404
from jili.web import bp

# -- payroll export ----------------------------------------------------------------

_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _export(run_id: int, fmt: str) -> Response:
    run = get_scoped_or_404(CalculationRun, run_id, g.tenant.id)
    if not sees_everyone():  # the whole run: never for a role that sees only some people
        abort(403)
    if run.kind != RunKind.FINAL:
        abort(409, _("A pilot run is never paid: there is nothing to export for payroll."))
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    data = payroll(run, component_label)
    body = to_csv(data) if fmt == "csv" else to_xlsx(data, period.label, g.tenant.timezone)
    audit.record(
        "run.export",
        run,
        after={
            "format": fmt,
            "period": period.label,
            "number": run.number,
            "rows": len(data.lines),
            "total": str(run.total),
        },
    )
    db.session.commit()
    safe_label = "".join(c if c.isalnum() or c in "-_" else "-" for c in period.label)
    filename = f"jili-{g.tenant.slug}-{safe_label}-run{run.number}.{fmt}"
    return Response(
        body,
        mimetype=_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/runs/<int:run_id>/export.csv")
@require("runs.export")
def run_export_csv(run_id: int):
    return _export(run_id, "csv")


@bp.route("/runs/<int:run_id>/export.xlsx")
@require("runs.export")
def run_export_xlsx(run_id: int):
    return _export(run_id, "xlsx")
