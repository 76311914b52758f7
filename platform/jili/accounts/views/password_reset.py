"""Forgotten password: ask for a link, then set a new password with it."""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from jili.accounts.forms import ForgotPasswordForm, ResetPasswordForm
from jili.accounts.password_reset import complete_reset, request_reset, valid_reset
from jili.accounts.passwords import password_problem
from jili.accounts.views.auth import bp
from jili.extensions import limiter

log = logging.getLogger("jili.auth")


def _reset_limit() -> str:
    return current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("accounts/password_forgot.html", form=None, sent=True)
    status = 422 if form.errors else 200
    return render_template("accounts/password_forgot.html", form=form, sent=False), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    reset = valid_reset(token)
    if reset is None:
        return render_template("accounts/password_reset.html", form=None), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        problem = password_problem(form.password.data, email=reset.user.email, name=reset.user.name)
        if problem:
            form.password.errors.append(problem)
        else:
            user = complete_reset(reset, form.password.data)
            log.info("password reset user=%s", user.id)
            flash(_("Your password is changed. Log in with it."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/password_reset.html", form=form), status
