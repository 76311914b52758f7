"""Forms of the home capability: linking a member to a person (inviting one uses
:class:`jili.accounts.forms.InviteForm`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional


class LinkMemberForm(FlaskForm):
    user_id = SelectField(_l("Member"), choices=[], coerce=int)


class MemberPersonForm(FlaskForm):
    """A member's person by employee number; empty unlinks."""

    employee_no = StringField(_l("Employee number"), validators=[Optional(), Length(max=40)])
