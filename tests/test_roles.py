"""What each role may see and do, checked on the server."""

import pytest

from jili.models import Role

PAGES = {
    "/": {"owner", "admin", "consultant", "manager", "hr", "staff"},
    "/settings": {"owner", "admin", "consultant", "manager", "hr"},
    "/teams": {"owner", "admin", "consultant", "manager", "hr"},
    "/teams/new": {"owner", "admin", "consultant", "hr"},
    "/people": {"owner", "admin", "consultant", "manager", "hr"},
    "/people/new": {"owner", "admin", "consultant", "hr"},
    "/people/import": {"owner", "admin", "consultant", "hr"},
    "/periods": {"owner", "admin", "consultant", "manager", "hr"},
    "/schemes": {"owner", "admin", "consultant", "manager", "hr"},
    "/plans": {"owner", "admin", "consultant", "manager", "hr"},
    "/plans/new": {"owner", "admin", "consultant"},
    "/transactions": {"owner", "admin", "consultant", "manager", "hr"},
    "/transactions/import": {"owner", "admin", "consultant", "hr"},
    "/transactions/template.csv": {"owner", "admin", "consultant", "manager", "hr"},
    "/targets": {"owner", "admin", "consultant", "manager", "hr"},
    "/targets/import": {"owner", "admin", "consultant", "hr"},
    "/metrics": {"owner", "admin", "consultant", "manager", "hr"},
    "/metrics/import": {"owner", "admin", "consultant", "hr"},
    "/profit": {"owner", "admin", "consultant", "hr"},
    "/awards": {"owner", "admin", "consultant", "manager", "hr"},
    "/members": {"owner", "admin"},
    "/audit": {"owner", "admin"},
    "/statements": {"owner", "admin", "consultant", "manager", "hr", "staff"},
    "/simulator": {"owner", "admin", "consultant", "manager", "hr", "staff"},
}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_pages_allowed_per_role(role, make_tenant, member, browser):
    tenant = make_tenant()
    user = tenant.owner if role == "owner" else member(tenant, role)
    b = browser(user)
    for path, allowed in PAGES.items():
        resp = b.get(f"/t/{tenant.slug}{path}")
        expected = 200 if role in allowed else 403
        assert resp.status_code == expected, f"{role} {path}: {resp.status_code}"


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("owner", True),
        ("admin", True),
        ("consultant", False),
        ("manager", False),
        ("hr", False),
        ("staff", False),
    ],
)
def test_only_owner_and_admin_change_settings(role, allowed, make_tenant, member, browser):
    tenant = make_tenant()
    b = browser(tenant.owner if role == "owner" else member(tenant, role))
    resp = b.post(
        f"/t/{tenant.slug}/settings",
        data={
            "name": "Renamed",
            "currency": "CNY",
            "locale": "en",
            "timezone": "Asia/Shanghai",
            "fiscal_year_start_month": "1",
        },
    )
    assert resp.status_code == (302 if allowed else 403)


@pytest.mark.parametrize(
    "role,allowed", [("hr", True), ("consultant", True), ("manager", False), ("staff", False)]
)
def test_who_may_edit_the_organisation(role, allowed, make_tenant, member, browser):
    tenant = make_tenant()
    b = browser(member(tenant, role))
    resp = b.post(
        f"/t/{tenant.slug}/teams/new", data={"name": "新组", "kind": "group", "parent_id": "0"}
    )
    assert resp.status_code == (302 if allowed else 403)


def test_staff_home_shows_own_profile_not_company_counts(make_tenant, member, browser):
    from jili.extensions import db
    from jili.models import Person
    from jili.tenancy import bound_tenant

    tenant = make_tenant()
    user = member(tenant, "staff")
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="S1", name="小王", user_id=user.id))
        db.session.commit()
    resp = browser(user).get(f"/t/{tenant.slug}/", headers={"Accept-Language": "en"})
    assert "S1" in resp.text and "Getting started" not in resp.text
