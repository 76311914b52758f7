"""Sign-up: a company and (for a newcomer) its owner's account. Every problem is told
at once; the web address is suggested from the company name while it is typed."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from jili.accounts.forms import RESERVED_SLUGS, NewCompanyForm, SignupForm
from jili.accounts.models import Membership, Role, Tenant, User
from jili.accounts.passwords import hash_password, password_problem
from jili.accounts.services import start_session
from jili.accounts.slugs import suggest_slug
from jili.accounts.views.auth import bp
from jili.alerts.services import add_default_rules
from jili.audit import services as audit
from jili.extensions import db, limiter
from jili.tenancy import bound_tenant


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _problems(form) -> bool:
    """Add the checks the fields alone cannot make, even when a field failed already
    (so the person fixes everything in one go). True when there is any."""
    if not form.slug.errors and form.slug.data:
        if db.session.scalar(select(Tenant.id).where(Tenant.slug == form.slug.data)):
            form.slug.errors.append(_("This address is already taken; choose another."))
    if current_user.is_authenticated:
        return bool(form.errors)
    email = (form.email.data or "").strip().lower()
    if email and not form.email.errors:
        if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            form.email.errors.append(
                _("An account with this e-mail exists: log in, then create the company.")
            )
    if form.password.data and not form.password.errors:
        name = form.owner_name.data or ""
        if problem := password_problem(form.password.data, email=email, name=name):
            form.password.errors.append(problem)
    return bool(form.errors)


def _create(form) -> Tenant:
    if current_user.is_authenticated:
        user = current_user._get_current_object()
    else:
        user = User(
            email=form.email.data.strip().lower(),
            name=form.owner_name.data.strip(),
            password_hash=hash_password(form.password.data),
            locale=form.language.data,
        )
        db.session.add(user)
    tenant = Tenant(
        slug=form.slug.data,
        name=form.company_name.data.strip(),
        currency=form.currency.data,
        locale=form.language.data,
        fiscal_year_start_month=form.fiscal_year_start_month.data,
    )
    db.session.add(tenant)
    db.session.flush()
    with bound_tenant(tenant.id):
        db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role.OWNER))
        audit.record(
            "tenant.create",
            tenant,
            tenant_id=tenant.id,
            after=audit.snapshot(
                tenant, ["slug", "name", "currency", "locale", "fiscal_year_start_month"]
            ),
            actor=user,
        )
        db.session.flush()
        add_default_rules(tenant.id, actor=user)  # the seed's alert rules (issue 12)
        db.session.commit()
    if not current_user.is_authenticated:
        start_session(user)
    return tenant


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    form = NewCompanyForm() if current_user.is_authenticated else SignupForm()
    if request.method == "POST":
        if not (form.slug.data or "").strip():  # left empty: take the suggestion
            form.slug.data = suggest_slug(form.company_name.data or "", RESERVED_SLUGS)
        valid = form.validate_on_submit()
        if not _problems(form) and valid:
            tenant = _create(form)
            flash(
                _("Welcome to Jili. Your company %(name)s is ready.", name=tenant.name), "success"
            )
            return redirect(url_for("tenant.home", slug=tenant.slug))
    status = 422 if request.method == "POST" else 200
    suggested = request.form.get("slug_suggested", "")
    return render_template("accounts/signup.html", form=form, suggested=suggested), status


@bp.route("/signup/slug")
@limiter.limit("120 per minute")
def signup_slug():
    """The address field again, with a suggestion from the company name unless the
    person typed an address of their own."""
    form = NewCompanyForm(formdata=None)
    typed = (request.args.get("slug") or "").strip()
    last = request.args.get("slug_suggested") or ""
    suggested = last
    if not typed or typed == last:
        suggested = suggest_slug(request.args.get("company_name") or "", RESERVED_SLUGS)
        typed = suggested
    form.slug.data = typed
    return render_template("accounts/_slug_field.html", form=form, suggested=suggested)
