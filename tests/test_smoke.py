import platform as stdlib_platform


def test_import_platform_is_still_the_standard_library():
    assert hasattr(stdlib_platform, "python_version")
    assert stdlib_platform.__file__.endswith("platform.py")


def test_welcome_page_renders(client):
    resp = client.get("/", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert "Create your company" in resp.text
    assert resp.headers["Vary"].count("HX-Request") == 1


def test_owner_sees_tenant_home(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = b.get(f"/t/{tenant.slug}/", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert tenant.name in resp.text
