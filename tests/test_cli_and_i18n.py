from pathlib import Path

from sqlalchemy import select

from jili import ROOT
from jili.extensions import db
from jili.models import Person, Tenant, User
from jili.tenancy import all_tenants


def test_operator_create_list_and_suspend(runner, make_tenant, member, browser):
    tenant = make_tenant(slug="acme")
    staff = member(tenant, "staff")
    b = browser(staff)
    result = runner.invoke(
        args=["operator", "create", "op@jili.example", "--password", "platform-long-secret-1"]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.is_operator).where(User.email == "op@jili.example"))
    result = runner.invoke(args=["tenant", "list"])
    assert "acme" in result.output and "active" in result.output
    result = runner.invoke(args=["tenant", "suspend", "acme"])
    assert result.exit_code == 0
    resp = b.get("/t/acme/", headers={"Accept-Language": "en"})
    assert resp.status_code == 403 and "suspended" in resp.text
    assert (
        db.session.scalar(select(Tenant.status).where(Tenant.slug == "acme")).value == "suspended"
    )
    runner.invoke(args=["tenant", "resume", "acme"])
    assert b.get("/t/acme/").status_code == 200


def test_demo_load_is_idempotent(runner):
    tenants = Path(ROOT) / "tenants"
    first = runner.invoke(args=["demo", "load", str(tenants)])
    assert first.exit_code == 0, first.output
    with all_tenants():
        count = len(db.session.scalars(select(Person).execution_options(all_tenants=True)).all())
    second = runner.invoke(args=["demo", "load", str(tenants)])
    assert "already there" in second.output
    with all_tenants():
        assert (
            len(db.session.scalars(select(Person).execution_options(all_tenants=True)).all())
            == count
        )
    assert count > 0


def test_browser_language_picks_the_catalogue(client):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US"}).text
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    assert "登入" in client.get("/login", headers={"Accept-Language": "zh-TW"}).text
    assert "登入" in client.get("/login", headers={"Accept-Language": "zh-HK,en;q=0.5"}).text


def test_users_choice_beats_the_browser(make_user, browser):
    user = make_user(locale="en")
    b = browser(user)
    assert "Log out" in b.get("/account", headers={"Accept-Language": "zh-CN"}).text


def test_money_and_dates_follow_the_locale(app):
    from decimal import Decimal

    from flask_babel import force_locale

    from jili.i18n import format_money

    with app.test_request_context():
        with force_locale("en"):
            assert format_money(Decimal("9216.00"), "CNY") == "CN¥9,216.00"
        with force_locale("zh_Hans"):
            assert format_money(Decimal("9216.00"), "CNY") == "¥9,216.00"
