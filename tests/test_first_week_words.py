"""Issue 10, words: what a new customer reads is in their language — no WTForms
"无效的 Email 地址", no scheme codes, no "problem(s)"."""

from __future__ import annotations

from conftest import csrf_from
from jili.extensions import db
from jili.models import TenantScheme
from jili.tenancy import bound_tenant

ZH = {"Accept-Language": "zh-CN"}
TW = {"Accept-Language": "zh-TW"}


def test_a_bad_e_mail_address_is_refused_in_one_language(client):
    page = client.get("/signup", headers=ZH)
    data = {
        "company_name": "华南贸易",
        "slug": "huanan",
        "currency": "CNY",
        "language": "zh_Hans",
        "fiscal_year_start_month": "1",
        "owner_name": "黄经理",
        "email": "not-an-address",
        "password": "a-long-and-unusual-pass",
        "csrf_token": csrf_from(page.text),
    }
    resp = client.post("/signup", data=data, headers=ZH)
    assert "请输入有效的邮箱地址。" in resp.text
    assert "Email" not in resp.text.replace("EmailField", "")


def test_the_schemes_page_shows_no_scheme_codes(make_tenant, browser):
    tenant = make_tenant()
    with bound_tenant(tenant.id):
        db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key="special_awards"))
        db.session.commit()
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/schemes", headers=TW).text
    assert (
        "<code>special_awards</code>" not in page and "<code>tiered_commission</code>" not in page
    )


def test_an_import_counts_its_problems_with_a_plural_form(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/people/import", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    from io import BytesIO

    csv = "工号,姓名,级别\nE1,张三,老板\n".encode()
    resp = b.client.post(
        f"/t/{tenant.slug}/people/import",
        data={"csrf_token": csrf_from(page.text), "file": (BytesIO(csv), "people.csv")},
        headers={"Accept-Language": "en"},
        content_type="multipart/form-data",
    )
    assert "problem(s)" not in resp.text
    assert "Nothing was imported: 1 problem found" in resp.text
