"""The forms of the input pages: a period's profit and a one-off award."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from jili.inputs.services.common import money_places, parse_money


class ProfitForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])
    amount = StringField(
        _l("Profit"),
        validators=[DataRequired()],
        description=_l("A loss is a negative amount, e.g. -250000."),
    )
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def validate_amount(self, field):
        try:
            parse_money(field.data or "", money_places(g.tenant))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class AwardForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])
    person_id = SelectField(_l("Person"), coerce=int, choices=[])
    kind = SelectField(
        _l("Kind"),
        choices=[],
        validators=[DataRequired()],
        description=_l("The awards the special-awards plan allows."),
    )
    amount = StringField(_l("Amount"), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason for the award.")), Length(max=500)],
        description=_l("Shown with the award, e.g. the client and contract signed."),
    )

    def validate_amount(self, field):
        try:
            parse_money(field.data or "", money_places(g.tenant), negative=False)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(_l("Give the reason for the award."))
