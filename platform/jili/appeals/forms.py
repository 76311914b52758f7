"""The appeal pages' forms: raising a case, replying, deciding, the deadline setting."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from jili.appeals.models import REFERENCE_MAX, TEXT_MAX
from jili.inputs.services.common import money_places, parse_money


def _number(field, *, negative: bool):
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return parse_money(text, money_places(g.tenant), negative=negative)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class RaiseForm(FlaskForm):
    line_id = SelectField(_l("What you appeal"), coerce=int, choices=[], validate_choice=False)
    claimed = StringField(_l("The actual value you believe is right"), description=_l("e.g. 16"))
    period_id = SelectField(_l("Period of the deal"), coerce=int, choices=[], validate_choice=False)
    reference = StringField(_l("Deal number or reference"), validators=[Length(max=REFERENCE_MAX)])
    amount = StringField(
        _l("Deal amount you should have been credited"), description=_l("e.g. 120,000")
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=TEXT_MAX)],
        description=_l("What is wrong, and what you believe is right. Name the case or deal."),
    )

    def validate_claimed(self, field):
        _number(field, negative=False)

    def validate_amount(self, field):
        _number(field, negative=False)

    def claimed_value(self):
        return _number(self.claimed, negative=False)

    def amount_value(self):
        return _number(self.amount, negative=False)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=TEXT_MAX)])


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("uphold", _l("Uphold: correct it")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )
    note = TextAreaField(
        _l("Reason for the decision"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("Required: the person reads it."),
    )
    actual = StringField(
        _l("Actual value upheld"), description=_l("Empty: the value the person claimed.")
    )
    amount = StringField(
        _l("Correction amount"), description=_l("Negative when the person was overpaid.")
    )
    words = TextAreaField(
        _l("Words on the statement"),
        validators=[Length(max=TEXT_MAX)],
        description=_l("What the correction line says; empty: the reason above."),
    )

    def validate_actual(self, field):
        _number(field, negative=False)

    def validate_amount(self, field):
        _number(field, negative=True)

    def actual_value(self):
        return _number(self.actual, negative=False)

    def amount_value(self):
        return _number(self.amount, negative=True)


class SettingsForm(FlaskForm):
    answer_days = IntegerField(
        _l("Working days to answer a case"),
        validators=[Optional(), NumberRange(min=1, max=60)],
    )
