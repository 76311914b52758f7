"""Forms of the home capability: inviting a person, linking a member."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class PersonInviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Type a valid e-mail address.")),
            Length(max=254),
        ],
    )
    role = SelectField(_l("Role"), choices=[])


class LinkMemberForm(FlaskForm):
    user_id = SelectField(_l("Member"), choices=[], coerce=int)


class MemberPersonForm(FlaskForm):
    """A member's person by employee number; empty unlinks."""

    employee_no = StringField(_l("Employee number"), validators=[Optional(), Length(max=40)])
