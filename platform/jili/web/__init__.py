"""The tenant area ``/t/<slug>/…``: resolves the tenant once per request."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.models import Membership, Role, Tenant
from jili.accounts.roles import can
from jili.extensions import db
from jili.tenancy import bind_tenant
from jili.web import errors

bp = Blueprint("tenant", __name__, url_prefix="/t/<slug>")


class TenantSuspended(Exception):
    pass


@bp.url_value_preprocessor
def resolve_tenant(endpoint, values) -> None:
    slug = values.pop("slug", None)
    g.tenant = None
    if not current_user.is_authenticated:
        return  # before_request sends them to the login page, whether or not the slug exists
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        abort(404)
    bind_tenant(tenant.id)
    membership = db.session.scalar(
        select(Membership).where(
            Membership.tenant_id == tenant.id, Membership.user_id == current_user.id
        )
    )
    if membership is None:
        bind_tenant(None)
        abort(404)  # never confirm that another company exists
    if tenant.is_suspended:
        raise TenantSuspended()
    g.tenant = tenant
    g.membership = membership
    g.role = membership.role


@bp.url_defaults
def add_slug(endpoint, values) -> None:
    if "slug" not in values and getattr(g, "tenant", None) is not None:
        values["slug"] = g.tenant.slug


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        from jili.extensions import login_manager

        return login_manager.unauthorized()
    return None


def is_htmx() -> bool:
    """An htmx request that wants a fragment (boosted and history restores get the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def init_app(app: Flask) -> None:
    """Register the tenant area. Every capability's pages must have been imported
    first (they add their routes to :data:`bp`): :func:`jili.create_app` does that."""
    app.register_blueprint(bp)

    @app.before_request
    def _htmx_flag():
        g.htmx = is_htmx()

    @app.after_request
    def _vary(response):
        response.vary.add("HX-Request")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.teardown_request
    def _unbind(exc):
        bind_tenant(None)

    @app.context_processor
    def _helpers():
        return {"can": can, "Role": Role, "htmx": getattr(g, "htmx", False)}

    @app.errorhandler(TenantSuspended)
    def _suspended(e):
        return render_template(
            "error.html",
            code=403,
            title=_("This company's account is suspended"),
            message=_(
                "Access to this company on Jili is suspended. Its data is kept. "
                "Contact the company's owner or Jili support."
            ),
        ), 403

    errors.init_app(app)
