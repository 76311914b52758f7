"""Forms for periods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
)
from wtforms.validators import DataRequired, NumberRange


class GenerateYearForm(FlaskForm):
    year = IntegerField(
        _l("Fiscal year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)]
    )
