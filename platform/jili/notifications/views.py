"""The member's notifications: the bell in the header, the list, e-mail on or off."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from jili.accounts.roles import can, require
from jili.extensions import db
from jili.notifications import services
from jili.notifications.models import Notification
from jili.web import bp
from jili.web._helpers import saved


@bp.app_context_processor
def _bell():
    def unread() -> int:
        tenant = getattr(g, "tenant", None)
        if tenant is None or not current_user.is_authenticated or not can("tenant.view"):
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = services.unread_count(tenant.id, current_user.id)
        return g.unread_notifications

    return {"unread_notifications": unread}


def _page() -> dict:
    return {
        "notes": services.latest(g.tenant.id, current_user.id),
        "render": services.render,
        "email_on": services.email_wanted(g.tenant.id, current_user.id),
        "mail_configured": bool(current_app.config.get("SMTP_HOST")),
    }


@bp.route("/notifications")
@require("tenant.view")
def notifications():
    return render_template("notifications/list.html", **_page())


@bp.route("/notifications/<int:note_id>/open", methods=["POST"])
@require("tenant.view")
def notification_open(note_id: int):
    note = db.session.scalar(
        select(Notification).where(
            Notification.tenant_id == g.tenant.id,
            Notification.id == note_id,
            Notification.user_id == current_user.id,
        )
    )
    if note is None:
        abort(404)
    services.mark_read(g.tenant.id, current_user.id, note.id)
    db.session.commit()
    target = note.link if note.link and note.link.startswith(f"/t/{g.tenant.slug}/") else None
    return redirect(target or url_for("tenant.notifications"))


@bp.route("/notifications/read", methods=["POST"])
@require("tenant.view")
def notifications_read_all():
    n = services.mark_read(g.tenant.id, current_user.id)
    db.session.commit()
    flash(_("%(n)d notifications marked read.", n=n), "success")
    return saved(url_for("tenant.notifications"), "notifications/list.html", **_page())


@bp.route("/notifications/email", methods=["POST"])
@require("tenant.view")
def notifications_email():
    wanted = request.form.get("email") == "on"
    services.set_email_wanted(g.tenant.id, current_user.id, wanted)
    db.session.commit()
    flash(
        _("You will get these notifications by e-mail too.")
        if wanted
        else _("You will not get these notifications by e-mail."),
        "success",
    )
    return saved(url_for("tenant.notifications"), "notifications/list.html", **_page())
