"""Importing a tenant file, first part: the tenant and its organisation —
fiscal periods, teams (with their parents, no cycles) and people (with their
team, manager and mentor). Each step reads its section through a
:class:`~jili.plan_as_code.reader.FileReader` and records every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.i18n import LANGUAGES
from jili.money import CURRENCIES
from jili.org.models import Level, Person, Team, TeamKind
from jili.periods.models import Period, PeriodKind
from jili.periods.services import generate_weeks, generate_year
from jili.plan_as_code.reader import FileReader
from jili.plan_as_code.schema import TenantFileError


def tenant_slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None


def _slug(r: FileReader, where: str, t: Mapping[str, Any]) -> Any:
    """The new tenant's slug (``--slug`` or the file's), checked: usable and free."""
    from jili.accounts.forms import RESERVED_SLUGS, SLUG_RE

    slug = r.slug or t.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        r.err(
            where,
            _(
                "The slug %(slug)s is not usable: 3–40 lower-case letters, digits or "
                "hyphens, not reserved.",
                slug=slug,
            ),
        )
    elif tenant_slug_taken(slug):
        r.err(
            where,
            _(
                "A tenant with the slug %(slug)s exists already; import under another "
                "slug (--slug).",
                slug=slug,
            ),
        )
    return slug


def make_tenant(r: FileReader) -> Tenant:
    t = r.data.get("tenant")
    if not isinstance(t, Mapping):
        raise TenantFileError([_("[tenant] is missing.")])
    where = "[tenant]"
    r.known(
        where,
        t,
        (
            "name",
            "slug",
            "currency",
            "locale",
            "timezone",
            "fiscal_year_start_month",
            "years",
            "plan_self_approval",
        ),
    )
    name = r.text(where, t, "name")
    slug = _slug(r, where, t)
    currency = t.get("currency", "CNY")
    if currency not in CURRENCIES:
        r.err(
            where,
            _(
                "Currency %(v)s is not supported (%(allowed)s).",
                v=currency,
                allowed=", ".join(CURRENCIES),
            ),
        )
    locale = t.get("locale", "zh_Hans")
    if locale not in LANGUAGES:
        r.err(
            where,
            _(
                "Language %(v)s is not supported (%(allowed)s).",
                v=locale,
                allowed=", ".join(LANGUAGES),
            ),
        )
    timezone = t.get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        r.err(where, _("Time zone %(v)s is unknown.", v=timezone))
    month = t.get("fiscal_year_start_month", 1)
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        r.err(where, _("fiscal_year_start_month must be a month number, 1 to 12."))
    years = t.get("years", [])
    if not isinstance(years, list) or not all(
        isinstance(y, int) and not isinstance(y, bool) and 1990 <= y <= 2200 for y in years
    ):
        r.err(where, _("years must be a list of fiscal years, e.g. [2024, 2025]."))
    self_approval = r.boolean(where, t, "plan_self_approval", False)
    r.stop_if_errors()
    tenant = Tenant(
        plan_self_approval=self_approval,
        slug=slug,
        name=name,
        currency=currency,
        locale=locale,
        timezone=timezone,
        fiscal_year_start_month=month,
    )
    db.session.add(tenant)
    db.session.flush()
    r.tenant = tenant
    r.years = sorted(set(years))
    return tenant


def make_periods(r: FileReader) -> None:
    tenant = r.tenant
    for year in r.years:
        generate_year(tenant.id, year, tenant.fiscal_year_start_month)
    _index_periods(r)
    spec = r.data.get("periods", {})
    if not isinstance(spec, Mapping):
        r.err("[periods]", _("Must be a table."))
        return
    r.known("[periods]", spec, ("weeks_of",))
    months = r.name_list("[periods]", spec.get("weeks_of"), "weeks_of") or []
    for label in months:
        month = r.periods.get(label.upper())
        if month is None or month.kind != PeriodKind.MONTH:
            r.err("[periods]", _("weeks_of: %(label)s is not a month.", label=label))
            continue
        generate_weeks(tenant.id, month)
    if months:
        _index_periods(r)


def _index_periods(r: FileReader) -> None:
    r.periods = {
        p.label.upper(): p
        for p in db.session.scalars(select(Period).where(Period.tenant_id == r.tenant.id))
    }


def make_teams(r: FileReader) -> None:
    parents: dict[str, tuple[str, str]] = {}
    for where, row in r.entries("teams"):
        name = r.text(where, row, "name", limit=120)
        if name is None:
            continue
        where = f"{where} ({name})"
        r.known(where, row, ("name", "kind", "parent"))
        if name in r.teams:
            r.err(where, _("Team %(name)s appears twice.", name=name))
            continue
        kind = row.get("kind", "group")
        if kind not in {k.value for k in TeamKind}:
            r.err(where, _("kind must be region or group."))
            continue
        team = Team(tenant_id=r.tenant.id, name=name, kind=TeamKind(kind))
        db.session.add(team)
        r.teams[name] = team
        if row.get("parent") is not None:
            parents[name] = (where, row["parent"])
    db.session.flush()
    for name, (where, parent_name) in parents.items():
        parent = r.team(where, parent_name)
        if parent is not None:
            r.teams[name].parent_id = parent.id
    # no team may be its own ancestor
    parent_of = {n: p for n, (_w, p) in parents.items()}
    for name in parent_of:
        seen, node = {name}, parent_of.get(name)
        while node is not None:
            if node in seen:
                r.err(
                    parents[name][0],
                    _("Team %(name)s is inside itself (a parent cycle).", name=name),
                )
                break
            seen.add(node)
            node = parent_of.get(node)
    r.counts["teams"] = len(r.teams)


def make_people(r: FileReader) -> None:
    allowed = (
        "employee_no",
        "name",
        "level",
        "team",
        "manager",
        "mentor",
        "hire_date",
        "base_salary",
    )
    links = []
    for where, row in r.entries("people"):
        no = r.text(where, row, "employee_no", limit=40)
        if no is None:
            continue
        where = f"{where} ({no})"
        r.known(where, row, allowed)
        if no in r.people:
            r.err(where, _("Employee number %(no)s appears twice.", no=no))
            continue
        name = r.text(where, row, "name", limit=120)
        level = row.get("level", "core")
        if level not in {lv.value for lv in Level}:
            r.err(where, _("level must be newcomer, core or manager."))
            level = None
        team = r.team(where, row["team"]) if row.get("team") is not None else None
        hire = r.day(where, row, "hire_date", required=False)
        salary = r.decimal(where, row, "base_salary", required=False, minimum=0, money=True)
        if name is None or level is None:
            continue
        person = Person(
            tenant_id=r.tenant.id,
            employee_no=no,
            name=name,
            level=Level(level),
            hire_date=hire,
            team_id=team.id if team else None,
            base_salary=salary if salary is not None else Decimal(0),
        )
        db.session.add(person)
        r.people[no] = person
        links.append((where, no, row))
    db.session.flush()
    for where, no, row in links:
        for key in ("manager", "mentor"):
            other_no = row.get(key)
            if other_no is None:
                continue
            if other_no == no:
                r.err(where, _("%(key)s cannot be the person themself.", key=key))
                continue
            other = r.person(where, other_no)
            if other is not None:
                setattr(r.people[no], f"{key}_id", other.id)
    r.counts["people"] = len(r.people)
