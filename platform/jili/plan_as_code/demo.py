"""Loading the demo tenants from tenants/*.toml.

A demo file is a tenant file (plan as code, :mod:`jili.plan_as_code.schema`) plus a
``[[demo_logins]]`` table that only this loader reads: logins with their
passwords, their role in the tenant and, optionally, the person (employee
number) they are, so "my statement" works. A tenant export never writes it.
Loading is idempotent: a tenant whose slug exists is left alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from jili.accounts.models import Membership, Role, Tenant, User
from jili.accounts.passwords import hash_password
from jili.audit import services as audit
from jili.extensions import db
from jili.org.models import Person
from jili.plan_as_code import demo_appeals, demo_cycle, demo_letters
from jili.plan_as_code.demo_alerts import add_alerts
from jili.plan_as_code.demo_current import Outcome, bring_up_to_date
from jili.plan_as_code.demo_results import add_ratings
from jili.plan_as_code.importer import import_tenant
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import bound_tenant

LOGIN_KEYS = ("email", "name", "password", "role", "person", "locale")


def read(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_file(path: Path) -> tuple[str, bool]:
    """Load one tenant file. Returns (slug, created); an existing slug is left alone."""
    data = read(path)
    slug = data["tenant"]["slug"]
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        return slug, False
    try:
        tenant = import_tenant(data, source=path.name, commit=False)
        with bound_tenant(tenant.id):
            _add_logins(tenant, path, data.get("demo_logins", []))
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return tenant.slug, True


def _add_logins(tenant: Tenant, path: Path, rows: list[dict]) -> None:
    errors = []
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(LOGIN_KEYS)
        if unknown:
            errors.append(f"{path.name}: demo_logins #{i}: unknown keys {sorted(unknown)}")
            continue
        email = row["email"].strip().lower()
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            user = User(
                email=email,
                name=row["name"],
                password_hash=hash_password(row["password"]),
                locale=row.get("locale"),
            )
            db.session.add(user)
            db.session.flush()
        db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role(row["role"])))
        if row.get("person"):
            person = db.session.scalar(
                select(Person).where(
                    Person.tenant_id == tenant.id, Person.employee_no == row["person"]
                )
            )
            if person is None:
                errors.append(f"{path.name}: demo_logins #{i}: no person {row['person']!r}")
                continue
            person.user_id = user.id
    if errors:
        raise TenantFileError(errors)
    audit.record(
        "tenant.demo_logins",
        tenant,
        tenant_id=tenant.id,
        after={"file": path.name, "logins": len(rows)},
    )


def load_dir(directory: Path) -> list[tuple[str, bool]]:
    return [load_file(p) for p in sorted(directory.glob("*.toml"))]


def tenant_today(tenant: Tenant) -> date:
    """Today in the company's time zone (UTC when the zone is unknown)."""
    try:
        return datetime.now(ZoneInfo(tenant.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now(ZoneInfo("UTC")).date()


def load_current(directory: Path, today: date | None = None) -> list[tuple[str, bool, Outcome]]:
    """Load every demo file, then bring each company up to ``today`` (its own
    today by default): current inputs, past periods calculated and published."""
    out = []
    for slug, created in load_dir(directory):
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        day = today or tenant_today(tenant)
        out.append((slug, created, bring_up_to_date(tenant, day)))
        add_alerts(tenant, day)
        demo_letters.add_letters(tenant, day)
        demo_cycle.add_cycles(tenant, day)
        demo_appeals.add_appeals(tenant, day)
        add_ratings(tenant, day)
    return out


@dataclass(frozen=True)
class DemoLogin:
    slug: str
    role: str
    email: str
    password: str
    what: str  # what this person sees on the company's home page, in one phrase


def _what(data: dict, row: dict) -> str:
    """What a demo login sees, from the file alone (no database): the home page,
    then the process pages with something in them."""
    people = {p["employee_no"]: p for p in data.get("people", [])}
    me = people.get(row.get("person", ""))
    mine = ""
    if me is not None:
        mine = (
            f"{me['name']} ({me['employee_no']}): own targets and progress this quarter and "
            "month, estimated earnings by plan, the latest statement, alerts and the bell"
        )
    role = row["role"]
    if mine and data.get("kpis"):
        mine += "; To do: the evaluation steps they owe"
    if role == "staff":
        return mine or "no linked person: nothing to show"
    if role == "manager" and me is not None:
        team = sum(1 for p in people.values() if p.get("manager") == me["employee_no"])
        return (
            f"a team of {team}: attainment ranking, by region and product line, who is under "
            "80 % / 70 %, team payout against its budget share, the team's alerts; " + mine
        )
    if role == "consultant":
        return "every client company on one page (status, open periods, last calculation, due)"
    admin = (
        "setup checklist, what is due this week, incentive cost against revenue; Targets "
        "(grid, splits, publication), alerts, working-day calendar"
    )
    if data.get("kpis"):
        admin += (
            ", KPI library, scorecards and calibration, the evaluation cycle (one final with"
            " an upheld appeal paid as a correction in the next quarter and a rejected one,"
            " one in progress), appeals and pay inquiries"
        )
    admin += (
        ", using the results (C plans, also under alerts and in To do; promotion list),"
        " the period review"
    )
    if any(v.get("approval") == "proposed" for p in data.get("plans", []) for v in p["versions"]):
        admin += ", a plan change awaiting approval"
    return f"{admin}; {mine}" if mine else admin


def logins(directory: Path) -> list[DemoLogin]:
    out = []
    for p in sorted(directory.glob("*.toml")):
        data = read(p)
        for u in data.get("demo_logins", []):
            slug = data["tenant"]["slug"]
            out.append(DemoLogin(slug, u["role"], u["email"], u["password"], _what(data, u)))
    return out
