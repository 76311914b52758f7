"""The responsibility letter and target adjustment rows of the pay-visibility matrix
(tests/test_pay_visibility.py): letters and requests of 孙外队 (华南组: nobody of
华东一组 may see them), of 李娜 (the manager's sub-team) and of 张伟 (the staff
member), made once per world."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from jili.adjustments.models import AdjustmentRequest
from jili.extensions import db
from jili.letters import services as letters
from jili.targets.models import PublicationStatus, TargetPublication
from jili.tenancy import bound_tenant

D = Decimal
HIDDEN = (404, [])

LETTER_PAGES = frozenset(
    {
        "tenant.letter",
        "tenant.letter_pdf",
        "tenant.adjustments",
        "tenant.adjustment",
        "tenant.adjustment_evidence",
    }
)
LETTER_NO_PAY = {
    "tenant.letters": "names, versions and dates of the letters the viewer may see",
    "tenant.letter_acknowledge": "an action (one's own letter only)",
    "tenant.adjustment_new": "a form: periods, the viewer's people and metric names",
    "tenant.adjustment_decide": "an action",
}


def _make(w) -> dict:
    """Publish 2024-Q3's targets, issue its letters, and ask three adjustments."""
    if getattr(w, "_letter_ids", None):
        return w._letter_ids
    with bound_tenant(w.t):
        published = db.session.scalar(
            select(TargetPublication).where(TargetPublication.period_id == w.q3.id)
        )
        if published is None:  # the world may have published them as it set them
            db.session.add(
                TargetPublication(
                    tenant_id=w.t, period_id=w.q3.id, status=PublicationStatus.PUBLISHED, version=1
                )
            )
            db.session.flush()
        issued = {x.person_id: x.id for x in letters.issue_letters(w.t, w.q3.id, None)}
        requests = {}
        for person, old, new in (
            (w.out, "876543.21", "900000.00"), (w.a2, "500000.00", "520000.00"),
            (w.a, "500000.00", "510000.00"),
        ):  # fmt: skip
            req = AdjustmentRequest(
                tenant_id=w.t, period_id=w.q3.id, person_id=person.id, metric="revenue",
                old_value=D(old), new_value=D(new), reason="客户变化",
                evidence_name="e.pdf", evidence_type="application/pdf",
                evidence_data=b"%PDF-1.4 evidence",
            )  # fmt: skip
            db.session.add(req)
            db.session.flush()
            requests[person.id] = req.id
        db.session.commit()
    w._letter_ids = {"letters": issued, "requests": requests}
    return w._letter_ids


def letter_matrix(w, case) -> dict:
    ids = _make(w)
    let, req = ids["letters"], ids["requests"]
    out, a2, a = w.out.id, w.a2.id, w.a.id
    return {
        "tenant.letter": [
            (f"/letters/{let[out]}", case((200, ["876,543.21"]), HIDDEN, HIDDEN)),
            (f"/letters/{let[a2]}", case((200, ["500,000.00"]), (200, ["500,000.00", "李娜"]), HIDDEN)),
            (f"/letters/{let[a]}", case((200, ["张伟"]), (200, ["张伟"]), (200, ["500,000.00"]))),
        ],
        "tenant.letter_pdf": [
            (f"/letters/{let[out]}/letter.pdf", case((200, []), HIDDEN, HIDDEN)),
            (f"/letters/{let[a]}/letter.pdf", case((200, []), (200, []), (200, []))),
        ],
        "tenant.adjustments": [
            ("/adjustments", case((200, ["900,000.00", "520,000.00"]), (200, ["520,000.00", "510,000.00"]), (200, ["510,000.00"]))),
        ],
        "tenant.adjustment": [
            (f"/adjustments/{req[out]}", case((200, ["900,000.00"]), HIDDEN, HIDDEN)),
            (f"/adjustments/{req[a2]}", case((200, ["520,000.00"]), (200, ["520,000.00"]), HIDDEN)),
        ],
        "tenant.adjustment_evidence": [
            (f"/adjustments/{req[out]}/evidence", case((200, []), HIDDEN, HIDDEN)),
            (f"/adjustments/{req[a]}/evidence", case((200, []), (200, []), (200, []))),
        ],
    }  # fmt: skip
