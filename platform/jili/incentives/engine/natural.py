"""A run's inputs spelled with natural keys — employee numbers, team names,
plan names and version numbers, period labels — instead of database ids, for
the fingerprint: equal inputs give an equal fingerprint across
``jili tenant export`` → ``import`` and across databases (docs/CLI.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine.versions import PlanEntry
from jili.org.models import Person, Team
from jili.plan_as_code.schema import id_field_refers_to, ordered
from jili.schemes import OneOffAward, PeriodFacts, PersonFacts, TeamFacts, get_registry


@dataclass(frozen=True)
class NaturalKeys:
    """person id → employee number, team id → team name, for one tenant."""

    person: dict[int, str]
    team: dict[int, str]

    @classmethod
    def of_tenant(cls, tenant_id: int) -> NaturalKeys:
        people = db.session.execute(
            select(Person.id, Person.employee_no).where(Person.tenant_id == tenant_id)
        ).all()
        teams = db.session.execute(
            select(Team.id, Team.name).where(Team.tenant_id == tenant_id)
        ).all()
        return cls(dict(people), dict(teams))

    def person_no(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        return self.person.get(person_id, f"#{person_id}")

    def team_name(self, team_id: int | None) -> str | None:
        if team_id is None:
            return None
        return self.team.get(team_id, f"#{team_id}")

    def people(self, ids: Iterable[int]) -> list[str]:
        return sorted(self.person_no(i) for i in ids)

    def teams(self, ids: Iterable[int]) -> list[str]:
        return sorted(self.team_name(i) for i in ids)


_PERSON_IDS = {"person_id", "mentor_id"}


def canonical(value: Any) -> Any:
    """Decimals without their trailing zeros (a database may return 87.5 as
    87.5000), inside tuples and dataclasses too."""
    kind = type(value)
    if kind is Decimal:
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if kind in _AS_IS:  # the common plain values, answered without isinstance
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, tuple):
        return tuple([canonical(v) for v in value])
    if hasattr(value, "__dataclass_fields__"):
        return _dataclass_row(value)
    return value


def _dataclass_row(value: Any) -> tuple:
    """:func:`canonical` of a dataclass: its fields in order, each canonical
    (Decimals and plain values answered here, without a call per field)."""
    out = []
    for name in _field_names(value):
        field_value = getattr(value, name)
        kind = type(field_value)
        if kind is Decimal and field_value.is_finite():
            out.append(format(field_value.normalize(), "f"))
        elif kind in _AS_IS:
            out.append(field_value)
        else:
            out.append(canonical(field_value))
    return tuple(out)


_AS_IS = frozenset({str, int, bool, float, type(None), date})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(value: Any) -> tuple[str, ...]:
    """A dataclass's field names in order (``dataclasses.fields``, looked up once
    per class: it runs for every person and sales slice of a fingerprint)."""
    cls = value if isinstance(value, type) else type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def person_row(person: PersonFacts, keys: NaturalKeys) -> tuple:
    """A person's facts with ids replaced by natural keys."""
    out: list[Any] = []
    for name in _field_names(person):
        value = getattr(person, name)
        if name == "rating" and value is None:
            continue  # no plan reads ratings: the row (and old fingerprints) as before
        if name in _PERSON_IDS:
            value = keys.person_no(value)
        elif name == "team_id":
            value = keys.team_name(value)
        out.append(canonical(value))
    return tuple(out)


def team_row(team: TeamFacts, keys: NaturalKeys) -> tuple:
    """A team's facts with ids replaced by natural keys."""
    out: list[Any] = []
    for f in fields(team):
        value = getattr(team, f.name)
        if f.name == "team_id":
            value = keys.team_name(value)
        elif f.name == "member_ids":
            value = tuple(keys.people(value))
        out.append(canonical(value))
    return tuple(out)


def award_row(award: OneOffAward, keys: NaturalKeys) -> tuple:
    return (
        keys.person_no(award.person_id),
        award.kind,
        canonical(award.amount),
        award.reason,
        award.approved_by,
    )


def plan_row(entry: PlanEntry, keys: NaturalKeys) -> dict[str, Any]:
    """A plan in force: its name, scheme, version number, status, and the
    version's settings and eligibility with people and teams by natural key."""
    version = entry.version
    return {
        "plan": entry.plan.name,
        "scheme": entry.plan.scheme_key,
        "priority": entry.plan.priority,
        "status": entry.status,
        "version": version.number if version else None,
        "settings": settings_row(entry.plan.scheme_key, version.settings, keys)
        if version
        else None,
        "eligibility": eligibility_row(version.eligibility, keys) if version else None,
    }


def settings_row(scheme_key: str, settings: dict | None, keys: NaturalKeys) -> dict:
    scheme = get_registry().get(scheme_key)
    declared = scheme.settings_fields if scheme is not None else ()

    def ids(field, value):
        if id_field_refers_to(field) == "team":
            return keys.teams(value)
        return keys.people(value)

    return ordered(declared, settings or {}, out=lambda v: v, ids=ids)


def eligibility_row(eligibility: dict | None, keys: NaturalKeys) -> dict:
    eligibility = eligibility or {}
    return {
        "teams": keys.teams(eligibility.get("team_ids") or []),
        "levels": sorted(eligibility.get("levels") or []),
        "people": keys.people(eligibility.get("person_ids") or []),
    }


def people_texts(facts: PeriodFacts, keys: NaturalKeys) -> list[str]:
    """Each person's row as text (values, dates and Decimals spelled out by
    ``repr``, deterministic and cheap for ten thousand rows), sorted."""
    return sorted(repr(person_row(p, keys)) for p in facts.people.values())


def team_texts(facts: PeriodFacts, keys: NaturalKeys) -> list[str]:
    return sorted(repr(team_row(t, keys)) for t in facts.teams.values())
