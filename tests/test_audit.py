import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from jili.audit.models import AuditLogIsAppendOnly
from jili.extensions import db
from jili.models import AuditLog
from jili.tenancy import bound_tenant

SETTINGS = {
    "name": "新名字",
    "currency": "HKD",
    "locale": "zh_Hant",
    "timezone": "Asia/Hong_Kong",
    "fiscal_year_start_month": "1",
}


def test_settings_change_is_audited_before_and_after(make_tenant, browser):
    tenant = make_tenant(name="旧名字")
    b = browser(tenant.owner)
    assert b.post(f"/t/{tenant.slug}/settings", data=SETTINGS).status_code == 302
    with bound_tenant(tenant.id):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "settings.update"))
    assert entry.before["name"] == "旧名字" and entry.after["name"] == "新名字"
    assert entry.before["currency"] == "CNY" and entry.after["currency"] == "HKD"
    assert "fiscal_year_start_month" not in entry.after  # unchanged fields are left out
    assert entry.actor_label == tenant.owner.email


def test_bad_timezone_is_refused_and_typed_values_kept(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = b.post(
        f"/t/{tenant.slug}/settings",
        data=dict(SETTINGS, timezone="Mars/Olympus"),
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 422 and "Unknown time zone" in resp.text
    assert 'value="Mars/Olympus"' in resp.text and 'value="新名字"' in resp.text


def test_audit_log_is_append_only(make_tenant, browser):
    tenant = make_tenant()
    browser(tenant.owner).post(f"/t/{tenant.slug}/settings", data=SETTINGS)
    with bound_tenant(tenant.id):
        entry = db.session.scalar(select(AuditLog))
        entry.action = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(DatabaseError):
            db.session.execute(text("DELETE FROM audit_log"))
        db.session.rollback()


def test_audit_page_filters(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    b.post(f"/t/{tenant.slug}/settings", data=SETTINGS)
    b.post(
        f"/t/{tenant.slug}/teams/new", data={"name": "审计组", "kind": "group", "parent_id": "0"}
    )
    page = b.get(f"/t/{tenant.slug}/audit?action=team", headers={"Accept-Language": "en"})
    assert "created the team 审计组" in page.text
    assert "changed the company settings" not in page.text
    page = b.get(f"/t/{tenant.slug}/audit?actor=nobody", headers={"Accept-Language": "en"})
    assert "created the team" not in page.text
    page = b.get(
        f"/t/{tenant.slug}/audit?since=2000-01-01&until=2999-01-01&page=x",
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200 and "created the team 审计组" in page.text
