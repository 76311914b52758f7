"""Loading the demo tenants from tenants/*.toml.

A demo file is a tenant file (plan as code, :mod:`jili.plan_as_code.schema`) plus a
``[[demo_logins]]`` table that only this loader reads: logins with their
passwords, their role in the tenant and, optionally, the person (employee
number) they are, so "my statement" works. A tenant export never writes it.
Loading is idempotent: a tenant whose slug exists is left alone.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import func, select

from jili.accounts.models import Membership, Role, Tenant, User
from jili.accounts.passwords import hash_password
from jili.audit import services as audit
from jili.extensions import db
from jili.org.models import Person
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


def logins(directory: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for p in sorted(directory.glob("*.toml")):
        data = read(p)
        for u in data.get("demo_logins", []):
            out.append((data["tenant"]["slug"], u["role"], u["email"], u["password"]))
    return out
