"""Inside the app, ``/t/<slug>/feedback/…``: the way in for everyone, and the
inbox, summary and settings for the people who answer.

The inbox is for hr, admins and owners; consultants only when the tenant has
granted it (``FeedbackSetting.consultant_access``). Answers and status changes
are audit-logged under the staff member who made them — the author appears in
no audit entry, because submitting is not an action of any user.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from jili.accounts.models import Role
from jili.accounts.roles import can
from jili.audit import services as audit
from jili.extensions import db
from jili.feedback import service
from jili.feedback.forms import AnswerForm, FeedbackSettingsForm
from jili.feedback.models import Category, FeedbackThread, Status, new_link_key
from jili.tenancy import get_scoped_or_404
from jili.web import bp as tenant_bp
from jili.web._helpers import saved

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

CONSULTANT_GRANTABLE = {"feedback.inbox", "feedback.summary"}
SETTINGS_FIELDS = ["deadline_days", "aggregate_threshold", "consultant_access"]


def allowed(permission: str) -> bool:
    """``can()``, plus the consultant grant the tenant keeps in its feedback settings."""
    if can(permission):
        return True
    if permission in CONSULTANT_GRANTABLE and getattr(g, "role", None) == Role.CONSULTANT:
        return bool(service.settings_for(g.tenant.id).consultant_access)
    return False


def require_feedback(permission: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


@bp.context_processor
def _context():
    return {"fb_allowed": allowed}


@bp.route("/")
def home():
    if not can("tenant.view"):
        abort(403)
    setting = service.ensure_settings(g.tenant.id)
    counts = None
    if allowed("feedback.inbox"):
        counts = _counts(setting)
    public_url = url_for("feedback_public.submit", key=setting.link_key, _external=True)
    return render_template(
        "feedback/overview.html", setting=setting, public_url=public_url, counts=counts
    )


def _counts(setting) -> dict:
    tid = g.tenant.id
    today = service.today_for(g.tenant)
    open_threads = db.session.scalars(
        select(FeedbackThread).where(
            FeedbackThread.tenant_id == tid, FeedbackThread.status == Status.NEW
        )
    ).all()
    return {
        "new": len(open_threads),
        "overdue": sum(service.is_overdue(t, setting.deadline_days, today) for t in open_threads),
    }


FILTERS = {
    "open": (Status.NEW, Status.ANSWERED),
    "new": (Status.NEW,),
    "answered": (Status.ANSWERED,),
    "closed": (Status.CLOSED,),
    "all": tuple(Status),
}


@bp.route("/inbox")
@require_feedback("feedback.inbox")
def inbox():
    tid = g.tenant.id
    setting = service.settings_for(tid)
    current = request.args.get("status", "open")
    if current not in FILTERS:
        current = "open"
    # Newest day first; within a day by the random id, so the order says nothing
    # about which came first.
    threads = db.session.scalars(
        select(FeedbackThread)
        .where(FeedbackThread.tenant_id == tid, FeedbackThread.status.in_(FILTERS[current]))
        .order_by(FeedbackThread.day.desc(), FeedbackThread.id)
    ).all()
    totals = dict(
        db.session.execute(
            select(FeedbackThread.status, func.count())
            .where(FeedbackThread.tenant_id == tid)
            .group_by(FeedbackThread.status)
        ).all()
    )
    today = service.today_for(g.tenant)
    rows = [
        {
            "thread": t,
            "due": service.due_day(t, setting.deadline_days),
            "overdue": service.is_overdue(t, setting.deadline_days, today),
        }
        for t in threads
    ]
    return render_template(
        "feedback/inbox.html",
        rows=rows,
        current=current,
        totals={Status(k): v for k, v in totals.items()},
        setting=setting,
        overdue=sum(r["overdue"] for r in rows),
    )


def _thread_page(thread: FeedbackThread, form: AnswerForm | None = None, status: int = 200):
    context = _thread_context(thread)
    if form is not None:
        context["form"] = form
    return render_template("feedback/thread.html", **context), status


@bp.route("/inbox/<thread_id>")
@require_feedback("feedback.inbox")
def thread(thread_id: str):
    return _thread_page(get_scoped_or_404(FeedbackThread, thread_id, g.tenant.id))


@bp.route("/inbox/<thread_id>/answer", methods=["POST"])
@require_feedback("feedback.inbox")
def answer(thread_id: str):
    thread = get_scoped_or_404(FeedbackThread, thread_id, g.tenant.id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _thread_page(thread, form, 422)
    before = thread.status
    try:
        service.staff_answer(g.tenant, thread, form.text.data)
    except service.ThreadClosed:
        abort(409, _("This feedback is closed; it takes no more answers."))
    _audit_status("feedback.answer", thread, before)
    db.session.commit()
    flash(_("Answer sent. The author sees it with their receipt code."), "success")
    return saved(
        url_for(".thread", thread_id=thread.id), "feedback/thread.html", **_thread_context(thread)
    )


@bp.route("/inbox/<thread_id>/close", methods=["POST"])
@require_feedback("feedback.inbox")
def close(thread_id: str):
    thread = get_scoped_or_404(FeedbackThread, thread_id, g.tenant.id)
    before = thread.status
    try:
        service.close(thread)
    except service.ThreadClosed:
        abort(409, _("This feedback is already closed."))
    _audit_status("feedback.close", thread, before)
    db.session.commit()
    flash(_("Closed."), "success")
    return saved(
        url_for(".thread", thread_id=thread.id), "feedback/thread.html", **_thread_context(thread)
    )


def _audit_status(action: str, thread: FeedbackThread, before) -> None:
    """Staff actions on a thread are audited under the staff member, never the author."""
    audit.record(
        action,
        object_type="FeedbackThread",
        object_id=thread.id,
        tenant_id=g.tenant.id,
        before={"status": before},
        after={"status": thread.status},
    )


def _thread_context(thread: FeedbackThread) -> dict:
    setting = service.settings_for(g.tenant.id)
    today = service.today_for(g.tenant)
    return {
        "thread": thread,
        "messages": thread.messages,
        "form": AnswerForm(formdata=None),
        "due": service.due_day(thread, setting.deadline_days),
        "overdue": service.is_overdue(thread, setting.deadline_days, today),
    }


@bp.route("/summary")
@require_feedback("feedback.summary")
def summary():
    setting = service.settings_for(g.tenant.id)
    rows = service.monthly_summary(
        g.tenant.id, setting.aggregate_threshold, service.today_for(g.tenant)
    )
    return render_template(
        "feedback/summary.html",
        rows=rows,
        threshold=setting.aggregate_threshold,
        categories=list(Category),
    )


@bp.route("/settings", methods=["GET", "POST"])
@require_feedback("feedback.settings")
def settings():
    setting = service.ensure_settings(g.tenant.id)
    form = FeedbackSettingsForm(obj=setting)
    if form.validate_on_submit():
        before = audit.snapshot(setting, SETTINGS_FIELDS)
        form.populate_obj(setting)
        audit.record(
            "feedback.settings",
            setting,
            tenant_id=g.tenant.id,
            before=before,
            after=audit.snapshot(setting, SETTINGS_FIELDS),
        )
        db.session.commit()
        flash(_("Feedback settings saved."), "success")
        return saved(url_for(".settings"), "feedback/settings.html", form=form, setting=setting)
    status = 422 if form.errors else 200
    return render_template("feedback/settings.html", form=form, setting=setting), status


@bp.route("/settings/link", methods=["POST"])
@require_feedback("feedback.settings")
def new_link():
    setting = service.ensure_settings(g.tenant.id)
    setting.link_key = new_link_key()
    audit.record("feedback.link", setting, tenant_id=g.tenant.id, after={"link": "renewed"})
    db.session.commit()
    flash(
        _("A new public link was made; the old one no longer works. Receipt codes keep working."),
        "success",
    )
    return saved(
        url_for(".settings"),
        "feedback/settings.html",
        form=FeedbackSettingsForm(obj=setting),
        setting=setting,
    )


tenant_bp.register_blueprint(bp)
