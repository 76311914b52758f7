"""Forms of the feedback channel.

The anonymous forms carry no CSRF token: a token lives in the session, and the
anonymous routes have none. They are protected instead by refusing cross-site
posts (``Sec-Fetch-Site`` / ``Origin``, see :mod:`.public`) and by rate limits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from jili.feedback.models import CATEGORY_LABELS, MAX_TEXT, Category


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _Anonymous(FlaskForm):
    class Meta:
        csrf = False

    lang = HiddenField()


class SubmitForm(_Anonymous):
    category = SelectField(
        _l("What is it about?"),
        choices=[(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[DataRequired()],
    )
    text = TextAreaField(
        _l("Your feedback"),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
        filters=[_strip],
        description=_l(
            "At most %(n)d characters. Avoid details that only you would know.", n=MAX_TEXT
        ),
    )
    nonce = HiddenField()

    def category_value(self) -> Category:
        return Category(self.category.data)


class CodeForm(_Anonymous):
    code = StringField(
        _l("Receipt code"),
        validators=[DataRequired(), Length(max=64)],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )


class ReplyForm(_Anonymous):
    code = HiddenField(validators=[DataRequired(), Length(max=64)])
    text = TextAreaField(
        _l("Your reply"), validators=[DataRequired(), Length(max=MAX_TEXT)], filters=[_strip]
    )


class AnswerForm(FlaskForm):
    text = TextAreaField(
        _l("Answer"), validators=[DataRequired(), Length(max=MAX_TEXT)], filters=[_strip]
    )


class FeedbackSettingsForm(FlaskForm):
    deadline_days = IntegerField(
        _l("Answer within (working days)"),
        validators=[DataRequired(), NumberRange(min=1, max=30)],
        description=_l("Monday to Friday count; the default is 3."),
    )
    aggregate_threshold = IntegerField(
        _l("Smallest group shown in the monthly summary"),
        validators=[DataRequired(), NumberRange(min=3, max=100)],
        description=_l(
            "Counts below this are withheld, so that a small team cannot be singled out. Default 5."
        ),
    )
    consultant_access = BooleanField(_l("Consultants may read and answer feedback"))
