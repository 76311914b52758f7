"""The grid of a period and team as a CSV or XLSX file: the same rows the
viewer sees on the page (published targets only for those who don't set them)."""

from __future__ import annotations

from flask import Response, abort, g

from jili.accounts.roles import require
from jili.targets.services import export
from jili.targets.views.grid import _grid_context, _int, _period, _team
from jili.web import bp

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _file(fmt: str) -> Response:
    period = _period(_int("period_id"))
    team = _team(_int("team_id"))
    grid = _grid_context(period, team, "baseline")["grid"]
    if grid is None:
        abort(404)  # not published yet: nothing to hand out
    data = export.to_csv(grid) if fmt == "csv" else export.to_xlsx(grid)
    name = f"targets-{g.tenant.slug}-{period.label}{'-' + str(team.id) if team else ''}.{fmt}"
    return Response(
        data,
        mimetype=TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/targets/plan/export.csv")
@require("targets.view")
def targets_export_csv():
    return _file("csv")


@bp.route("/targets/plan/export.xlsx")
@require("targets.view")
def targets_export_xlsx():
    return _file("xlsx")
