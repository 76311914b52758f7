"""The anonymous channel: ``/f/<link key>/`` — no login, no session, no identity.

Nothing here reads who the visitor is. :mod:`.privacy` has already made sure the
session cookie is not opened and Flask-Login sees an anonymous visitor; the
views below use only the tenant (from the link), the form, and — for rate
limiting only, never stored — a salted hash of the client address.
"""

from __future__ import annotations

import secrets
from functools import wraps

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import csrf, db
from jili.feedback import ratelimit, service
from jili.feedback.forms import CodeForm, ReplyForm, SubmitForm
from jili.feedback.models import FeedbackSetting
from jili.i18n import LANGUAGES, match_accept_language
from jili.tenancy import all_tenants, bind_tenant

bp = Blueprint("feedback_public", __name__, url_prefix="/f/<key>")
csrf.exempt(bp)

MAX_BODY = 64 * 1024


@bp.url_value_preprocessor
def _resolve(endpoint, values) -> None:
    # Before anything can ask: this visitor is anonymous, whatever cookie came along.
    g._login_user = current_app.login_manager.anonymous_user()
    key = (values or {}).pop("key", None)
    g.fb_key = key
    lang = request.values.get("lang")
    g.fb_lang = lang if lang in LANGUAGES else None
    with all_tenants():
        setting = db.session.scalar(
            select(FeedbackSetting)
            .where(FeedbackSetting.link_key == key)
            .execution_options(all_tenants=True)
        )
    tenant = db.session.get(Tenant, setting.tenant_id) if setting is not None else None
    if tenant is None or tenant.is_suspended:
        abort(404)
    bind_tenant(tenant.id)
    g.fb_tenant = tenant
    g.fb_setting = setting


@bp.url_defaults
def _defaults(endpoint, values) -> None:
    if "key" not in values and getattr(g, "fb_key", None):
        values["key"] = g.fb_key
    if "lang" not in values and getattr(g, "fb_lang", None):
        values["lang"] = g.fb_lang


@bp.before_request
def _guard():
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    if request.method == "POST" and _cross_site():
        abort(403)
    return None


def _cross_site() -> bool:
    """A post from another site (there is no CSRF token without a session)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin.rstrip("/") != request.host_url.rstrip("/")
    return False


def localized(view):
    """Honour ``?lang=`` (or the form's ``lang``) without storing the choice anywhere;
    then the browser's languages; then the company's language."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        lang = g.fb_lang
        if lang is None and match_accept_language(request.accept_languages) is None:
            lang = g.fb_tenant.locale if g.fb_tenant.locale in LANGUAGES else None
        if lang:
            with force_locale(lang):
                return view(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


def _render(template: str, status: int = 200, **context):
    context.setdefault("tenant", g.fb_tenant)
    context.setdefault("lang", g.fb_lang)
    return render_template(template, **context), status


def _limited_message() -> str:
    return _(
        "Too much feedback has been sent from your network in a short time. "
        "Nothing was saved. Please wait an hour and try again."
    )


def _lookup_limited_message() -> str:
    return _(
        "Too many receipt codes were tried from your network. Please wait an hour and try again."
    )


def _wrong_code_message() -> str:
    return _(
        "This receipt code does not open any feedback here. Check the code (letters and digits, "
        "hyphens optional) and the link, then try again."
    )


@bp.route("/", methods=["GET", "POST"])
@localized
def submit():
    tenant = g.fb_tenant
    form = SubmitForm()
    if request.method == "GET":
        form.nonce.data = secrets.token_urlsafe(16)
        return _render("feedback/public_form.html", form=form)
    if not form.validate():
        return _render("feedback/public_form.html", 422, form=form)
    if not ratelimit.check("submit", tenant.id):
        return _render("feedback/public_form.html", 429, form=form, limited=_limited_message())
    once = f"{tenant.id}:{form.nonce.data}" if form.nonce.data else None
    if once and not ratelimit.limiter().first_time(once):
        return _render("feedback/public_duplicate.html", 409)
    if not ratelimit.take("submit", tenant.id):  # another worker took the last turn
        if once:
            ratelimit.limiter().forget(once)
        return _render("feedback/public_form.html", 429, form=form, limited=_limited_message())
    _thread, code = service.create_thread(tenant, form.category_value(), form.text.data)
    db.session.commit()
    return _render("feedback/public_receipt.html", code=code)


@bp.route("/receipt", methods=["GET", "POST"])
@localized
def receipt():
    form = CodeForm()
    if request.method == "GET":
        return _render("feedback/public_lookup.html", form=form)
    return _open_thread(form.code.data, form=form)


def _open_thread(code: str | None, *, form: CodeForm | None = None, reply_form=None, sent=False):
    tenant = g.fb_tenant
    form = form or CodeForm(formdata=None)
    if not ratelimit.take("lookup", tenant.id):
        return _render(
            "feedback/public_lookup.html", 429, form=form, error=_lookup_limited_message()
        )
    thread = service.find_thread(tenant.id, code)  # one argon2 verification, hit or miss
    if thread is None:
        form.code.data = ""
        return _render("feedback/public_lookup.html", form=form, error=_wrong_code_message())
    if reply_form is None:
        reply_form = ReplyForm(formdata=None)
    reply_form.code.data = code
    return _render(
        "feedback/public_thread.html",
        thread=thread,
        messages=thread.messages,
        reply_form=reply_form,
        sent=sent,
        deadline=service.due_day(thread, g.fb_setting.deadline_days),
    )


@bp.route("/reply", methods=["POST"])
@localized
def reply():
    tenant = g.fb_tenant
    form = ReplyForm()
    code = form.code.data
    if not form.validate():
        return _open_thread(code, reply_form=form)
    if not ratelimit.check("submit", tenant.id):
        return _render(
            "feedback/public_lookup.html",
            429,
            form=CodeForm(formdata=None),
            error=_limited_message(),
        )
    if not ratelimit.take("lookup", tenant.id):
        return _render(
            "feedback/public_lookup.html",
            429,
            form=CodeForm(formdata=None),
            error=_lookup_limited_message(),
        )
    thread = service.find_thread(tenant.id, code)
    if thread is None:
        return _render(
            "feedback/public_lookup.html", form=CodeForm(formdata=None), error=_wrong_code_message()
        )
    try:
        service.author_reply(tenant, thread, form.text.data)
    except service.ThreadClosed:
        return _render(
            "feedback/public_thread.html",
            409,
            thread=thread,
            messages=thread.messages,
            reply_form=None,
            closed_error=True,
            deadline=service.due_day(thread, g.fb_setting.deadline_days),
        )
    if not ratelimit.take("submit", tenant.id):  # another worker took the last turn
        db.session.rollback()
        return _render(
            "feedback/public_lookup.html",
            429,
            form=CodeForm(formdata=None),
            error=_limited_message(),
        )
    db.session.commit()
    return _render(
        "feedback/public_thread.html",
        thread=thread,
        messages=thread.messages,
        reply_form=ReplyForm(formdata=None, code=code),
        sent=True,
        deadline=service.due_day(thread, g.fb_setting.deadline_days),
    )
