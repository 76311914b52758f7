from sqlalchemy import func, select

from conftest import csrf_from
from jili.extensions import db
from jili.models import AuditLog, Membership, Role, Tenant, User
from jili.tenancy import all_tenants

GOOD = {
    "company_name": "华南贸易有限公司",
    "slug": "huanan",
    "currency": "CNY",
    "language": "zh_Hans",
    "fiscal_year_start_month": "4",
    "owner_name": "黄经理",
    "email": "Boss@HuaNan.example",
    "password": "a-long-and-unusual-pass",
}


def _signup(client, **changes):
    page = client.get("/signup", headers={"Accept-Language": "en"})
    data = dict(GOOD, csrf_token=csrf_from(page.text), **changes)
    return client.post("/signup", data=data, headers={"Accept-Language": "en"})


def _counts():
    with all_tenants():
        return (
            db.session.scalar(select(func.count(Tenant.id))),
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(
                select(func.count(Membership.id)).execution_options(all_tenants=True)
            ),
        )


def test_signup_creates_company_and_owner_and_lands_on_home(client):
    resp = _signup(client)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/t/huanan/")
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "huanan"))
    assert tenant.fiscal_year_start_month == 4 and tenant.currency == "CNY"
    user = db.session.scalar(select(User).where(User.email == "boss@huanan.example"))
    assert user.password_hash.startswith("$argon2")
    home = client.get("/t/huanan/")
    assert home.status_code == 200 and "华南贸易有限公司" in home.text
    with all_tenants():
        m = db.session.scalar(select(Membership).execution_options(all_tenants=True))
        assert m.role == Role.OWNER and m.user_id == user.id
        assert (
            db.session.scalar(select(AuditLog.action).execution_options(all_tenants=True))
            == "tenant.create"
        )


def test_duplicate_slug_is_refused_and_keeps_what_was_typed(client, make_tenant):
    make_tenant(slug="huanan")
    before = _counts()
    resp = _signup(client)
    assert resp.status_code == 422
    assert "already taken" in resp.text
    assert 'value="华南贸易有限公司"' in resp.text
    assert 'value="boss@huanan.example"' in resp.text.lower()
    assert _counts() == before


def test_reserved_slug_weak_password_and_missing_field_each_say_why(client):
    before = _counts()
    resp = _signup(client, slug="admin")
    assert resp.status_code == 422 and "reserved" in resp.text
    resp = _signup(client, password="password1")
    assert resp.status_code == 422 and "at least 10 characters" in resp.text
    resp = _signup(client, password="huanan-boss-password")
    assert resp.status_code == 422
    resp = _signup(client, company_name="")
    assert resp.status_code == 422 and "This field is required" in resp.text
    resp = _signup(client, slug="Bad Slug!")
    assert resp.status_code == 422 and "lower-case" in resp.text
    assert _counts() == before


def test_existing_email_must_log_in_first(client, make_user):
    make_user(email="boss@huanan.example")
    resp = _signup(client)
    assert resp.status_code == 422 and "log in" in resp.text
