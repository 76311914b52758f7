"""The audit log reads as sentences in the reader's language: names, not ids or class
names; no dict dumps or None; filters by who, what and when."""

from __future__ import annotations

from flask_login import login_user
from sqlalchemy import select

from conftest import add_member
from jili.accounts.models import Role, User
from jili.extensions import db
from jili.incentives.services import approvals
from jili.incentives.services.plans import add_version, create_plan
from jili.incentives.services.schemes import set_scheme_enabled
from jili.models import AuditLog, Period, Plan
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
BANDS = [{"from_pct": "0", "rate_pct": "1.2"}, {"from_pct": "120", "rate_pct": "1.8"}]
SETTINGS = {"mode": "whole", "basis": "booked", "bands": BANDS, "attainment_cap_pct": None}


def tiered_plan_changed_by(app, tenant, user):
    """``user`` creates a tiered-commission plan, a second admin approves it, and
    ``user`` proposes to raise the rate at 120 %."""
    with app.test_request_context(), bound_tenant(tenant.id):
        login_user(user)
        generate_year(tenant.id, 2024, 1)
        set_scheme_enabled(tenant.id, "tiered_commission", True)
        jan = db.session.scalar(select(Period).where(Period.label == "2024-01"))
        feb = db.session.scalar(select(Period).where(Period.label == "2024-02"))
        plan, _v = create_plan(
            tenant.id,
            name="销售提成",
            scheme_key="tiered_commission",
            priority=100,
            period=jan,
            settings=dict(SETTINGS),
            eligibility={"team_ids": [], "levels": [], "person_ids": []},
            user_id=user.id,
        )
        checker = User(email=f"checker@{tenant.slug}.example", name="核准人", password_hash="x")
        db.session.add(checker)
        db.session.flush()
        add_member(tenant, checker, Role.ADMIN)
        approvals.approve(_v, user=checker, role=Role.ADMIN, tenant=tenant)
        raised = [BANDS[0], {"from_pct": "120", "rate_pct": "2.0"}]
        add_version(
            plan,
            period=feb,
            settings=dict(SETTINGS, bands=raised),
            eligibility={"team_ids": [], "levels": [], "person_ids": []},
            user_id=user.id,
        )
        db.session.commit()


def test_a_plan_change_reads_as_one_sentence_with_names(app, make_tenant, make_user, browser):
    tenant = make_tenant()
    owner = tenant.owner
    owner.name = "王小明"
    db.session.commit()
    tiered_plan_changed_by(app, tenant, owner)
    page = browser(owner).get(f"/t/{tenant.slug}/audit", headers=EN).text
    assert "王小明 proposed a change to the plan 销售提成" in page
    assert "核准人 approved version 1 of the plan 销售提成" in page
    assert "Rate from 120 %: 1.8 % → 2.0 %" in page
    assert "王小明 created the plan 销售提成" in page
    for raw in ("PlanVersion", "plan.version", "None", "{&#39;", "rate_pct", "tiered_commission"):
        assert raw not in page, raw


def test_the_reader_reads_their_own_language(app, make_tenant, browser):
    tenant = make_tenant()
    tiered_plan_changed_by(app, tenant, tenant.owner)
    b = browser(tenant.owner)
    zh = b.get(f"/t/{tenant.slug}/audit", headers={"Accept-Language": "zh-CN"}).text
    assert "提议修改计划 销售提成" in zh and "1.8 % → 2.0 %" in zh
    assert "核准了计划 销售提成 的第 1 版" in zh
    tw = b.get(f"/t/{tenant.slug}/audit", headers={"Accept-Language": "zh-TW"}).text
    assert "提議修改計畫 銷售提成" not in tw and "提議修改計畫 销售提成" in tw


def test_an_unknown_action_reads_as_a_generic_sentence(app, make_tenant, browser):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        db.session.add(
            AuditLog(
                tenant_id=tenant.id,
                actor_label="system",
                action="robot.dance",
                object_type="Robot",
                object_id="7",
                before={"speed": None},
                after={"speed": "2"},
            )
        )
        db.session.commit()
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/audit", headers=EN).text
    assert "The system: robot.dance on an entry" in page
    assert "Speed: — → 2" in page and "None" not in page


def test_filters_by_who_and_what(app, make_tenant, member, browser):
    tenant = make_tenant()
    admin = member(tenant, "admin")
    tiered_plan_changed_by(app, tenant, admin)
    b = browser(tenant.owner)
    b.post(
        f"/t/{tenant.slug}/teams/new", data={"name": "审计组", "kind": "group", "parent_id": "0"}
    )
    base = f"/t/{tenant.slug}/audit"
    by_admin = b.get(f"{base}?who={admin.id}", headers=EN).text
    assert "proposed a change to the plan" in by_admin and "created the team" not in by_admin
    assert "approved version 1" not in by_admin  # the checker did that
    teams = b.get(f"{base}?action=team", headers=EN).text
    assert "created the team 审计组" in teams and "a change to the plan" not in teams
    plans = b.get(f"{base}?action=plan&since=2000-01-01&until=2999-01-01", headers=EN).text
    assert "proposed a change to the plan" in plans and "created the team" not in plans
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(Plan.name)) == "销售提成"


def test_every_recorded_action_has_its_own_sentence():
    import re
    from pathlib import Path

    from jili import ROOT
    from jili.audit.sentences import SENTENCES

    recorded = set()
    for path in (Path(ROOT) / "platform").rglob("*.py"):
        for call in re.findall(r"audit\.record\(\s*([^,]+)", path.read_text()):
            recorded.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', call))
    assert recorded and not recorded - set(SENTENCES), sorted(recorded - set(SENTENCES))
