"""Switching company from the header of every page: the other companies of the
signed-in user, each link to the same page there when it takes no other argument."""

from __future__ import annotations

from flask import g, request, url_for
from flask_login import current_user

from jili.accounts.services import user_tenants
from jili.web import bp


def _switch_url(slug: str) -> str:
    """The same page in company ``slug`` for a plain GET page with no other argument
    (people, periods, the simulator…); its home otherwise."""
    endpoint = request.endpoint or ""
    if request.method == "GET" and endpoint.startswith("tenant.") and not request.view_args:
        return url_for(endpoint, slug=slug)
    return url_for("tenant.home", slug=slug)


def _other_companies() -> list[tuple[str, str]]:
    """(name, url) of every other company of the user, when on a company's page."""
    tenant = getattr(g, "tenant", None)
    if tenant is None or not current_user.is_authenticated:
        return []
    return [
        (t.name, _switch_url(t.slug))
        for t, _role in user_tenants(current_user)
        if t.id != tenant.id
    ]


@bp.app_context_processor
def _switcher():
    return {"other_companies": _other_companies}
