"""The period review (issue 14 item 8) and its XLSX export.

It shows every team's pay, so it is open to the roles that see everyone's
(owner, admin, hr, consultant: ``review.view``); a manager or staff member is
refused. The anonymous feedback section shows to a consultant only when the
company lets consultants see feedback (its feedback settings)."""

from __future__ import annotations

from flask import Response, abort, g, render_template, request

from jili.accounts.roles import require
from jili.audit.services import record
from jili.extensions import db
from jili.feedback import service as feedback
from jili.plan_as_code.demo import tenant_today
from jili.review.services import figures, sections
from jili.review.services.xlsx import Sheet, places_of, workbook
from jili.web import bp


def _feedback_ok() -> bool:
    if g.role.value != "consultant":
        return True
    return bool(feedback.settings_for(g.tenant.id).consultant_access)


def _context() -> dict:
    spans = figures.spans(g.tenant.id)
    key = request.args.get("span", "")
    span = next((s for s in spans if s.key == key), None) if key else None
    if key and span is None:
        abort(404)
    if span is None:
        today = tenant_today(g.tenant)
        span = next((s for s in spans if s.end < today), None) or (spans[0] if spans else None)
    places = places_of(g.tenant.currency)
    built = (
        sections.build(
            g.tenant.id, span, places, tenant_today(g.tenant), feedback_ok=_feedback_ok()
        )  # fmt: skip
        if span
        else []
    )
    return {"spans": spans, "span": span, "sections": built, "places": places}


@bp.route("/review")
@require("review.view")
def review():
    return render_template("review/review.html", **_context())


@bp.route("/review/export.xlsx")
@require("review.view")
def review_export():
    ctx = _context()
    span = ctx["span"] or abort(404)
    sheets = [
        Sheet(table.title, table.headers, table.rows, money_cols=table.money,
              number_cols=table.pct)
        for section in ctx["sections"]
        for table in section.tables
    ]  # fmt: skip
    body = workbook(sheets, g.tenant.currency)
    record(
        "review.export",
        tenant_id=g.tenant.id,
        object_type="Tenant",
        object_id=g.tenant.id,
        after={"span": span.label, "sheets": len(sheets)},
    )
    db.session.commit()
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in span.label)
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="jili-{g.tenant.slug}-review-{safe}.xlsx"',
            "Cache-Control": "no-store",
        },
    )
