"""The appeals section of the period review (issue 14 item 8): the span's cases by
kind and outcome, how many were answered late, and the corrections they paid."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.appeals.models import AppealCase, CaseKind, CaseStatus, PayCorrection
from jili.extensions import db
from jili.home.services.charts import Bar, Words
from jili.periods.models import Period
from jili.review.services import sections
from jili.review.services.figures import Span


def _kind(kind: CaseKind) -> str:
    return {
        CaseKind.SCORE: _("Score appeal"),
        CaseKind.STATEMENT: _("Question on a statement line"),
        CaseKind.CREDIT: _("Missing deal credit"),
    }[kind]


def _cases(tenant_id: int, span: Span) -> list[AppealCase]:
    """Cases about periods that lie inside the span."""
    return list(
        db.session.scalars(
            select(AppealCase)
            .join(
                Period,
                (Period.id == AppealCase.case_period_id) & (Period.tenant_id == tenant_id),
            )
            .where(
                AppealCase.tenant_id == tenant_id,
                Period.start_date >= span.start,
                Period.end_date <= span.end,
            )
        )
    )


def appeals_section(tenant_id: int, span: Span) -> sections.Section | None:
    cases = _cases(tenant_id, span)
    if not cases:
        return None
    counts = Counter((c.kind, c.status) for c in cases)
    late = Counter(
        c.kind for c in cases if c.decided_at is not None and c.decided_at.date() > c.due_on
    )
    paid: dict[CaseKind, Decimal] = {}
    by_id = {c.id: c for c in cases}
    for corr in db.session.scalars(
        select(PayCorrection).where(
            PayCorrection.tenant_id == tenant_id, PayCorrection.case_id.in_(list(by_id))
        )
    ):
        kind = by_id[corr.case_id].kind
        paid[kind] = paid.get(kind, Decimal(0)) + corr.amount
    rows = []
    for kind in CaseKind:
        raised = sum(n for (k, _s), n in counts.items() if k == kind)
        if not raised:
            continue
        rows.append([
            _kind(kind), raised, counts[(kind, CaseStatus.UPHELD)],
            counts[(kind, CaseStatus.REJECTED)], counts[(kind, CaseStatus.OPEN)],
            late[kind], paid.get(kind, Decimal(0)),
        ])  # fmt: skip
    outcome = Counter(c.status for c in cases)
    words = Words(_("Appeals by outcome"), _("How the span's appeals and inquiries ended."),
                  _("Cases"), _("Outcome"))  # fmt: skip
    bars = [
        Bar(label, Decimal(outcome[status]))
        for status, label in (
            (CaseStatus.UPHELD, _("Upheld")),
            (CaseStatus.REJECTED, _("Rejected")),
            (CaseStatus.OPEN, _("Open")),
        )
    ]
    headers = [_("Kind"), _("Raised"), _("Upheld"), _("Rejected"), _("Open"),
               _("Answered late"), _("Corrections paid")]  # fmt: skip
    return sections.Section(
        "appeals",
        _("Appeals and inquiries"),
        _("Named appeals on scores and inquiries on pay about the span's periods."),
        sections._chart("appeals", bars, words),
        [sections.Table(_("Appeals and their outcomes"), headers, rows, money=(6,))],
    )


if appeals_section not in sections.PROVIDERS:
    sections.PROVIDERS.append(appeals_section)
