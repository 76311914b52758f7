"""Loading tenant plan files (TOML) from tenants/: the demo tenants and their people."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from . import audit
from .extensions import db
from .models import Membership, Person, Role, Team, Tenant, User
from .models.org import Level, TeamKind
from .passwords import hash_password
from .periods import generate_year
from .tenancy import bound_tenant


def read(path: Path) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_file(path: Path) -> tuple[str, bool]:
    """Load one tenant file. Returns (slug, created); an existing slug is left alone."""
    data = read(path)
    t = data["tenant"]
    existing = db.session.scalar(select(Tenant).where(Tenant.slug == t["slug"]))
    if existing is not None:
        return t["slug"], False
    tenant = Tenant(
        slug=t["slug"],
        name=t["name"],
        currency=t.get("currency", "CNY"),
        locale=t.get("locale", "zh_Hans"),
        timezone=t.get("timezone", "Asia/Shanghai"),
        fiscal_year_start_month=t.get("fiscal_year_start_month", 1),
    )
    db.session.add(tenant)
    db.session.flush()
    with bound_tenant(tenant.id):
        users: dict[str, User] = {}
        for u in data.get("users", []):
            email = u["email"].lower()
            user = db.session.scalar(select(User).where(func.lower(User.email) == email))
            if user is None:
                user = User(
                    email=email,
                    name=u["name"],
                    password_hash=hash_password(u["password"]),
                    locale=u.get("locale"),
                )
                db.session.add(user)
                db.session.flush()
            users[email] = user
            db.session.add(Membership(tenant_id=tenant.id, user_id=user.id, role=Role(u["role"])))
        teams: dict[str, Team] = {}
        for row in data.get("teams", []):
            team = Team(
                tenant_id=tenant.id,
                name=row["name"],
                kind=TeamKind(row.get("kind", "group")),
                parent_id=teams[row["parent"]].id if row.get("parent") else None,
            )
            db.session.add(team)
            db.session.flush()
            teams[row["name"]] = team
        people: dict[str, Person] = {}
        for row in data.get("people", []):
            p = Person(
                tenant_id=tenant.id,
                employee_no=row["employee_no"],
                name=row["name"],
                level=Level(row.get("level", "core")),
                hire_date=row.get("hire_date") if isinstance(row.get("hire_date"), date) else None,
                team_id=teams[row["team"]].id if row.get("team") else None,
                base_salary=Decimal(str(row.get("base_salary", "0"))),
                user_id=users[row["login"].lower()].id if row.get("login") else None,
            )
            db.session.add(p)
            people[row["employee_no"]] = p
        db.session.flush()
        for row in data.get("people", []):
            p = people[row["employee_no"]]
            if row.get("manager"):
                p.manager_id = people[row["manager"]].id
            if row.get("mentor"):
                p.mentor_id = people[row["mentor"]].id
        for year in t.get("years", []):
            generate_year(tenant.id, year, tenant.fiscal_year_start_month)
        audit.record(
            "tenant.load",
            tenant,
            tenant_id=tenant.id,
            after={"file": path.name, "people": len(people), "teams": len(teams)},
        )
        db.session.commit()
    return tenant.slug, True


def load_dir(directory: Path) -> list[tuple[str, bool]]:
    return [load_file(p) for p in sorted(directory.glob("*.toml"))]


def logins(directory: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for p in sorted(directory.glob("*.toml")):
        data = read(p)
        for u in data.get("users", []):
            out.append((data["tenant"]["slug"], u["role"], u["email"], u["password"]))
    return out
