"""The letter pages' forms: the template editor, issuing a period's letters,
acknowledging one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from jili.letters.services import clean_template


class TemplateForm(FlaskForm):
    title = StringField(_l("Title"))
    opening = TextAreaField(_l("Opening paragraph"))
    support = TextAreaField(
        _l("Support resources"), description=_l("What the company provides to help.")
    )
    authority = TextAreaField(
        _l("Authority limits"),
        description=_l('One per line, e.g. "Deals over 100,000 need your manager\'s approval."'),
    )
    closing = TextAreaField(_l("Closing paragraph"))
    acknowledge_days = StringField(
        _l("Acknowledge within (days)"),
        description=_l("Working days after the letter is issued."),
    )

    def clean(self) -> dict | None:
        """The values checked, with each field's error set; None when any is wrong."""
        raw = {name: self[name].data for name in self.data if name != "csrf_token"}
        values, errors = clean_template(raw)
        for name, message in errors.items():
            self[name].errors = [*getattr(self[name], "errors", []), message]
        return None if errors else values


class IssueForm(FlaskForm):
    period_id = SelectField(_l("Period"), coerce=int, choices=[])


class AcknowledgeForm(FlaskForm):
    pass
