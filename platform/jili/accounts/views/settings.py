"""Company settings (the home page: :mod:`jili.home.views.pages`; schemes:
:mod:`jili.incentives.views.schemes`; plans: :mod:`jili.incentives.views.plans`)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from jili.accounts.forms import SettingsForm
from jili.accounts.roles import require
from jili.audit import services as audit
from jili.extensions import db
from jili.web import bp

SETTINGS_FIELDS = ["name", "currency", "locale", "timezone", "fiscal_year_start_month"]


@bp.route("/settings", methods=["GET", "POST"])
@require("config.view")
def settings():
    tenant = g.tenant
    form = SettingsForm(obj=tenant)
    if request.method == "POST":
        from jili.accounts.roles import can

        if not can("settings.edit"):
            from flask import abort

            abort(403)
        if form.validate_on_submit():
            before = audit.snapshot(tenant, SETTINGS_FIELDS)
            form.timezone.data = form.timezone.data.strip()
            form.populate_obj(tenant)
            audit.record(
                "settings.update",
                tenant,
                tenant_id=tenant.id,
                before=before,
                after=audit.snapshot(tenant, SETTINGS_FIELDS),
            )
            db.session.commit()
            flash(_("Settings saved."), "success")
            if not g.htmx:
                return redirect(url_for("tenant.settings"))
    status = 422 if form.errors else 200
    return render_template("accounts/settings.html", form=form), status
