"""The adjustment pages' forms: asking, reviewing, deciding, the tenant's rule."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from jili.adjustments.models import REASON_MAX
from jili.inputs.services.common import money_places, parse_money


class RequestForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])
    person_id = SelectField(_l("Person"), coerce=int, choices=[])
    team_id = SelectField(
        _l("Or a team's own target"),
        coerce=int,
        choices=[],
        default=0,
        description=_l("Choose a team to change its own target instead of a person's."),
    )
    metric = SelectField(_l("Target"), choices=[])
    new_value = StringField(
        _l("New target value"), validators=[DataRequired()], description=_l("e.g. 2,300,000")
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])

    def validate_new_value(self, field):
        try:
            parse_money(field.data or "", money_places(g.tenant), negative=False)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def value(self):
        return parse_money(self.new_value.data, money_places(g.tenant), negative=False)


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("pass", _l("Data checked: pass on for approval")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=REASON_MAX)],
        description=_l("Required when you reject: the requester reads it."),
    )


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("approve", _l("Approve: change the target")), ("reject", _l("Reject"))],
        validators=[DataRequired()],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=REASON_MAX)],
        description=_l("Required when you reject: the requester reads it."),
    )


class RuleForm(FlaskForm):
    limit_pct = StringField(
        _l("Change allowed without a director (± %)"),
        validators=[DataRequired()],
        description=_l("A request moving a target further than this goes to a director."),
    )

    def value(self):
        return parse_money(self.limit_pct.data or "", 2, negative=False)
