"""The evaluation cycle's rows of the pay-visibility matrix (tests/test_pay_visibility.py):
the self-assessment and manager-scoring pages and the evidence downloads of 孙外队
(华南组: nobody of 华东一组 may see them), 李娜 (the manager's sub-team) and 张伟
(the staff member)."""

from __future__ import annotations

from datetime import date

from jili.evaluation.models import EvidenceFile
from jili.evaluation.services import assessments
from jili.evaluation.services import scorecards as eval_cards
from jili.extensions import db
from jili.tenancy import bound_tenant

HIDDEN = (404, [])
REFUSED = (403, [])
CYCLE_PAGES = frozenset(
    {"tenant.scorecard_assess", "tenant.scorecard_review", "tenant.scorecard_evidence"}
)


def _evidence(w) -> tuple[int, int]:
    """An evidence file on 孙外队's card and one on 李娜's, each naming their actual."""
    if not hasattr(w, "evidence_ids"):
        ids = []
        with bound_tenant(w.t):
            for person, text in ((w.out, "8765.43"), (w.a2, "2345.67")):
                ((line, _k),) = eval_cards.lines(w.cards[person.id])
                folder = assessments.upload_dir(w.t)
                folder.mkdir(parents=True, exist_ok=True)
                stored = f"pay-{w.t}-{person.id}"
                (folder / stored).write_bytes(f"calls {text}".encode())
                row = EvidenceFile(tenant_id=w.t, line_id=line.id, name="calls.txt",
                                   content_type="text/plain", size=10, stored_name=stored,
                                   uploaded_on=date(2024, 10, 8))  # fmt: skip
                db.session.add(row)
                db.session.flush()
                ids.append(row.id)
            db.session.commit()
        w.evidence_ids = tuple(ids)
    return w.evidence_ids


def cycle_matrix(w, case) -> dict[str, list[tuple[str, dict]]]:
    ev_out, ev_a2 = _evidence(w)
    out_card, a2_card, a_card = (w.cards[p.id].id for p in (w.out, w.a2, w.a))
    return {
        "tenant.scorecard_assess": [
            (f"/scorecards/{out_card}/assess", case(REFUSED, HIDDEN, HIDDEN)),
            (f"/scorecards/{a2_card}/assess", case(REFUSED, REFUSED, HIDDEN)),
            (f"/scorecards/{a_card}/assess", case(REFUSED, REFUSED, (200, ["张伟"]))),
        ],
        "tenant.scorecard_review": [
            (f"/scorecards/{out_card}/review", case(HIDDEN, HIDDEN, HIDDEN)),
            (f"/scorecards/{a2_card}/review", case(HIDDEN, (200, ["李娜"]), HIDDEN)),
        ],
        "tenant.scorecard_evidence": [
            (f"/scorecards/{out_card}/evidence/{ev_out}", case((200, ["8765.43"]), HIDDEN, HIDDEN)),
            (f"/scorecards/{a2_card}/evidence/{ev_a2}",
             case((200, ["2345.67"]), (200, ["2345.67"]), HIDDEN)),
            (f"/scorecards/{a2_card}/evidence/{ev_out}", case(HIDDEN, HIDDEN, HIDDEN)),
        ],
    }  # fmt: skip
