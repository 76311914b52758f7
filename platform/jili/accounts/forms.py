"""WTForms (via Flask-WTF, so every form carries a CSRF token)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError

from jili.i18n import LANGUAGES
from jili.money import CURRENCIES

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
RESERVED_SLUGS = {
    "admin", "api", "app", "static", "login", "logout", "signup", "t", "www", "operator",
    "account", "invite", "language", "feedback", "help", "support", "jili", "system",
    "root", "public", "assets", "health", "status",
}  # fmt: skip
MONTHS = [(m, str(m)) for m in range(1, 13)]


def currency_choices():
    return [(c, c) for c in CURRENCIES]


def language_choices():
    return list(LANGUAGES.items())


class CompanyFieldsMixin:
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address (URL slug)"),
        validators=[DataRequired(), Length(min=3, max=40)],
        description=_l("Lower-case letters, digits and hyphens, e.g. acme-sales"),
    )
    currency = SelectField(_l("Currency"), choices=currency_choices(), default="CNY")
    language = SelectField(_l("Language"), choices=language_choices(), default="zh_Hans")
    fiscal_year_start_month = SelectField(
        _l("Fiscal year starts in month"), choices=MONTHS, coerce=int, default=1
    )

    def validate_slug(self, field):
        value = (field.data or "").strip().lower()
        field.data = value
        if value in RESERVED_SLUGS:
            raise ValidationError(_l("This address is reserved; choose another."))
        if not SLUG_RE.match(value):
            raise ValidationError(
                _l(
                    "Use 3–40 lower-case letters, digits or hyphens, not starting or ending with a hyphen."
                )
            )


class SignupForm(CompanyFieldsMixin, FlaskForm):
    owner_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Type a valid e-mail address.")),
            Length(max=254),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class NewCompanyForm(CompanyFieldsMixin, FlaskForm):
    """Sign-up for someone already logged in: only the company."""


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Email(message=_l("Type a valid e-mail address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class AccountForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=language_choices())


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SettingsForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    currency = SelectField(_l("Currency"), choices=currency_choices())
    locale = SelectField(_l("Default language"), choices=language_choices())
    timezone = StringField(_l("Time zone"), validators=[DataRequired(), Length(max=64)])
    fiscal_year_start_month = SelectField(
        _l("Fiscal year starts in month"), choices=MONTHS, coerce=int
    )

    def validate_timezone(self, field):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(field.data.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(_l("Unknown time zone, e.g. Asia/Shanghai.")) from exc


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Type a valid e-mail address.")),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Role"), choices=[])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
