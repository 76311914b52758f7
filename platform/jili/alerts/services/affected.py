"""Who a change concerns, for re-evaluating alerts right after it: the people
whose targets or actuals changed, the members of a team whose target changed,
and — since a manager's figures roll up their teams — the managers above them
(a person's ``manager``, and the managers of their team and every team above it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from jili.extensions import db
from jili.org.models import Level, Person, Team
from jili.org.visibility import team_subtree


def affected_people(
    tenant_id: int, person_ids: Iterable[int] = (), team_ids: Iterable[int] = ()
) -> set[int]:
    """The people to re-evaluate after a change to ``person_ids``' or ``team_ids``' figures."""
    people = db.session.execute(
        select(Person.id, Person.team_id, Person.manager_id, Person.level).where(
            Person.tenant_id == tenant_id
        )
    ).all()
    parent_of = dict(
        db.session.execute(select(Team.id, Team.parent_id).where(Team.tenant_id == tenant_id)).all()
    )
    ids = set(person_ids)
    for team_id in team_ids:
        below = set(team_subtree(tenant_id, team_id))
        ids |= {p.id for p in people if p.team_id in below}
    by_id = {p.id: p for p in people}
    leaders: dict[int, set[int]] = {}
    for p in people:
        if p.level == Level.MANAGER and p.team_id is not None:
            leaders.setdefault(p.team_id, set()).add(p.id)
    out = set()
    for pid in ids:
        row = by_id.get(pid)
        if row is None:
            continue
        out.add(pid)
        if row.manager_id in by_id:
            out.add(row.manager_id)
        team, seen = row.team_id, set()
        while team is not None and team not in seen:
            seen.add(team)
            out |= leaders.get(team, set())
            team = parent_of.get(team)
    for team_id in team_ids:  # a team's own target: its leaders and those above
        team, seen = team_id, set()
        while team is not None and team not in seen:
            seen.add(team)
            out |= leaders.get(team, set())
            team = parent_of.get(team)
    return out
