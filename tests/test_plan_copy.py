"""A consultant copies a plan to another company they serve."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from conftest import add_member
from jili.extensions import db
from jili.incentives.models import ApprovalStatus
from jili.incentives.services.plans import add_version
from jili.models import Period, Plan, Team, TenantScheme
from jili.tenancy import bound_tenant
from plan_kit import (
    EN,
    EXPECTED_SETTINGS,
    Probe,
    approve,
    audit_of,
    company,
    make_plan,
    period,
    plans_of,
    use_probe,
    versions_of,
)


@pytest.fixture
def registry(monkeypatch):
    return use_probe(monkeypatch)


@pytest.fixture
def consultant_setup(registry, make_tenant, make_user):
    source = company(make_tenant, slug="client-a")
    target = company(make_tenant, slug="client-b")
    stranger = company(make_tenant, slug="client-c")
    consultant = make_user(email="consultant@example.com")
    add_member(source, consultant, "consultant")
    add_member(target, consultant, "consultant")
    with bound_tenant(source.id):
        team = Team(tenant_id=source.id, name="A 组")
        db.session.add(team)
        db.session.commit()
        team_id = team.id
    plan_id, _ = make_plan(source, settings=Probe.validate_settings(EXPECTED_SETTINGS))
    with bound_tenant(source.id):
        plan = db.session.get(Plan, plan_id)
        v2 = add_version(
            plan,
            period=db.session.scalar(select(Period).where(Period.label == "2024-03")),
            settings=Probe.validate_settings({**EXPECTED_SETTINGS, "base": "250"}),
            eligibility={"team_ids": [team_id], "levels": [], "person_ids": []},
            user_id=None,
        )
        approve(source, v2)
        db.session.commit()
    return SimpleNamespace(
        source=source,
        target=target,
        stranger=stranger,
        consultant=consultant,
        plan_id=plan_id,
        version=v2,
    )


def test_consultant_copies_a_plan_to_another_client(consultant_setup, browser):
    s = consultant_setup
    b = browser(s.consultant)
    url = f"/t/{s.source.slug}/plans/{s.plan_id}/copy"
    page = b.get(url, headers=EN)
    assert page.status_code == 200
    assert f'value="{s.target.id}"' in page.text
    assert f'value="{s.stranger.id}"' not in page.text  # not the consultant's client
    assert "are not copied" in page.text  # the plan names a team
    july = period(s.target, "2024-07")
    assert f'value="{july.id}"' in page.text  # the target's own periods
    resp = b.post(
        url,
        data={
            "target_tenant_id": str(s.target.id),
            "target_period_id": str(july.id),
            "name": "复制",
        },
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    (copy,) = plans_of(s.target)
    assert copy.name == "复制" and copy.scheme_key == "probe"
    (v1,) = versions_of(s.target, copy.id)
    assert v1.number == 1 and v1.effective_period_id == july.id
    assert v1.settings["base"] == "250"  # the latest version's settings
    assert v1.eligibility == {"team_ids": [], "levels": [], "person_ids": []}
    assert v1.created_by_id == s.consultant.id
    (created,) = audit_of(s.target, "plan.create")
    assert created.actor_id == s.consultant.id and created.after["copied"] is True
    assert "client-a" not in str(created.after)  # the other client is not named
    (copied,) = audit_of(s.source, "plan.copy")
    assert copied.after == {"version": 2, "copy_name": "复制"}
    assert len(plans_of(s.source)) == 1
    # The message after copying ends on a link to the copy.
    landed = b.get(resp.headers["Location"], headers=EN).text
    assert f'href="/t/{s.target.slug}/plans/{copy.id}" id="open-copy">Open the copy</a>' in landed
    # The target's page shows it, to the consultant.
    page = b.get(f"/t/{s.target.slug}/plans/{copy.id}", headers=EN)
    assert page.status_code == 200 and "Everyone" in page.text
    # The copy is a proposal: the client's own owner approves it, never the consultant.
    assert v1.status == ApprovalStatus.PROPOSED
    assert "Only an owner or administrator of" in page.text
    refused = b.post(f"/t/{s.target.slug}/plans/{copy.id}/versions/{v1.id}/approve", headers=EN)
    assert refused.status_code == 403 and "Only an owner or administrator of" in refused.text
    assert versions_of(s.target, copy.id)[0].status == ApprovalStatus.PROPOSED
    owner = browser(s.target.owner)
    approved = owner.post(f"/t/{s.target.slug}/plans/{copy.id}/versions/{v1.id}/approve")
    assert approved.status_code == 302
    assert versions_of(s.target, copy.id)[0].status == ApprovalStatus.APPROVED


def test_copy_to_a_company_the_consultant_does_not_serve_is_404(consultant_setup, browser):
    s = consultant_setup
    b = browser(s.consultant)
    resp = b.post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.stranger.id),
            "target_period_id": str(period(s.stranger, "2024-07").id),
            "name": "偷",
        },
    )
    assert resp.status_code == 404
    assert plans_of(s.stranger) == []
    assert audit_of(s.source, "plan.copy") == []


def test_copy_where_the_user_may_not_edit_plans_is_refused(consultant_setup, member, browser):
    s = consultant_setup
    add_member(s.stranger, s.consultant, "staff")
    resp = browser(s.consultant).post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.stranger.id),
            "target_period_id": str(period(s.stranger, "2024-07").id),
            "name": "X",
        },
    )
    assert resp.status_code == 403
    assert plans_of(s.stranger) == []


def test_copy_needs_the_scheme_enabled_in_the_target(consultant_setup, browser):
    s = consultant_setup
    with bound_tenant(s.target.id):
        row = db.session.scalar(select(TenantScheme).where(TenantScheme.scheme_key == "probe"))
        row.enabled = False
        db.session.commit()
    resp = browser(s.consultant).post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.target.id),
            "target_period_id": str(period(s.target, "2024-07").id),
            "name": "X",
        },
        headers=EN,
    )
    assert resp.status_code == 400
    assert "is not enabled in that company" in resp.text
    assert plans_of(s.target) == []
    assert audit_of(s.source, "plan.copy") == []


def test_copy_refuses_a_period_of_another_company_and_a_taken_name(consultant_setup, browser):
    s = consultant_setup
    make_plan(s.target, name="Taken")
    b = browser(s.consultant)
    url = f"/t/{s.source.slug}/plans/{s.plan_id}/copy"
    target = str(s.target.id)
    source_period = str(period(s.source, "2024-07").id)
    resp = b.post(
        url,
        data={"target_tenant_id": target, "target_period_id": source_period, "name": "X"},
        headers=EN,
    )
    assert resp.status_code == 400 and "Choose a period of that company." in resp.text
    july = str(period(s.target, "2024-07").id)
    resp = b.post(
        url,
        data={"target_tenant_id": target, "target_period_id": july, "name": "taken"},
        headers=EN,
    )
    assert resp.status_code == 400 and "exists already" in resp.text
    assert [p.name for p in plans_of(s.target)] == ["Taken"]
