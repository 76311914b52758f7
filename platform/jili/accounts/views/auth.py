"""Sign-up, login/logout, account, invitations — the routes outside any tenant."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from jili.accounts.forms import (
    AcceptInvitationForm,
    AccountForm,
    LoginForm,
    PasswordForm,
)
from jili.accounts.models import Invitation, Membership, Tenant, User
from jili.accounts.passwords import hash_password, password_problem, verify_password
from jili.accounts.services import (
    end_session,
    enforce_session_limits,
    start_session,
    token_hash,
    user_tenants,
)
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db, limiter, login_manager
from jili.home.services import clients
from jili.home.services.links import link_on_accept
from jili.tenancy import all_tenants, bound_tenant

bp = Blueprint("auth", __name__)
log = logging.getLogger("jili.auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("accounts/welcome.html")
    tenants = user_tenants(current_user)
    if clients.advises(tenants):  # a consultant's home: every client company on one page
        return render_template(
            "accounts/switcher.html", tenants=tenants, clients=clients.client_rows(tenants)
        )
    if len(tenants) == 1 and not request.args.get("all"):
        return redirect(url_for("tenant.home", slug=tenants[0][0].slug))
    return render_template("accounts/switcher.html", tenants=tenants)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if verify_password(user.password_hash if user else None, form.password.data):
            if not user.active:
                error = _("This account has been disabled. Ask your administrator.")
            else:
                start_session(user)
                log.info("login user=%s", user.id)
                target = request.args.get("next", "")
                if target.startswith("/") and not target.startswith("//"):
                    return redirect(target)
                return redirect(url_for("auth.home"))
        else:
            error = _("E-mail or password is wrong.")
    return render_template("accounts/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    end_session(user)
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = AccountForm(prefix="acct", obj=user)
    pw_form = PasswordForm(prefix="pw")
    if request.method == "GET":
        form.language.data = user.locale or session.get("locale") or "zh_Hans"
    if "acct-name" in request.form and form.validate_on_submit():
        user.name = form.name.data.strip()
        user.locale = form.language.data
        session["locale"] = user.locale
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    if "pw-new_password" in request.form and pw_form.validate_on_submit():
        if not verify_password(user.password_hash, pw_form.current_password.data):
            pw_form.current_password.errors.append(_("The current password is wrong."))
        elif problem := password_problem(
            pw_form.new_password.data, email=user.email, name=user.name
        ):
            pw_form.new_password.errors.append(problem)
        else:
            user.password_hash = hash_password(pw_form.new_password.data)
            user.rotate_sessions()  # every other session of this user ends
            db.session.commit()
            start_session(user)
            flash(_("Password changed. Your other sessions have been signed out."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/account.html", form=form, pw_form=pw_form), status


# --- invitations -----------------------------------------------------------------


def _find_invitation(token: str) -> Invitation:
    with all_tenants():
        inv = db.session.scalar(
            select(Invitation)
            .where(Invitation.token_hash == token_hash(token))
            .execution_options(all_tenants=True)
        )
    if inv is None:
        abort(404)
    return inv


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    inv = _find_invitation(token)
    tenant = db.session.get(Tenant, inv.tenant_id)
    if inv.status != "pending":
        return render_template("accounts/invitation_gone.html", invitation=inv, tenant=tenant), 410
    existing = db.session.scalar(select(User).where(func.lower(User.email) == inv.email))
    form = AcceptInvitationForm()
    if current_user.is_authenticated and current_user.email != inv.email:
        return render_template(
            "accounts/invitation.html", invitation=inv, tenant=tenant, mismatch=True, form=None
        ), 403
    if request.method == "POST":
        with bound_tenant(inv.tenant_id):
            if current_user.is_authenticated:
                user = current_user._get_current_object()
            elif existing is not None:
                return redirect(url_for("auth.login", next=request.path))
            else:
                if not form.validate_on_submit():
                    return render_template(
                        "accounts/invitation.html", invitation=inv, tenant=tenant, form=form
                    ), 422
                problem = password_problem(form.password.data, email=inv.email, name=form.name.data)
                if problem:
                    form.password.errors.append(problem)
                    return render_template(
                        "accounts/invitation.html", invitation=inv, tenant=tenant, form=form
                    ), 422
                user = User(
                    email=inv.email,
                    name=form.name.data.strip(),
                    password_hash=hash_password(form.password.data),
                )
                db.session.add(user)
                db.session.flush()
            membership = db.session.scalar(
                select(Membership).where(
                    Membership.tenant_id == inv.tenant_id, Membership.user_id == user.id
                )
            )
            if membership is None:
                membership = Membership(tenant_id=inv.tenant_id, user_id=user.id, role=inv.role)
                db.session.add(membership)
            inv.accepted_at = utcnow()
            db.session.flush()
            link_on_accept(inv, user)
            audit.record(
                "member.join",
                membership,
                after={"email": user.email, "role": inv.role},
                actor=user,
            )
            db.session.commit()
        if not current_user.is_authenticated:
            start_session(user)
        flash(_("You have joined %(name)s.", name=tenant.name), "success")
        return redirect(url_for("tenant.home", slug=tenant.slug))
    return render_template(
        "accounts/invitation.html", invitation=inv, tenant=tenant, form=form, existing=existing
    )


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    # The browser may keep the cookie as long as the session may live at all.
    app.permanent_session_lifetime = timedelta(hours=int(app.config["SESSION_MAX_AGE_HOURS"]))
    app.before_request(enforce_session_limits)
    app.register_blueprint(bp)

    @app.errorhandler(429)
    def too_many(e):
        return render_template(
            "error.html",
            code=429,
            title=_("Too many attempts"),
            message=_("Too many attempts in a short time. Wait a minute and try again."),
        ), 429
