"""Plan changes with maker-checker (issue 14, item 7): a version is proposed,
optionally piloted, approved by someone other than its author (an owner or
admin; a consultant's proposal by the client's own owner or admin), and only
then in force. Self-approval is refused unless the company opted out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from jili import hookimpl
from jili.extensions import db
from jili.incentives.engine import calculate_period, plans_for_period
from jili.incentives.engine import versions as engine_versions
from jili.incentives.models import ApprovalStatus, CalculationRun, RunKind
from jili.models import Period, PeriodStatus, Person
from jili.schemes import DecimalField, Explanation, SchemeRegistry, SchemeType
from jili.schemes import registry as scheme_registry
from jili.schemes.registry import make_plugin_manager
from jili.tenancy import bound_tenant
from plan_kit import (
    EN,
    ProbePlugin,
    approve_on_page,
    audit_of,
    company,
    form,
    make_plan,
    period,
    versions_of,
)

ZH_TW = {"Accept-Language": "zh-TW"}


class Flat(SchemeType):
    """Pays ``base`` to every eligible person: what a version pays is plain to see."""

    key = "flat"
    label = "Flat bonus"
    description = "A scheme for tests."
    settings_fields = (DecimalField("base", "Base amount", minimum=Decimal(0), default="100"),)

    @classmethod
    def calculate(cls, facts, settings, context):
        return [
            cls.line(context, pid, Decimal(settings["base"]), Explanation("Flat."))
            for pid in sorted(facts.people)
        ]


class FlatPlugin:
    @staticmethod
    @hookimpl
    def jili_scheme_types():
        return [Flat]


@pytest.fixture
def registry(monkeypatch):
    reg = SchemeRegistry(
        make_plugin_manager(entry_points=False, extra_plugins=[ProbePlugin, FlatPlugin])
    )
    monkeypatch.setattr(scheme_registry, "get_registry", lambda: reg)
    monkeypatch.setattr(engine_versions, "get_registry", lambda: reg)  # the engine's own name
    return reg


def _url(tenant, plan_id, version_id, action):
    return f"/t/{tenant.slug}/plans/{plan_id}/versions/{version_id}/{action}"


def _propose(tenant, browser_, user, plan_id, label="2024-03", **changes):
    """``user`` edits the plan on its page: a new version, proposed."""
    resp = browser_.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(period(tenant, label).id, name="P", **changes),
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    pending = [v for v in versions_of(tenant, plan_id) if v.status == ApprovalStatus.PROPOSED]
    assert len(pending) == 1
    return pending[0]


# --- maker-checker --------------------------------------------------------------------


def test_the_author_cannot_approve_their_own_version(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, v1_id = make_plan(tenant)
    owner = browser(tenant.owner)
    v2 = _propose(tenant, owner, tenant.owner, plan_id, **{"s.base": "250"})
    assert v2.created_by_id == tenant.owner.id
    page = owner.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN).text
    assert "Version 2 awaits approval" in page
    assert 'id="approve"' not in page and "You proposed version 2 yourself" in page

    resp = owner.post(_url(tenant, plan_id, v2.id, "approve"), headers=EN)
    assert resp.status_code == 403
    assert "You proposed version 2 yourself: someone else must approve it" in resp.text
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.PROPOSED
    assert audit_of(tenant, "plan.approve") == []
    with bound_tenant(tenant.id):
        (entry,) = [e for e in plans_for_period(tenant.id, period(tenant, "2024-03"))]
        assert entry.version.id == v1_id  # still version 1
    # In the reader's language too.
    tw = owner.post(_url(tenant, plan_id, v2.id, "approve"), headers=ZH_TW)
    assert tw.status_code == 403 and "第 2 版是您本人提議的" in tw.text


def test_an_unapproved_proposal_changes_no_calculation_until_approved(
    registry, make_tenant, member, browser
):
    tenant = company(make_tenant, enable=("flat",))
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="E1", name="张三"))
        db.session.commit()
    plan_id, _ = make_plan(tenant, scheme_key="flat", settings={"base": "100"})
    admin = member(tenant, "admin")
    b = browser(admin)
    resp = b.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data={
            "name": "P",
            "priority": "10",
            "effective_period_id": str(period(tenant, "2024-02").id),
            "s.base": "999",
        },
        headers=EN,
    )
    assert resp.status_code == 302, resp.text

    def total(label):
        with bound_tenant(tenant.id):
            p = db.session.scalar(select(Period).where(Period.label == label))
            return calculate_period(tenant, p).total

    assert total("2024-02") == Decimal("100.00")  # the proposal is not in force
    assert "awaits approval" in b.get(f"/t/{tenant.slug}/plans", headers=EN).text

    owner = browser(tenant.owner)
    v2 = versions_of(tenant, plan_id)[1]
    resp = owner.post(_url(tenant, plan_id, v2.id, "approve"), headers=EN)
    assert resp.status_code == 302, resp.text
    assert total("2024-02") == Decimal("999.00")  # approved: in force from its period
    assert total("2024-01") == Decimal("100.00")  # not before
    v2 = versions_of(tenant, plan_id)[1]
    assert v2.status == ApprovalStatus.APPROVED and v2.decided_by_id == tenant.owner.id
    (entry,) = audit_of(tenant, "plan.approve")
    assert entry.actor_id == tenant.owner.id
    assert entry.after["number"] == 2 and entry.after["effective_period"] == "2024-02"

    history = owner.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN).text
    assert "Approved by" in history and tenant.owner.name in history
    log = owner.get(f"/t/{tenant.slug}/audit", headers=EN).text
    assert "approved version 2 of the plan P" in log
    assert "proposed a change to the plan P" in log


@pytest.mark.parametrize(
    "role,status",
    [("owner", 302), ("admin", 302), ("consultant", 403), ("hr", 403), ("manager", 403)],
)
def test_who_may_approve(registry, role, status, make_tenant, member, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    author = member(tenant, "consultant")
    v2 = _propose(tenant, browser(author), author, plan_id, **{"s.base": "300"})
    approver = tenant.owner if role == "owner" else member(tenant, role)
    resp = browser(approver).post(_url(tenant, plan_id, v2.id, "approve"), headers=EN)
    assert resp.status_code == status
    if role == "consultant":  # another consultant: the client's own people approve
        assert "Only an owner or administrator of" in resp.text
    expected = ApprovalStatus.APPROVED if status == 302 else ApprovalStatus.PROPOSED
    assert versions_of(tenant, plan_id)[1].status == expected


def test_a_rejection_needs_a_reason_and_is_shown_in_the_history(
    registry, make_tenant, member, browser
):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    admin = member(tenant, "admin")
    v2 = _propose(tenant, browser(admin), admin, plan_id, **{"s.base": "300"})
    owner = browser(tenant.owner)
    resp = owner.post(_url(tenant, plan_id, v2.id, "reject"), data={"reason": " "}, headers=EN)
    assert resp.status_code == 409 and "Say why the version is rejected." in resp.text
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.PROPOSED
    # The author withdraws rather than rejects.
    resp = browser(admin).post(
        _url(tenant, plan_id, v2.id, "reject"), data={"reason": "no"}, headers=EN
    )
    assert resp.status_code == 409 and "withdraw it instead" in resp.text

    resp = owner.post(
        _url(tenant, plan_id, v2.id, "reject"), data={"reason": "预算不够"}, headers=EN
    )
    assert resp.status_code == 302
    v2 = versions_of(tenant, plan_id)[1]
    assert v2.status == ApprovalStatus.REJECTED and v2.decision_reason == "预算不够"
    history = owner.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN).text
    assert "Rejected by" in history and "Reason: 预算不够" in history
    assert 'id="pending"' not in history
    (entry,) = audit_of(tenant, "plan.reject")
    assert entry.after["reason"] == "预算不够"
    # Decided: nothing more to decide, and a new proposal may follow.
    again = owner.post(_url(tenant, plan_id, v2.id, "approve"), headers=EN)
    assert again.status_code == 409 and "is rejected already" in again.text
    _propose(tenant, browser(admin), admin, plan_id, **{"s.base": "200"})


def test_one_proposal_at_a_time_and_only_its_author_withdraws(
    registry, make_tenant, member, browser
):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    admin = member(tenant, "admin")
    v2 = _propose(tenant, browser(admin), admin, plan_id, **{"s.base": "300"})
    owner = browser(tenant.owner)
    resp = owner.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(period(tenant, "2024-04").id, name="P", **{"s.base": "400"}),
        headers=EN,
    )
    assert resp.status_code == 400 and "Version 2 of this plan awaits approval" in resp.text
    assert len(versions_of(tenant, plan_id)) == 2
    assert owner.post(_url(tenant, plan_id, v2.id, "withdraw"), headers=EN).status_code == 403
    resp = browser(admin).post(_url(tenant, plan_id, v2.id, "withdraw"), headers=EN)
    assert resp.status_code == 302
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.WITHDRAWN
    assert len(audit_of(tenant, "plan.withdraw")) == 1


def test_a_proposal_for_a_closed_period_is_not_approved(registry, make_tenant, member, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    admin = member(tenant, "admin")
    v2 = _propose(tenant, browser(admin), admin, plan_id, **{"s.base": "300"})
    with bound_tenant(tenant.id):
        march = db.session.scalar(select(Period).where(Period.label == "2024-03"))
        march.status = PeriodStatus.CLOSED
        db.session.commit()
    resp = browser(tenant.owner).post(_url(tenant, plan_id, v2.id, "approve"), headers=EN)
    assert resp.status_code == 409 and "Period 2024-03 is closed" in resp.text
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.PROPOSED


def test_another_companys_plan_or_version_is_404(registry, make_tenant, member, browser):
    mine = company(make_tenant, slug="mine")
    theirs = company(make_tenant, slug="theirs")
    their_plan, _ = make_plan(theirs)
    their_admin = member(theirs, "admin")
    v2 = _propose(theirs, browser(their_admin), their_admin, their_plan, **{"s.base": "9"})
    my_plan, my_v1 = make_plan(mine)
    b = browser(mine.owner)
    for action in ("approve", "reject", "withdraw"):
        assert b.post(_url(mine, their_plan, v2.id, action)).status_code == 404
        assert b.post(_url(mine, my_plan, v2.id, action)).status_code == 404
    other_plan, _ = make_plan(mine, name="Q", approved=False)
    assert b.post(_url(mine, other_plan, my_v1, "approve")).status_code == 404  # not its plan
    assert versions_of(theirs, their_plan)[1].status == ApprovalStatus.PROPOSED


# --- the company's rule ---------------------------------------------------------------


def test_a_company_may_let_one_person_approve_and_it_shows(registry, make_tenant, member, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    owner = browser(tenant.owner)
    consultant = browser(member(tenant, "consultant"))
    assert consultant.post(f"/t/{tenant.slug}/plans/approval-rule").status_code == 403
    listing = owner.get(f"/t/{tenant.slug}/plans", headers=EN).text
    assert "approved by another" in listing and 'name="plan_self_approval"' in listing
    resp = owner.post(f"/t/{tenant.slug}/plans/approval-rule", data={"plan_self_approval": "1"})
    assert resp.status_code == 302
    (entry,) = audit_of(tenant, "plan.self_approval")
    assert entry.after == {"plan_self_approval": True}

    v2 = _propose(tenant, owner, tenant.owner, plan_id, **{"s.base": "300"})
    assert owner.post(_url(tenant, plan_id, v2.id, "approve"), headers=EN).status_code == 302
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.APPROVED
    history = owner.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN).text
    assert "approved by its own author (company setting)" in history
    (approved,) = audit_of(tenant, "plan.approve")
    assert approved.after["self_approved"] is True


def test_a_new_plan_waits_for_approval_before_it_is_calculated(
    registry, make_tenant, member, browser
):
    tenant = company(make_tenant)
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new", data=form(period(tenant, "2024-01").id), headers=EN
    )
    assert resp.status_code == 302
    landed = browser(tenant.owner).get(resp.headers["Location"], headers=EN).text
    assert "None yet: no version has been approved" in landed
    with bound_tenant(tenant.id):
        (entry,) = plans_for_period(tenant.id, period(tenant, "2024-01"))
        assert entry.version is None and entry.status == "not_in_force"
    approve_on_page(tenant, member, browser, entry.plan.id)
    with bound_tenant(tenant.id):
        (entry,) = plans_for_period(tenant.id, period(tenant, "2024-01"))
        assert entry.version is not None


# --- a pilot of a proposal ------------------------------------------------------------


def test_a_proposal_can_be_piloted_and_the_pilot_pays_nothing(
    registry, make_tenant, member, browser
):
    tenant = company(make_tenant, enable=("flat",))
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="E1", name="张三"))
        db.session.commit()
    plan_id, _ = make_plan(tenant, scheme_key="flat", settings={"base": "100"})
    admin = member(tenant, "admin")
    b = browser(admin)
    march = period(tenant, "2024-03")
    resp = b.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data={"name": "P", "priority": "10", "effective_period_id": str(march.id), "s.base": "150"},
        headers=EN,
    )
    assert resp.status_code == 302
    v2 = versions_of(tenant, plan_id)[1]
    runs_page = b.get(f"/t/{tenant.slug}/periods/{march.id}/runs", headers=EN).text
    assert "proposed version 2 (awaiting approval)" in runs_page
    resp = b.post(
        f"/t/{tenant.slug}/periods/{march.id}/runs/pilot",
        data={"version_id": str(v2.id)},
        headers=EN,
    )
    assert resp.status_code in (200, 302), resp.text
    with bound_tenant(tenant.id):
        (run,) = db.session.scalars(select(CalculationRun))
        assert run.kind == RunKind.PILOT
        assert run.budget["total_in_force"] == "100.00" and run.budget["total_pilot"] == "150.00"
    page = b.get(f"/t/{tenant.slug}/runs/{run.id}", headers=EN).text
    assert "proposed, awaiting approval" in page
    assert versions_of(tenant, plan_id)[1].status == ApprovalStatus.PROPOSED


# --- plan as code ---------------------------------------------------------------------


def test_the_tenant_file_checks_approval_states(app):
    from flask_babel import force_locale

    from jili.plan_as_code.schema import TenantFileError
    from tenant_file_kit import RICH, import_text

    bad = RICH.replace('approval = "rejected"', 'approval = "maybe"')
    twice = RICH.replace('approval = "rejected"', 'approval = "proposed"')
    pilot = RICH.replace("pilot = true\n", 'pilot = true\napproval = "proposed"\n')
    with force_locale("en"):  # the file's errors in the reader's language: English here
        with pytest.raises(TenantFileError, match="approval must be one of"):
            import_text(bad, slug="bad-1")
        with pytest.raises(TenantFileError, match="at most one version awaiting approval"):
            import_text(twice, slug="bad-2")
        with pytest.raises(TenantFileError, match="needs no approval"):
            import_text(pilot, slug="bad-3")
