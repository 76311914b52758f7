"""Adjustment requests for a team's own target: the manager of a team above it
or hr asks; hr reviews; the same ±10 % rule routes a bigger change to a
director; the team's managers may neither ask nor decide their own target; on
approval the target, the grid and the team manager's letter change; the audit
log says it in words; another company's ids are a 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.adjustments.models import AdjustmentRequest, AdjustmentStatus
from jili.audit.models import AuditLog
from jili.extensions import db
from jili.targets.services import change_target, published_targets
from jili.tenancy import bound_tenant
from test_adjustments import decide, last_request, review
from test_letters import EN, LetterWorld

D = Decimal
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
def world(make_tenant, member, browser):
    w = LetterWorld(make_tenant(), member, browser)
    with bound_tenant(w.t):  # 二队's own target, published (as by an earlier adjustment)
        change_target(w.t, None, w.q3.id, team_id=w.team_a2.id, metric="revenue",
                      baseline=D("1000000"), via_adjustment=True)  # fmt: skip
        db.session.commit()
    return w


def ask_team(w, user, team, value, reason="大客户流失"):
    data = {
        "period_id": w.q3.id, "person_id": 0, "team_id": team.id, "metric": "revenue",
        "new_value": value, "reason": reason,
    }  # fmt: skip
    return w.web(user).post(w.url("/adjustments/new"), data=data, headers=EN)


def team_revenue(w) -> Decimal:
    with bound_tenant(w.t):
        (line,) = published_targets(w.t, w.q3.id, None, team_id=w.team_a2.id)
        return line.baseline


def test_hr_asks_the_parent_teams_manager_approves_within_ten_percent(world):
    w = world
    form = w.web(w.hr_user).get(w.url("/adjustments/new"), headers=EN).text
    assert "Or a team's own target" in form and "华东一组·二队" in form
    assert ask_team(w, w.hr_user, w.team_a2, "1,100,000").status_code == 302  # +10 %: within
    req = last_request(w)
    assert (req.team_id, req.person_id, req.needs_director) == (w.team_a2.id, None, False)
    assert review(w, w.hr_user, req).status_code == 403  # nobody reviews their own request
    assert review(w, w.admin_user, req).status_code == 302
    assert decide(w, w.group_user, req).status_code == 403  # 周组长 leads 二队: his own target
    assert team_revenue(w) == D("1000000.00")
    assert decide(w, w.manager_user, req).status_code == 302  # 陈经理 leads the parent team
    assert last_request(w).status == AdjustmentStatus.APPROVED
    assert team_revenue(w) == D("1100000.00")
    # the team manager's letter follows: a new version with the team's own target
    letter = w.letter_of(w.group_lead)
    assert letter.version == 2
    assert letter.content["team_targets"][0]["baseline"] == "1100000.00"
    page = w.web(w.group_user).get(w.url(f"/letters/{letter.id}"), headers=EN).text
    assert "s own targets (华东一组·二队)" in page and "1,100,000" in page
    # the request's page and the grid show the team
    detail = w.web(w.manager_user).get(w.url(f"/adjustments/{req.id}"), headers=EN).text
    assert "华东一组·二队" in detail and "History of this team" in detail
    grid = w.web(w.hr_user).get(
        w.url(f"/targets/plan?period_id={w.q3.id}&team_id={w.team_a2.id}"), headers=EN
    ).text
    assert "1,100,000" in grid


def test_beyond_ten_percent_a_team_target_needs_a_director(world):
    w = world
    assert ask_team(w, w.hr_user, w.team_a2, "1100000.01").status_code == 302
    req = last_request(w)
    assert req.needs_director is True
    review(w, w.admin_user, req)
    assert decide(w, w.group_user, req).status_code == 403
    assert decide(w, w.manager_user, req).status_code == 302  # a director above the team
    assert team_revenue(w) == D("1100000.01")


def test_who_may_ask_for_a_teams_target(world):
    w = world
    # the team's own manager, staff and a consultant may not; the parent's manager may
    # (not offered in their form: refused as not a valid choice, nothing saved)
    assert ask_team(w, w.group_user, w.team_a2, "1050000").status_code in (200, 403)
    assert ask_team(w, w.staff_user, w.team_a2, "1050000").status_code in (200, 403)
    assert ask_team(w, w.manager_user, w.team_a, "1050000").status_code in (200, 403)
    assert last_request(w) is None
    assert ask_team(w, w.manager_user, w.team_a2, "1050000").status_code == 302
    req = last_request(w)
    review(w, w.hr_user, req)
    assert decide(w, w.manager_user, req).status_code == 403  # he asked: someone else decides
    # a second open request for the same team target is refused with a reason
    resp = ask_team(w, w.hr_user, w.team_a2, "1010000")
    assert resp.status_code == 200 and "already has an open request" in resp.text
    assert decide(w, w.admin_user, req, "reject", "预算不支持").status_code == 302
    assert last_request(w).decision_note == "预算不支持"
    assert team_revenue(w) == D("1000000.00")
    # staff do not see a team's request
    assert w.web(w.staff_user).get(w.url(f"/adjustments/{req.id}")).status_code == 404
    assert w.web(w.lina_user).get(w.url("/adjustments"), headers=EN).text.count(
        "华东一组·二队</a>"
    ) == 0


def test_audit_log_says_it_in_words_in_three_languages(world):
    w = world
    ask_team(w, w.hr_user, w.team_a2, "1050000")
    with bound_tenant(w.t):
        entry = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "adjustment.team_request")
        ).one()
        assert entry.after["team_id"] == w.team_a2.id
    for headers, words in (
        (EN, "target of the team 华东一组·二队"),
        (ZH, "团队华东一组·二队"),
        ({"Accept-Language": "zh-TW"}, "團隊华东一组·二队"),
    ):
        page = w.web(w.admin_user).get(w.url("/audit"), headers=headers).text
        assert words in page
        assert "adjustment.team_request" not in page


def test_another_companys_team_is_a_404(world, make_tenant, browser):
    w = world
    ask_team(w, w.hr_user, w.team_a2, "1050000")
    req = last_request(w)
    other = make_tenant(slug="other")
    outsider = browser(other.owner)
    assert outsider.get(f"/t/other/adjustments/{req.id}").status_code == 404
    data = {"period_id": w.q3.id, "person_id": 0, "team_id": w.team_a2.id, "metric": "revenue",
            "new_value": "1", "reason": "x"}  # fmt: skip
    resp = outsider.post("/t/other/adjustments/new", data=data)
    assert resp.status_code in (200, 404)  # the other company's form has no such choice
    with bound_tenant(w.t):
        assert db.session.scalar(
            select(db.func.count(AdjustmentRequest.id)).where(AdjustmentRequest.tenant_id == w.t)
        ) == 1
