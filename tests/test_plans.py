"""Plans: creating from an enabled scheme, the generic settings form and its errors,
who may create, plans whose scheme is not installed or disabled, the pages in Chinese."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.models import ApprovalStatus
from jili.models import Period, Person, Plan, PlanVersion, Team
from jili.tenancy import bound_tenant
from plan_kit import (
    EN,
    EXPECTED_SETTINGS,
    approve_on_page,
    audit_of,
    company,
    error_after,
    form,
    make_plan,
    period,
    plans_of,
    use_probe,
    versions_of,
)


@pytest.fixture
def registry(monkeypatch):
    return use_probe(monkeypatch)


# --- offering schemes ---------------------------------------------------------------


def test_a_scheme_is_offered_for_new_plans_only_when_enabled(registry, make_tenant, browser):
    tenant = company(make_tenant, enable=())
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new", headers=EN)
    assert page.status_code == 200 and 'value="probe"' not in page.text
    assert "No scheme is enabled" in page.text
    refused = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=probe", headers=EN)
    assert refused.status_code == 400 and "enabled for your company" in refused.text
    resp = b.post(f"/t/{tenant.slug}/plans/new", data=form(period(tenant, "2024-01").id))
    assert resp.status_code == 400 and plans_of(tenant) == []

    b.post(f"/t/{tenant.slug}/schemes/toggle", data={"scheme_key": "probe", "enabled": "1"})
    page = b.get(f"/t/{tenant.slug}/plans/new", headers=EN)
    assert 'value="probe"' in page.text and "Probe bonus" in page.text
    assert 'value="tiered_commission"' not in page.text  # installed but not enabled
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=probe", headers=EN)
    assert page.status_code == 200
    # The generic form: every field by its label, defaults filled in.
    for label in ("Base amount", "Bands by attainment", "Region coefficients", "Award kinds"):
        assert label in page.text
    assert 'name="s.bands.0.from_pct" value="0"' in page.text
    assert 'name="s.bands.1.from_pct" value="100"' in page.text
    assert 'name="s.bands.2.from_pct" value=""' in page.text  # a blank row to add one


def test_create_plan_stores_version_1_with_settings_and_eligibility(
    registry, make_tenant, browser, member
):
    tenant = company(make_tenant)
    with bound_tenant(tenant.id):
        region = Team(tenant_id=tenant.id, name="华东")
        db.session.add(region)
        db.session.flush()
        group = Team(tenant_id=tenant.id, name="上海一组", parent_id=region.id)
        person = Person(tenant_id=tenant.id, employee_no="E1", name="张三")
        db.session.add_all([group, person])
        db.session.commit()
        ids = SimpleNamespace(region=region.id, group=group.id, person=person.id)
    march = period(tenant, "2024-03")
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(
            march.id,
            elig_team_ids=[str(ids.region)],
            elig_levels=["core", "manager"],
            elig_person_ids=[str(ids.person)],
            **{"s.people": [str(ids.person)]},
        ),
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    (plan,) = plans_of(tenant)
    assert (plan.name, plan.scheme_key, plan.priority) == ("Probe plan", "probe", 10)
    (v1,) = versions_of(tenant, plan.id)
    assert v1.number == 1 and not v1.is_pilot
    assert v1.effective_period_id == march.id and v1.effective_from == date(2024, 3, 1)
    assert v1.settings == {**EXPECTED_SETTINGS, "people": [ids.person]}
    assert v1.eligibility == {
        "team_ids": [ids.region],
        "levels": ["core", "manager"],
        "person_ids": [ids.person],
    }
    assert v1.created_by_id == tenant.owner.id
    (entry,) = audit_of(tenant, "plan.create")
    assert entry.after["settings"]["bands"][1]["rate_pct"] == "1.8"
    assert entry.after["effective_period"] == "2024-03"

    assert v1.status == ApprovalStatus.PROPOSED  # in force once a second person approves
    listing = browser(tenant.owner).get(f"/t/{tenant.slug}/plans", headers=EN)
    assert "Probe plan" in listing.text and "version 1 awaits approval" in listing.text
    assert approve_on_page(tenant, member, browser, plan.id) == v1.id
    listing = browser(tenant.owner).get(f"/t/{tenant.slug}/plans", headers=EN)
    assert "Probe plan" in listing.text and "Version 1" in listing.text and "Active" in listing.text
    assert "awaits approval" not in listing.text


def test_settings_errors_are_shown_per_field_with_the_input_kept(registry, make_tenant, browser):
    tenant = company(make_tenant)
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(
            period(tenant, "2024-01").id,
            **{
                "s.base": "abc",
                "s.bands.1.rate_pct": "0.5",  # lower than the band before
                "s.region_coefficients.0.value": "x1",
                "s.region_coefficients.1.key": "",  # a value without a name
                "s.region_coefficients.1.value": "1.3",
                "s.kinds.0.amount": "-5",
                "s.months": "13",
                "s.mode": "z",
            },
        ),
        headers=EN,
    )
    assert resp.status_code == 400
    html = resp.text
    assert 'value="abc"' in html and 'value="x1"' in html and 'value="0.5"' in html
    assert error_after(html, "s.base") == "Enter a number."
    assert error_after(html, "s.bands.1.rate_pct") == "May not be lower than the band before."
    assert error_after(html, "s.bands.0.rate_pct") == ""
    assert error_after(html, "s.region_coefficients.0.value") == "Enter a number."
    assert "Every entry needs a name." in html
    assert error_after(html, "s.kinds.0.amount") == "Must be at least 0."
    assert error_after(html, "s.months") == "Must be at most 12."
    assert "Not one of the choices." in html
    assert "Nothing was saved" in html
    assert plans_of(tenant) == []
    assert audit_of(tenant, "plan.create") == []


def test_rules_across_fields_and_plan_fields_are_checked_too(registry, make_tenant, browser):
    tenant = company(make_tenant)
    make_plan(tenant, name="Taken")
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(period(tenant, "2024-01").id, name="taken", priority="x", **{"s.cap": "50"}),
        headers=EN,
    )
    assert resp.status_code == 400
    assert error_after(resp.text, "s.cap") == "The cap must not be below the base."
    assert error_after(resp.text, "name") == "A plan with this name exists already."
    assert error_after(resp.text, "priority") == "Enter a whole number."
    assert len(plans_of(tenant)) == 1


def test_row_buttons_add_and_remove_rows_without_saving(registry, make_tenant, browser):
    tenant = company(make_tenant)
    b = browser(tenant.owner)
    url = f"/t/{tenant.slug}/plans/new"
    resp = b.post(url, data=form(period(tenant, "2024-01").id, _row="add:bands"))
    assert resp.status_code == 200
    assert 'name="s.bands.2.from_pct"' in resp.text  # 2 kept rows + the added one
    resp = b.post(url, data=form(period(tenant, "2024-01").id, _row="remove:bands:0"))
    assert resp.status_code == 200
    assert 'name="s.bands.0.from_pct" value="120"' in resp.text
    assert plans_of(tenant) == []


# --- schemes not installed or disabled ------------------------------------------------


def test_a_plan_whose_scheme_is_not_installed_is_shown_unavailable(registry, make_tenant, browser):
    tenant = company(make_tenant, enable=("probe", "vanished"))
    with bound_tenant(tenant.id):
        plan = Plan(tenant_id=tenant.id, name="Old plan", scheme_key="vanished")
        db.session.add(plan)
        db.session.flush()
        jan = db.session.scalar(select(Period).where(Period.label == "2024-01"))
        version = PlanVersion(
            status=ApprovalStatus.APPROVED,  # as if approved
            tenant_id=tenant.id,
            plan_id=plan.id,
            number=1,
            effective_period_id=jan.id,
            effective_from=jan.start_date,
            settings={"secret_rate": "7.5"},
        )
        db.session.add(version)
        db.session.commit()
        plan_id, version_id = plan.id, version.id
    b = browser(tenant.owner)
    listing = b.get(f"/t/{tenant.slug}/plans", headers=EN)
    assert listing.status_code == 200
    assert "Scheme not installed — unavailable" in listing.text and "vanished" in listing.text
    detail = b.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN)
    assert detail.status_code == 200 and "secret_rate" in detail.text and "7.5" in detail.text
    assert "Edit (new version)" not in detail.text
    page = b.get(f"/t/{tenant.slug}/plans/{plan_id}/versions/{version_id}", headers=EN)
    assert page.status_code == 200 and "secret_rate" in page.text
    assert b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit").status_code == 409
    assert b.get(f"/t/{tenant.slug}/plans/{plan_id}/pilot").status_code == 409
    # Not offered for new plans either.
    assert 'value="vanished"' not in b.get(f"/t/{tenant.slug}/plans/new").text


def test_a_plan_whose_scheme_is_disabled_is_not_calculated(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    b = browser(tenant.owner)
    b.post(f"/t/{tenant.slug}/schemes/toggle", data={"scheme_key": "probe", "enabled": "0"})
    listing = b.get(f"/t/{tenant.slug}/plans", headers=EN)
    assert "Scheme disabled — not calculated" in listing.text


def test_a_version_of_another_plan_is_404(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_a, _ = make_plan(tenant, name="A")
    _plan_b, version_b = make_plan(tenant, name="B")
    resp = browser(tenant.owner).get(f"/t/{tenant.slug}/plans/{plan_a}/versions/{version_b}")
    assert resp.status_code == 404


@pytest.mark.parametrize("role,allowed", [("consultant", True), ("hr", False), ("manager", False)])
def test_who_may_create_plans(registry, role, allowed, make_tenant, member, browser):
    tenant = company(make_tenant)
    resp = browser(member(tenant, role)).post(
        f"/t/{tenant.slug}/plans/new", data=form(period(tenant, "2024-01").id)
    )
    assert resp.status_code == (302 if allowed else 403)
    assert len(plans_of(tenant)) == (1 if allowed else 0)


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW"])
def test_plan_pages_render_in_chinese(language, registry, make_tenant, browser):
    tenant = company(make_tenant, enable=("probe", "tiered_commission"))
    plan_id, version_id = make_plan(tenant)
    b = browser(tenant.owner)
    headers = {"Accept-Language": language}
    base = f"/t/{tenant.slug}"
    for url in (
        "/schemes",
        "/plans",
        "/plans/new",
        "/plans/new?scheme_key=tiered_commission",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/edit",
        f"/plans/{plan_id}/pilot",
        f"/plans/{plan_id}/versions/{version_id}",
        f"/plans/{plan_id}/copy",
    ):
        assert b.get(base + url, headers=headers).status_code == 200, url
