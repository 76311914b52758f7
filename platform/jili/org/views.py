"""Teams and people, and importing people from CSV/XLSX."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from jili.accounts.roles import can, require
from jili.accounts.services import send_invitation_mail
from jili.audit import services as audit
from jili.extensions import db
from jili.home.services import links
from jili.jobs.services import imports as import_jobs
from jili.money import to_decimal
from jili.org.forms import PersonForm, TeamForm
from jili.org.models import Level, Person, Team, TeamKind
from jili.org.people_import import import_people, read_rows
from jili.org.visibility import may_see
from jili.tenancy import get_scoped_or_404
from jili.web import bp
from jili.web._helpers import none_choice, saved

TEAM_FIELDS = ["name", "kind", "parent_id"]
PERSON_FIELDS = [
    "employee_no", "name", "level", "hire_date", "team_id", "manager_id", "mentor_id", "base_salary",
]  # fmt: skip


def _teams() -> list[Team]:
    return list(
        db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id).order_by(Team.name))
    )


def _team_tree(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams in hierarchy order with their depth."""
    children: dict[int | None, list[Team]] = {}
    ids = {t.id for t in teams}
    for t in teams:
        children.setdefault(t.parent_id if t.parent_id in ids else None, []).append(t)
    out: list[tuple[Team, int]] = []

    def walk(parent, depth):
        for t in children.get(parent, []):
            out.append((t, depth))
            walk(t.id, depth + 1)

    walk(None, 0)
    return out


def _people() -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.tenant_id == g.tenant.id).order_by(Person.employee_no)
        )
    )


def _require_edit() -> None:
    if not can("org.edit"):
        abort(403)


@bp.app_context_processor
def _pay_helpers():
    """``may_see_pay(person_id)`` for templates: the pay visibility rule."""
    return {"may_see_pay": may_see}


# --- teams -----------------------------------------------------------------------


def _teams_page(**extra) -> dict:
    """The teams list: each team with how many people it has."""
    members = dict(
        db.session.execute(
            select(Person.team_id, func.count(Person.id))
            .where(Person.tenant_id == g.tenant.id)
            .group_by(Person.team_id)
        ).all()
    )
    return {"tree": _team_tree(_teams()), "members": members, "blocked": None, **extra}


@bp.route("/teams")
@require("org.view")
def teams():
    return render_template("org/teams.html", **_teams_page())


def _team_form(team: Team | None) -> TeamForm:
    form = TeamForm(obj=team)
    options = [t for t in _teams() if team is None or t.id != team.id]
    form.parent_id.choices = none_choice() + [(t.id, t.name) for t in options]
    if request.method == "GET" and team is not None:
        form.parent_id.data = team.parent_id or 0
    return form


def _save_team(team: Team | None):
    _require_edit()
    form = _team_form(team)
    if form.validate_on_submit():
        name = form.name.data.strip()
        clash = db.session.scalar(
            select(Team.id).where(Team.tenant_id == g.tenant.id, Team.name == name)
        )
        parent_id = form.parent_id.data or None
        if clash is not None and (team is None or clash != team.id):
            form.name.errors.append(_("A team with this name exists already."))
        elif team is not None and parent_id and _would_cycle(team.id, parent_id):
            form.parent_id.errors.append(_("A team cannot sit under one of its own sub-teams."))
        else:
            before = audit.snapshot(team, TEAM_FIELDS) if team else None
            if team is None:
                team = Team(tenant_id=g.tenant.id)
                db.session.add(team)
            team.name, team.kind, team.parent_id = name, TeamKind(form.kind.data), parent_id
            db.session.flush()
            audit.record(
                "team.create" if before is None else "team.update",
                team,
                before=before,
                after=audit.snapshot(team, TEAM_FIELDS),
            )
            db.session.commit()
            flash(_("Team %(name)s saved.", name=team.name), "success")
            return saved(url_for("tenant.teams"), "org/teams.html", **_teams_page())
    status = 422 if request.method == "POST" else 200
    return render_template("org/team_form.html", form=form, team=team), status


def _would_cycle(team_id: int, parent_id: int) -> bool:
    parents = dict(
        db.session.execute(
            select(Team.id, Team.parent_id).where(Team.tenant_id == g.tenant.id)
        ).all()
    )
    node, seen = parent_id, set()
    while node is not None and node not in seen:
        if node == team_id:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


@bp.route("/teams/new", methods=["GET", "POST"])
@require("org.edit")
def team_new():
    return _save_team(None)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@require("org.edit")
def team_edit(team_id: int):
    return _save_team(get_scoped_or_404(Team, team_id, g.tenant.id))


@bp.route("/teams/<int:team_id>/delete", methods=["POST"])
@require("org.edit")
def team_delete(team_id: int):
    team = get_scoped_or_404(Team, team_id, g.tenant.id)
    tid = g.tenant.id
    in_use = db.session.scalar(
        select(func.count(Person.id)).where(Person.tenant_id == tid, Person.team_id == team.id)
    )
    subteams = db.session.scalar(
        select(func.count(Team.id)).where(Team.tenant_id == tid, Team.parent_id == team.id)
    )
    if in_use or subteams:  # refused, saying how many and where they are
        blocked = {"team": team, "people": in_use, "subteams": subteams}
        return render_template("org/teams.html", **_teams_page(blocked=blocked)), 409
    audit.record("team.delete", team, before=audit.snapshot(team, TEAM_FIELDS))
    db.session.execute(delete(Team).where(Team.tenant_id == tid, Team.id == team.id))
    db.session.commit()
    flash(_("Team %(name)s deleted.", name=team.name), "success")
    return saved(url_for("tenant.teams"), "org/teams.html", **_teams_page())


# --- people ----------------------------------------------------------------------


@bp.route("/people")
@require("org.view")
def people():
    q = (request.args.get("q") or "").strip()
    stmt = select(Person).where(Person.tenant_id == g.tenant.id)
    team = None
    if (team_arg := request.args.get("team") or "").isdigit():
        team = get_scoped_or_404(Team, int(team_arg), g.tenant.id)
        stmt = stmt.where(Person.team_id == team.id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Person.name.ilike(like) | Person.employee_no.ilike(like))
    rows = list(db.session.scalars(stmt.order_by(Person.employee_no)))
    return render_template("org/people.html", people=rows, q=q, team=team)


def _person_form(person: Person | None) -> PersonForm:
    form = PersonForm(obj=person)
    form.team_id.choices = none_choice() + [(t.id, t.name) for t in _teams()]
    others = [p for p in _people() if person is None or p.id != person.id]
    choices = none_choice() + [(p.id, f"{p.name} ({p.employee_no})") for p in others]
    form.manager_id.choices = choices
    form.mentor_id.choices = choices
    if request.method == "GET" and person is not None:
        form.team_id.data = person.team_id or 0
        form.manager_id.data = person.manager_id or 0
        form.mentor_id.data = person.mentor_id or 0
        form.level.data = person.level.value
        form.base_salary.data = str(person.base_salary)
    return form


def _save_person(person: Person | None):
    _require_edit()
    form = _person_form(person)
    if form.validate_on_submit():
        emp = form.employee_no.data.strip()
        clash = db.session.scalar(
            select(Person.id).where(Person.tenant_id == g.tenant.id, Person.employee_no == emp)
        )
        if clash is not None and (person is None or clash != person.id):
            form.employee_no.errors.append(_("Employee number %(v)s is already used.", v=emp))
        else:
            before = audit.snapshot(person, PERSON_FIELDS) if person else None
            if person is None:
                person = Person(tenant_id=g.tenant.id)
                db.session.add(person)
            person.employee_no = emp
            person.name = form.name.data.strip()
            person.level = Level(form.level.data)
            person.hire_date = form.hire_date.data
            person.team_id = form.team_id.data or None
            person.manager_id = form.manager_id.data or None
            person.mentor_id = form.mentor_id.data or None
            person.base_salary = to_decimal(form.base_salary.data or "0").quantize(Decimal("0.01"))
            db.session.flush()
            audit.record(
                "person.create" if before is None else "person.update",
                person,
                before=before,
                after=audit.snapshot(person, PERSON_FIELDS),
            )
            db.session.commit()
            flash(_("%(name)s saved.", name=person.name), "success")
            return saved(url_for("tenant.people"), "org/people.html", people=_people(), q="")
    status = 422 if request.method == "POST" else 200
    return render_template("org/person_form.html", form=form, person=person), status


@bp.route("/people/new", methods=["GET", "POST"])
@require("org.edit")
def person_new():
    return _save_person(None)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@require("org.edit")
def person_edit(person_id: int):
    return _save_person(get_scoped_or_404(Person, person_id, g.tenant.id))


@bp.route("/people/import", methods=["GET", "POST"])
@require("org.edit")
def people_import():
    errors, invite = [], request.form.get("invite") == "1"
    if request.method == "POST":
        upload = request.files.get("file")
        if invite and not can("members.edit"):
            errors = [_error(_("Only an owner or admin can send invitations."))]
        elif upload is None or not upload.filename:
            errors = [_error(_("Choose a file to upload."))]
        elif not invite and import_jobs.is_large(upload):
            # a large file: a background job, its progress on the job's page
            # (invitations are sent from a request, so a file asking for them stays here)
            return import_jobs.start_import("people", upload)
        else:
            try:
                rows = read_rows(upload.filename, upload.read())
            except ValueError as exc:
                errors = [_error(str(exc))]
            else:
                result = import_people(g.tenant.id, rows)
                errors = [e.__dict__ for e in result.errors]
                if not errors:
                    return _imported(upload.filename, result, invite)
                db.session.rollback()
    status = 422 if errors else 200
    return render_template(
        "org/people_import.html", errors=errors, invite=invite, may_invite=can("members.edit")
    ), status


def _error(message: str, row="", column="") -> dict:
    return {"row": row, "column": column, "message": message}


def _imported(filename: str, result, invite: bool):
    """The rows are written (not committed): invite if asked, then commit all or nothing."""
    batch = None
    if invite:
        if not result.email_column:
            db.session.rollback()
            return _refused([_error(_("To send invitations, add an e-mail column to the file."))])
        batch = links.invite_people(result.emails, g.membership.user_id)
        if batch.errors:
            db.session.rollback()
            return _refused([_error(m, r, result.email_column) for r, m in batch.errors])
    audit.record(
        "people.import",
        tenant_id=g.tenant.id,
        object_type="Person",
        after={"file": filename, "created": result.created, "updated": result.updated},
    )
    db.session.commit()
    flash(_("Imported: %(c)d new, %(u)d updated.", c=result.created, u=result.updated), "success")
    if batch is None:
        return saved(url_for("tenant.people"), "org/people.html", people=_people(), q="")
    unsent = []
    for person, inv, token in batch.made:
        link = url_for("auth.accept_invitation", token=token, _external=True)
        if not send_invitation_mail(inv, link):
            unsent.append((person, inv, link))
    return render_template("org/people_invited.html", batch=batch, unsent=unsent)


def _refused(errors: list[dict]):
    return render_template(
        "org/people_import.html", errors=errors, invite=True, may_invite=True
    ), 422
