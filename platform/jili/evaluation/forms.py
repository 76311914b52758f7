"""Forms of the evaluation pages. Numbers are read by jili.money.parse_decimal in
the services' callers, so a wrong number names the field and the reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from jili.evaluation.models import KpiCategory, KpiSource

CODE = Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only."))
METRIC = Regexp(r"^\S(.*\S)?$", message=_l("No spaces at the start or end."))
CATEGORY_LABELS = {"result": _l("Result"), "process": _l("Process")}
SOURCE_LABELS = {
    "transactions": _l("From transactions (credited revenue)"),
    "targets": _l("From the published target and its actual"),
    "entered": _l("Entered by hand"),
}
DIRECTION_LABELS = {"1": _l("Higher is better"), "0": _l("Lower is better")}


class KpiForm(FlaskForm):
    code = StringField(
        _l("Metric name"),
        description=_l("The name its values carry in KPI value files, e.g. 销售额."),
        validators=[DataRequired(), Length(max=80), METRIC],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    category = SelectField(
        _l("Category"), choices=[(c.value, CATEGORY_LABELS[c.value]) for c in KpiCategory]
    )
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    direction = SelectField(_l("Direction"), choices=list(DIRECTION_LABELS.items()))
    formula = TextAreaField(_l("Formula"), validators=[Optional(), Length(max=500)])
    source = SelectField(
        _l("Data source"), choices=[(s.value, SOURCE_LABELS[s.value]) for s in KpiSource]
    )
    default_target = StringField(_l("Default target"), validators=[Optional(), Length(max=40)])
    cap = StringField(_l("Score cap"), default="100", validators=[DataRequired(), Length(max=20)])


class LevelForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class SetForm(FlaskForm):
    """The set's name; the KPI rows (weight_<id>, target_<id>) are read by hand."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])


class CopyForm(FlaskForm):
    tenant_id = SelectField(_l("Client company"), choices=[], coerce=int)


class AdjustForm(FlaskForm):
    rating = SelectField(_l("Rating"), choices=[])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class PersonLevelForm(FlaskForm):
    employee_no = StringField(_l("Employee number"), validators=[DataRequired(), Length(max=40)])
