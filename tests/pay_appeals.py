"""The appeal pages in the pay-visibility matrix (tests/test_pay_visibility.py):
a missing-credit case of 孙外队 (another team: nobody of 华东一组 sees it) with a
file, and one of 张伟 (the staff member: theirs, but not their manager's — a
manager sees their people's score appeals only)."""

from __future__ import annotations

from decimal import Decimal

from jili.extensions import db
from jili.tenancy import bound_tenant

D = Decimal
HIDDEN = (404, [])

APPEAL_PAGES = frozenset({"tenant.appeal", "tenant.appeal_file"})
APPEAL_NO_PAY = {
    "tenant.appeals": "cases by person, kind, period and state: no amounts",
    "tenant.appeal_new": "the viewer's own scores and statement lines only",
    "tenant.appeal_reply": "an action (the case's own visibility applies)",
    "tenant.appeal_decide": "an action (hr, admin, owner)",
    "tenant.appeal_settings": "an action (hr, admin, owner)",
}


def _appeals(w) -> dict:
    """A missing-credit case of 孙外队 (98,765.43 claimed, with a file) and one of
    张伟 (the staff member, 12,345.67 claimed)."""
    if not hasattr(w, "appeal_ids"):
        import tempfile
        from datetime import date as _date

        from flask import current_app

        from jili.appeals.models import CaseKind
        from jili.appeals.services import cases as appeal_cases

        current_app.config["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="jili-appeals-")
        with bound_tenant(w.t):
            out = appeal_cases.raise_case(
                w.t, w.tenant.owner, w.out, CaseKind.CREDIT, today=_date(2024, 10, 8),
                reason="HT-9", period_id=w.q3.id, reference="HT-9", amount=D("98765.43"),
                files=[("合同.pdf", "application/pdf", b"%PDF-1.4 x")],
            )  # fmt: skip
            own = appeal_cases.raise_case(
                w.t, w.staff_user, w.a, CaseKind.CREDIT, today=_date(2024, 10, 8),
                reason="HT-8", period_id=w.q3.id, reference="HT-8", amount=D("12345.67"),
            )  # fmt: skip
            file_id = appeal_cases.files(w.t, out)[0].id
            db.session.commit()
        w.appeal_ids = {"out": out.id, "own": own.id, "file": file_id}
    return w.appeal_ids


def appeal_matrix(w, case) -> dict:
    ids = _appeals(w)
    out, own, file_id = ids["out"], ids["own"], ids["file"]
    return {
        "tenant.appeal": [
            (f"/appeals/{out}", case((200, ["98,765.43"]), HIDDEN, HIDDEN)),
            (f"/appeals/{own}", case((200, ["12,345.67"]), HIDDEN, (200, ["12,345.67"]))),
        ],
        "tenant.appeal_file": [
            (f"/appeals/{out}/files/{file_id}", case((200, []), HIDDEN, HIDDEN, consultant=HIDDEN)),
        ],
    }  # fmt: skip
