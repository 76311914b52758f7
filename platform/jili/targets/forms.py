"""Forms of the targets pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from jili.targets.models import ActualSource, MetricKind


class MetricForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _.")),
        ],
        description=_l("Used in files and plan as code, e.g. leads. Cannot change later."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            (MetricKind.MONEY.value, _l("Amount of money")),
            (MetricKind.COUNT.value, _l("Count")),
            (MetricKind.NUMBER.value, _l("Number")),
        ],
    )
    higher_is_better = BooleanField(_l("Higher is better"), default=True)
    source = SelectField(
        _l("Actuals"),
        choices=[
            (ActualSource.ENTERED.value, _l("Entered or imported as KPI values")),
            (ActualSource.TRANSACTIONS.value, _l("From transactions, by a rule")),
        ],
    )
    measure = SelectField(
        _l("From transactions: add up or count"),
        choices=[
            ("", "—"),
            ("amount", _l("Revenue")),
            ("collected", _l("Collected cash")),
            ("margin", _l("Margin")),
            ("deals", _l("Deals")),
            ("new_customers", _l("New customers")),
        ],
        validators=[Optional()],
    )
    product_line = StringField(
        _l("Only this product line"), validators=[Optional(), Length(max=80)]
    )
    region = StringField(_l("Only this region"), validators=[Optional(), Length(max=80)])
