"""Target adjustment requests: the ±10 % rule (exactly 10 % is within, just above
goes to a director), the role matrix (who may ask, review, approve; nobody
decides their own), the target and the letter changing on approval, rejected
requests keeping their reason, evidence files, another company's ids, the audit
log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from jili.adjustments.models import AdjustmentRequest, AdjustmentStatus
from jili.adjustments.services import change_pct, is_director, within_limit
from jili.audit.models import AuditLog
from jili.audit.names import read
from jili.extensions import db
from jili.letters.models import ResponsibilityLetter
from jili.models import Role
from jili.targets.services import published_targets
from jili.tenancy import bound_tenant
from test_letters import EN, LetterWorld

D = Decimal
PDF = b"%PDF-1.4\n% evidence\n"


@pytest.fixture
def world(make_tenant, member, browser):
    return LetterWorld(make_tenant(), member, browser)


def ask(w, user, person, value, reason="客户预算削减", **files):
    data = {
        "period_id": w.q3.id, "person_id": person.id, "metric": "revenue",
        "new_value": value, "reason": reason, **files,
    }  # fmt: skip
    return w.web(user).post(w.url("/adjustments/new"), data=data, headers=EN)


def last_request(w) -> AdjustmentRequest:
    with bound_tenant(w.t):
        return db.session.scalars(
            select(AdjustmentRequest).order_by(AdjustmentRequest.id.desc())
        ).first()


def review(w, user, req, decision="pass", note=""):
    return w.web(user).post(
        w.url(f"/adjustments/{req.id}/review"), data={"decision": decision, "note": note}
    )


def decide(w, user, req, decision="approve", note=""):
    return w.web(user).post(
        w.url(f"/adjustments/{req.id}/decide"), data={"decision": decision, "note": note}
    )


def revenue_of(w, person) -> Decimal:
    with bound_tenant(w.t):
        return next(t.baseline for t in published_targets(w.t, w.q3.id, person.id))


# --- the ±10 % rule ---------------------------------------------------------------------


def test_exactly_ten_percent_is_within_and_a_fen_more_is_beyond():
    ten = D(10)
    assert within_limit(D("500000"), D("550000.00"), ten)
    assert within_limit(D("500000"), D("450000.00"), ten)
    assert not within_limit(D("500000"), D("550000.01"), ten)
    assert not within_limit(D("500000"), D("449999.99"), ten)
    assert not within_limit(D(0), D("0.01"), ten)  # from nothing: always a director
    assert change_pct(D("500000"), D("550000")) == D(10)
    assert change_pct(D(0), D(1)) is None


def test_a_request_of_exactly_ten_percent_is_approved_by_the_group_manager(world):
    """李娜 asks 500,000 → 550,000 (+10 %, within): hr checks the data, her group
    manager (not a director) approves; the target and her letter change."""
    w = world
    assert ask(w, w.lina_user, w.a2, "550,000").status_code == 302
    req = last_request(w)
    assert req.needs_director is False and req.status == AdjustmentStatus.REVIEW
    assert decide(w, w.group_user, req).status_code == 403  # not before the data review
    assert review(w, w.hr_user, req).status_code == 302
    assert last_request(w).status == AdjustmentStatus.APPROVAL
    assert decide(w, w.group_user, req).status_code == 302
    assert last_request(w).status == AdjustmentStatus.APPROVED
    assert revenue_of(w, w.a2) == D("550000.00")
    with bound_tenant(w.t):
        letters = db.session.scalars(
            select(ResponsibilityLetter)
            .where(ResponsibilityLetter.person_id == w.a2.id)
            .order_by(ResponsibilityLetter.version)
        ).all()
    assert [(x.version, x.current) for x in letters] == [(1, False), (2, True)]
    assert letters[0].content["targets"][0]["baseline"] == "500000.00"  # kept as it was
    assert letters[1].content["targets"][0]["baseline"] == "550000.00"
    page = w.web(w.lina_user).get(w.url(f"/adjustments/{req.id}"), headers=EN).text
    assert "500,000.00" in page and "550,000.00" in page  # old and new
    assert "周组长" in page and "人事李" in page  # who decided, who reviewed


def test_a_fen_beyond_ten_percent_goes_to_a_director(world):
    w = world
    assert ask(w, w.lina_user, w.a2, "550000.01").status_code == 302
    req = last_request(w)
    assert req.needs_director is True
    review(w, w.hr_user, req)
    # passed on: who may now approve it is told; a group manager (no director) is not
    told = _told_to_decide(w, req)
    assert w.manager_user.id in told and w.tenant.owner.id in told and w.admin_user.id in told
    assert w.group_user.id not in told and w.lina_user.id not in told
    assert decide(w, w.group_user, req).status_code == 403  # a group manager is no director
    assert revenue_of(w, w.a2) == D("500000.00")
    assert decide(w, w.manager_user, req).status_code == 302  # 陈经理 leads 华东一组 with 二队
    assert last_request(w).status == AdjustmentStatus.APPROVED
    assert revenue_of(w, w.a2) == D("550000.01")


def _told_to_decide(w, req) -> set[int]:
    from jili.notifications.models import Notification

    with bound_tenant(w.t):
        notes = db.session.scalars(
            select(Notification).where(Notification.kind == "adjustment_to_review")
        ).all()
        return {n.user_id for n in notes if n.params.get("request") == req.id} - {w.hr_user.id}


def test_the_tenant_rule_can_be_changed_by_an_admin_only(world):
    w = world
    assert (
        w.web(w.hr_user).post(w.url("/adjustments/rule"), data={"limit_pct": "20"}).status_code
        == 403
    )
    assert (
        w.web(w.admin_user).post(w.url("/adjustments/rule"), data={"limit_pct": "20"}).status_code
        == 302
    )
    ask(w, w.lina_user, w.a2, "600000")  # +20 %: within the new rule
    assert last_request(w).needs_director is False


# --- the role matrix -----------------------------------------------------------------------


def test_who_may_ask(world):
    w = world
    assert ask(w, w.staff_user, w.a2, "520000").status_code in (200, 403)  # only their own
    assert ask(w, w.hr_user, w.a2, "520000").status_code in (200, 403)  # hr asks nothing
    assert last_request(w) is None
    assert ask(w, w.group_user, w.b, "520000").status_code in (200, 403)  # not their team
    assert last_request(w) is None
    assert ask(w, w.group_user, w.a2, "520000").status_code == 302  # their group's person
    assert ask(w, w.staff_user, w.a, "520000").status_code == 302  # one's own


def test_who_may_review_and_decide_and_nobody_decides_their_own(world):
    w = world
    ask(w, w.group_user, w.a2, "520000")  # the group manager asks for 李娜
    req = last_request(w)
    for user in (w.staff_user, w.lina_user, w.manager_user, w.group_user, w.consultant_user):
        assert review(w, user, req).status_code in (403, 404)  # 404: may not see 李娜
    assert review(w, w.hr_user, req).status_code == 302
    for user in (w.lina_user, w.staff_user, w.hr_user, w.consultant_user):
        assert decide(w, user, req).status_code in (403, 404)
    assert decide(w, w.group_user, req).status_code == 403  # they asked: not self-approval
    assert decide(w, w.admin_user, req).status_code == 302
    # A manager's own target: their own decision is refused, their director's is not.
    assert ask(w, w.group_user, w.group_lead, "520000").status_code == 302
    own = last_request(w)
    review(w, w.hr_user, own)
    assert decide(w, w.group_user, own).status_code == 403
    assert decide(w, w.manager_user, own).status_code == 302
    with bound_tenant(w.t):
        assert is_director(w.t, Role.MANAGER, w.boss) and not is_director(
            w.t, Role.MANAGER, w.group_lead
        )
        assert is_director(w.t, Role.ADMIN, None) and not is_director(w.t, Role.HR, None)


def test_a_person_without_a_published_target_cannot_ask(world, member):
    w = world
    hr_person_user = member(w.tenant, "hr")
    with bound_tenant(w.t):
        hr_person = w.person("H1", "人事自己", team=w.team_b, user=hr_person_user)
        db.session.commit()
    ask(w, hr_person_user, hr_person, "1")  # no published target: refused plainly
    assert last_request(w) is None


def test_a_rejection_keeps_its_reason_and_needs_one(world):
    w = world
    ask(w, w.lina_user, w.a2, "450000")
    req = last_request(w)
    review(w, w.hr_user, req, "reject", "")  # no reason: refused
    assert last_request(w).status == AdjustmentStatus.REVIEW
    review(w, w.hr_user, req, "reject", "数据与CRM不符")
    req = last_request(w)
    assert req.status == AdjustmentStatus.REJECTED and req.decision_note == "数据与CRM不符"
    assert revenue_of(w, w.a2) == D("500000.00")
    page = w.web(w.lina_user).get(w.url(f"/adjustments/{req.id}"), headers=EN).text
    assert "Rejected" in page and "数据与CRM不符" in page


def test_bad_requests_are_refused_with_a_reason_and_change_nothing(world):
    w = world
    page = ask(w, w.lina_user, w.a2, "12.345")
    assert page.status_code == 200 and last_request(w) is None
    page = ask(w, w.lina_user, w.a2, "500000")
    assert "same as the current target" in page.text if page.status_code == 200 else True
    assert last_request(w) is None
    ask(w, w.lina_user, w.a2, "520000")
    page = w.web(w.lina_user).post(
        w.url("/adjustments/new"),
        data={"period_id": w.q3.id, "person_id": w.a2.id, "metric": "revenue",
              "new_value": "530000", "reason": "again"},
        headers=EN, follow_redirects=True,
    )  # fmt: skip
    assert "already has an open request" in page.text


def test_evidence_is_checked_stored_and_shown_to_who_may_see(world):
    from io import BytesIO

    w = world
    fake = {"evidence": (BytesIO(b"not a pdf"), "证明.pdf")}
    page = ask(w, w.lina_user, w.a2, "520000", **fake)
    assert last_request(w) is None
    ok = {"evidence": (BytesIO(PDF), "证明.pdf")}
    assert ask(w, w.lina_user, w.a2, "520000", **ok).status_code == 302
    req = last_request(w)
    got = w.web(w.hr_user).get(w.url(f"/adjustments/{req.id}/evidence"))
    assert got.status_code == 200 and got.data == PDF
    assert (
        w.web(w.other_staff_user).get(w.url(f"/adjustments/{req.id}/evidence")).status_code == 404
    )
    del page


def test_another_companys_ids_are_404(world, make_tenant, member, browser):
    w = world
    ask(w, w.lina_user, w.a2, "520000")
    req = last_request(w)
    with bound_tenant(w.t):
        letter = db.session.scalars(select(ResponsibilityLetter)).first()
    other = make_tenant(slug="other")
    outsider = browser(other.owner)
    for path in (
        f"/adjustments/{req.id}", f"/adjustments/{req.id}/evidence",
        f"/letters/{letter.id}", f"/letters/{letter.id}/letter.pdf",
    ):  # fmt: skip
        assert outsider.get(f"/t/other{path}").status_code == 404
    for path in (f"/adjustments/{req.id}/review", f"/adjustments/{req.id}/decide",
                 f"/letters/{letter.id}/acknowledge"):  # fmt: skip
        assert outsider.post(f"/t/other{path}", data={"decision": "approve"}).status_code == 404
    # and the staff of the same company who may not see 李娜 get a 404 too
    assert w.web(w.other_staff_user).get(w.url(f"/adjustments/{req.id}")).status_code == 404


def test_every_step_is_in_the_audit_log_in_words(world, app):
    w = world
    ask(w, w.lina_user, w.a2, "550000")
    req = last_request(w)
    review(w, w.hr_user, req)
    decide(w, w.group_user, req)
    with bound_tenant(w.t):
        rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        actions = [r.action for r in rows]
        for action in ("adjustment.request", "adjustment.review", "target.change",
                       "adjustment.approve", "letter.issue"):  # fmt: skip
            assert action in actions, actions
        with app.test_request_context(headers=EN):
            from flask import g

            g.tenant = w.tenant
            texts = [s.text for row, s in read(w.t, rows) if row.action.startswith("adjustment")]
    assert any(
        "asked to change the Booked revenue target of 李娜" in t or "李娜" in t for t in texts
    )
    assert all(": adjustment." not in t for t in texts)  # never the generic sentence


def test_a_closed_period_takes_no_request(world):
    from jili.periods.models import Period, PeriodStatus

    w = world
    with bound_tenant(w.t):
        db.session.execute(
            update(Period).where(Period.id == w.q3.id).values(status=PeriodStatus.CLOSED)
        )
        db.session.commit()
    ask(w, w.lina_user, w.a2, "520000")
    assert last_request(w) is None
