"""Whose pay the logged-in member may see: one rule for every page, fragment and
export that shows money or pay inputs (statements, runs, transactions, targets,
KPI values, awards, base salaries, the simulator, the home pages).

- Roles with ``statements.all`` (owner, admin, hr, consultant) see everyone.
- A manager (``statements.team``) sees themselves, the people of their own team
  and every team under it, and the people who report to them directly.
- Everyone else (staff) sees only themselves.

A member whose login is not linked to a person sees no one but what their role
sees of everyone. Pages show a filtered view (only the visible rows, totals over
those rows, never a company total) or a 404 for a single object out of sight.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import or_, select

from jili.accounts.roles import can
from jili.extensions import db
from jili.org.models import Person, Team


def viewer_person() -> Person | None:
    """The person record linked to the logged-in user in this tenant."""
    if "viewer_person" not in g:
        g.viewer_person = db.session.scalar(
            select(Person).where(
                Person.tenant_id == g.tenant.id, Person.user_id == g.membership.user_id
            )
        )
    return g.viewer_person


def sees_everyone() -> bool:
    """Owner, admin, hr and consultant: every person's pay."""
    return can("statements.all")


def team_subtree(tenant_id: int, team_id: int | None) -> list[int]:
    """``team_id`` and every team under it (a cycle cannot loop)."""
    if team_id is None:
        return []
    children: dict[int | None, list[int]] = {}
    for tid, parent in db.session.execute(
        select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)
    ).all():
        children.setdefault(parent, []).append(tid)
    out, stack, seen = [], [team_id], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        out.append(node)
        stack.extend(children.get(node, ()))
    return sorted(out)


def visible_team_ids() -> set[int] | None:
    """Teams whose own figures (team targets, team KPI values) the viewer may see:
    a manager's team and every team under it; None = every team."""
    if "visible_team_ids" not in g:
        if sees_everyone():
            g.visible_team_ids = None
        else:
            me = viewer_person()
            if me is None or not can("statements.team"):
                g.visible_team_ids = set()
            else:
                g.visible_team_ids = set(team_subtree(g.tenant.id, me.team_id))
    return g.visible_team_ids


def visible_person_ids() -> set[int] | None:
    """Ids of the people whose pay the viewer may see; None = everyone."""
    if "visible_person_ids" not in g:
        g.visible_person_ids = _visible_person_ids()
    return g.visible_person_ids


def _visible_person_ids() -> set[int] | None:
    if sees_everyone():
        return None
    me = viewer_person()
    if me is None:
        return set()
    ids = {me.id}
    if can("statements.team"):
        condition = team_condition(me, visible_team_ids() or set())
        ids |= set(
            db.session.scalars(select(Person.id).where(Person.tenant_id == g.tenant.id, condition))
        )
    return ids


def team_condition(manager: Person, teams: set[int] | list[int] | None = None):
    """The SQL condition on :class:`Person` of a manager's people: the people of
    their own team and every team under it (``teams``, by default read with
    :func:`team_subtree`), and their direct reports. It includes the manager
    themself when they belong to their team; callers add the tenant."""
    if teams is None:
        teams = team_subtree(manager.tenant_id, manager.team_id)
    condition = Person.manager_id == manager.id
    if teams:
        condition = or_(condition, Person.team_id.in_(sorted(teams)))
    return condition


def team_people(manager: Person) -> list[Person]:
    """The people a manager sees besides themself, by employee number: the one
    rule above outside a request (the manager home, benchmarks, jobs)."""
    return list(
        db.session.scalars(
            select(Person)
            .where(
                Person.tenant_id == manager.tenant_id,
                team_condition(manager),
                Person.id != manager.id,
            )
            .order_by(Person.employee_no)
        )
    )


def may_see(person_id: int | None, visible: set[int] | None = None) -> bool:
    """Whether the viewer may see ``person_id``'s pay."""
    visible = visible_person_ids() if visible is None else visible
    return visible is None or person_id in visible


def person_condition(column):
    """A SQL condition keeping rows whose ``column`` (a person id) is visible, or
    None when the viewer sees everyone."""
    visible = visible_person_ids()
    if visible is None:
        return None
    return column.in_(sorted(visible) or [-1])
