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


def test_every_problem_is_told_at_once(client, make_tenant, make_user):
    make_tenant(slug="huanan")
    make_user(email="boss@huanan.example")
    resp = _signup(client, password="qwertyuiop123", currency="XXX")
    assert resp.status_code == 422
    assert "already taken" in resp.text  # the address
    assert "An account with this e-mail exists" in resp.text
    assert "Not a valid choice" in resp.text  # a field validator failed as well


def test_a_guessable_password_is_refused_by_the_strength_estimator(client):
    before = _counts()
    for weak in ("qwertyuiop123", "1qaz2wsx3edc", "abcdefghijk"):
        resp = _signup(client, password=weak)
        assert resp.status_code == 422 and "too easy to guess" in resp.text, weak
    assert _counts() == before


def test_the_address_is_suggested_from_the_company_name_in_pinyin(client, make_tenant):
    page = client.get("/signup/slug", query_string={"company_name": "华南贸易有限公司"})
    assert 'value="huananmaoyi"' in page.text
    make_tenant(slug="huananmaoyi")
    page = client.get("/signup/slug", query_string={"company_name": "华南贸易有限公司"})
    assert 'value="huananmaoyi-2"' in page.text
    english = client.get("/signup/slug", query_string={"company_name": "Acme Sales Co."})
    assert 'value="acme-sales-co"' in english.text


def test_an_address_of_ones_own_is_kept_while_the_name_changes(client):
    query = {"company_name": "华南贸易", "slug": "my-own", "slug_suggested": "huanan"}
    assert 'value="my-own"' in client.get("/signup/slug", query_string=query).text
    query["slug"] = "huanan"  # still the last suggestion: follow the name
    assert 'value="huananmaoyi"' in client.get("/signup/slug", query_string=query).text


def test_an_empty_address_takes_the_suggestion(client):
    resp = _signup(client, slug="")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/t/huananmaoyi/")
