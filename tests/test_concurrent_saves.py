"""A unique-key clash from two simultaneous saves is a clear 409, not a 500."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from jili.incentives.views import plans as plan_views


def test_a_clash_between_two_saves_is_a_409_that_says_so(make_tenant, browser, monkeypatch):
    tenant = make_tenant()

    def clash(*args, **kwargs):
        raise IntegrityError("INSERT INTO plan_version …", {}, Exception("unique"))

    b = browser(tenant.owner)
    # The plans page raising what the database raises on a duplicate version number.
    monkeypatch.setattr(plan_views, "render_template", clash)
    resp = b.get(f"/t/{tenant.slug}/plans", headers={"Accept-Language": "en"})
    assert resp.status_code == 409
    assert "at the same moment" in resp.text and "Reload" in resp.text
