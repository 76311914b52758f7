"""The schemes page: enabling scheme plugins per company, and the budget settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from jili import hookimpl
from jili.extensions import db
from jili.incentives.models import BudgetRuleChoice
from jili.incentives.services.schemes import enabled_scheme_keys
from jili.models import AuditLog, IncentiveSetting, TenantScheme
from jili.schemes import Explanation, PercentField, SchemeRegistry, SchemeType
from jili.schemes import registry as scheme_registry
from jili.schemes.registry import make_plugin_manager
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", "Accept-Language": "en"}


class DoorPrize(SchemeType):
    """A test scheme registered through a pluggy plugin."""

    key = "door_prize"
    label = "Door prize"
    description = "A prize for everyone at the door."
    settings_fields = (PercentField("rate_pct", "Rate (%)", default="1"),)

    @classmethod
    def calculate(cls, facts, settings, context):
        return [cls.line(context, 1, Decimal(1), Explanation("Prize."))]


class DoorPrizePlugin:
    @staticmethod
    @hookimpl
    def jili_scheme_types():
        return [DoorPrize]


@pytest.fixture
def registry(monkeypatch):
    """The built-ins plus DoorPrize, as the process registry."""
    reg = SchemeRegistry(make_plugin_manager(entry_points=False, extra_plugins=[DoorPrizePlugin]))
    monkeypatch.setattr(scheme_registry, "get_registry", lambda: reg)
    return reg


def _audit(tenant, action):
    with bound_tenant(tenant.id):
        return list(
            db.session.scalars(
                select(AuditLog).where(AuditLog.tenant_id == tenant.id, AuditLog.action == action)
            )
        )


def test_page_lists_every_installed_scheme_with_its_origin(registry, make_tenant, browser):
    tenant = make_tenant()
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/schemes", headers=EN)
    assert page.status_code == 200
    for key in ("tiered_commission", "excess_pool", "profit_sharing", "door_prize"):
        assert f'id="scheme-{key}"' in page.text
    assert "Door prize" in page.text and "A prize for everyone at the door." in page.text
    assert "Built-in" in page.text
    assert "Registered by" in page.text  # DoorPrize came from a plugin registered in code


def test_toggle_enables_and_disables_audited_and_swaps_only_its_row(registry, make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    url = f"/t/{tenant.slug}/schemes/toggle"
    resp = b.post(url, data={"scheme_key": "door_prize", "enabled": "1"}, headers=HX)
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith('<tr id="scheme-door_prize"')
    assert "<html" not in resp.text and "Disable" in resp.text
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == {"door_prize"}
    assert [a.after["enabled"] for a in _audit(tenant, "scheme.enable")] == [True]

    resp = b.post(url, data={"scheme_key": "door_prize", "enabled": "0"}, headers=HX)
    assert resp.status_code == 200 and "Enable" in resp.text
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == set()
        rows = list(db.session.scalars(select(TenantScheme)))
    assert len(rows) == 1 and rows[0].enabled is False  # upserted, not a second row
    assert len(_audit(tenant, "scheme.disable")) == 1

    # Enabling again reuses the row; without htmx the page redirects with a message.
    resp = b.post(url, data={"scheme_key": "door_prize"}, headers=EN)
    assert resp.status_code == 302
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == {"door_prize"}
        assert db.session.scalar(select(db.func.count(TenantScheme.id))) == 1


def test_toggle_twice_with_the_same_wish_changes_nothing_more(registry, make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    for _ in range(2):
        b.post(
            f"/t/{tenant.slug}/schemes/toggle",
            data={"scheme_key": "excess_pool", "enabled": "1"},
            headers=HX,
        )
    assert len(_audit(tenant, "scheme.enable")) == 1


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("admin", True),
        ("consultant", True),  # a consultant the company let in
        ("manager", False),
        ("hr", False),
        ("staff", False),
    ],
)
def test_only_schemes_enable_may_toggle(registry, role, allowed, make_tenant, member, browser):
    tenant = make_tenant()
    b = browser(member(tenant, role))
    resp = b.post(
        f"/t/{tenant.slug}/schemes/toggle",
        data={"scheme_key": "tiered_commission", "enabled": "1"},
        headers=HX,
    )
    assert resp.status_code == (200 if allowed else 403)
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == ({"tiered_commission"} if allowed else set())


def test_other_config_roles_see_the_page_read_only(registry, make_tenant, member, browser):
    tenant = make_tenant()
    page = browser(member(tenant, "hr")).get(f"/t/{tenant.slug}/schemes", headers=EN)
    assert page.status_code == 200
    assert "Door prize" in page.text
    assert "schemes/toggle" not in page.text
    assert "<fieldset disabled" in page.text  # the budget form


def test_a_consultant_enables_schemes_but_leaves_the_budget_to_the_company(
    registry, make_tenant, member, browser
):
    tenant = make_tenant()
    page = browser(member(tenant, "consultant")).get(f"/t/{tenant.slug}/schemes", headers=EN)
    assert "schemes/toggle" in page.text
    assert "<fieldset disabled" in page.text


def test_unknown_scheme_key_is_refused(registry, make_tenant, browser):
    tenant = make_tenant()
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/schemes/toggle", data={"scheme_key": "nope"}, headers=HX
    )
    assert resp.status_code == 400
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == set()


def test_enabled_but_uninstalled_scheme_is_listed_not_a_crash(registry, make_tenant, browser):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="gone_scheme", enabled=True))
        db.session.commit()
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/schemes", headers=EN)
    assert page.status_code == 200
    assert 'id="scheme-gone_scheme"' in page.text and "Not installed" in page.text
    # It cannot be enabled, but it can be disabled.
    resp = b.post(
        f"/t/{tenant.slug}/schemes/toggle",
        data={"scheme_key": "gone_scheme", "enabled": "0"},
        headers=HX,
    )
    assert resp.status_code == 200
    with bound_tenant(tenant.id):
        assert enabled_scheme_keys(tenant.id) == set()
    assert _audit(tenant, "scheme.disable")


def test_budget_settings_saved_and_audited(registry, make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = b.post(
        f"/t/{tenant.slug}/budget",
        data={
            "ceiling_quarter_amount": "1,200,000.50",
            "ceiling_quarter_pct": "8",
            "ceiling_month_pct": "6.5",
            "budget_rule": "priority",
            "release_from_attainment_pct": "150",
            "release_pct": "10",
        },
        headers=EN,
    )
    assert resp.status_code == 302
    with bound_tenant(tenant.id):
        row = db.session.scalar(select(IncentiveSetting))
    assert row.ceiling_for("quarter") == (Decimal("1200000.50"), Decimal("8"))
    assert row.ceiling_for("month") == (None, Decimal("6.5"))
    assert row.ceiling_for("year") == (None, None) == row.ceiling_for("week")
    assert row.budget_rule == BudgetRuleChoice.PRIORITY
    assert row.release_from_attainment_pct == Decimal("150")
    assert row.release_pct == Decimal("10")
    (entry,) = _audit(tenant, "budget.update")
    assert entry.after["ceiling_quarter_amount"] == "1200000.50"
    page = b.get(f"/t/{tenant.slug}/schemes", headers=EN)
    assert 'value="1200000.5"' in page.text and 'value="priority" checked' in page.text

    # Clearing the amount: only the change is audited.
    b.post(
        f"/t/{tenant.slug}/budget",
        data={
            "ceiling_quarter_amount": "",
            "ceiling_quarter_pct": "8",
            "ceiling_month_pct": "6.5",
            "budget_rule": "priority",
            "release_from_attainment_pct": "150",
            "release_pct": "10",
        },
    )
    changes = _audit(tenant, "budget.update")
    assert len(changes) == 2 and changes[1].after == {"ceiling_quarter_amount": None}


def test_budget_errors_are_shown_per_field_and_nothing_saved(registry, make_tenant, browser):
    tenant = make_tenant()
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/budget",
        data={
            "ceiling_month_amount": "lots",
            "ceiling_year_pct": "120",
            "budget_rule": "random",
            "release_from_attainment_pct": "",
            "release_pct": "10",
        },
        headers=EN,
    )
    assert resp.status_code == 400
    assert 'value="lots"' in resp.text  # the typed input is kept
    assert "Enter a number." in resp.text
    assert "Must be at most 100" in resp.text
    assert "Not one of the choices." in resp.text
    assert "from which attainment" in resp.text
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(IncentiveSetting)) is None
    assert not _audit(tenant, "budget.update")


@pytest.mark.parametrize("role", ["consultant", "hr", "manager"])
def test_only_schemes_edit_may_change_the_budget(registry, role, make_tenant, member, browser):
    tenant = make_tenant()
    resp = browser(member(tenant, role)).post(
        f"/t/{tenant.slug}/budget",
        data={"ceiling_month_amount": "1000", "budget_rule": "proportional"},
    )
    assert resp.status_code == 403
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(IncentiveSetting)) is None
