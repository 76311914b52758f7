"""Forms for teams and people."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from jili.money import MONEY_LIMIT, NumberError, parse_decimal


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=[("region", _l("Region")), ("group", _l("Group"))])
    parent_id = SelectField(_l("Parent team"), coerce=int, choices=[])


class PersonForm(FlaskForm):
    employee_no = StringField(_l("Employee number"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(
        _l("Level"),
        choices=[("newcomer", _l("Newcomer")), ("core", _l("Core")), ("manager", _l("Manager"))],
        default="core",
    )
    hire_date = DateField(_l("Hire date"), validators=[Optional()])
    team_id = SelectField(_l("Team"), coerce=int, choices=[])
    manager_id = SelectField(_l("Manager"), coerce=int, choices=[])
    mentor_id = SelectField(_l("Mentor"), coerce=int, choices=[])
    base_salary = StringField(_l("Monthly base salary"), default="0")

    def validate_base_salary(self, field):
        try:
            parse_decimal(field.data or "0", places=2, limit=MONEY_LIMIT, minimum=Decimal(0))
        except NumberError as exc:
            if exc.reason == "number":
                raise ValidationError(_l("Enter an amount such as 8000 or 8000.50.")) from exc
            if exc.reason == "small":
                raise ValidationError(_l("The salary cannot be negative.")) from exc
            if exc.reason == "places":
                raise ValidationError(_l("At most two decimal places.")) from exc
            raise ValidationError(str(exc)) from exc
