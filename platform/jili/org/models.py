from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jili.extensions import db
from jili.money import Money
from jili.tenancy import TenantScoped


class Level(enum.StrEnum):
    NEWCOMER = "newcomer"
    CORE = "core"
    MANAGER = "manager"


class TeamKind(enum.StrEnum):
    REGION = "region"
    GROUP = "group"


class Team(TenantScoped, db.Model):
    """A node of the sales organisation: regions contain groups."""

    __tablename__ = "team"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "name"),
        Index("ix_team_tenant_parent", "tenant_id", "parent_id"),
        # Joins between tenant tables match on tenant_id too.
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["team.tenant_id", "team.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[TeamKind] = mapped_column(
        SAEnum(
            TeamKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=TeamKind.GROUP,
    )
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    parent: Mapped[Team | None] = relationship(
        remote_side="Team.id",
        primaryjoin="and_(Team.parent_id == remote(Team.id), Team.tenant_id == remote(Team.tenant_id))",
        foreign_keys="[Team.parent_id]",
        viewonly=True,
    )

    def path(self) -> list[Team]:
        """This team and its ancestors, root first (guards against cycles)."""
        chain, node, seen = [], self, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Person(TenantScoped, db.Model):
    """Someone on the sales organisation; may or may not have a login."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "employee_no"),
        UniqueConstraint("tenant_id", "user_id"),
        Index("ix_person_tenant_team", "tenant_id", "team_id"),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["team.tenant_id", "team.id"]),
        ForeignKeyConstraint(["tenant_id", "manager_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "mentor_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[Level] = mapped_column(
        SAEnum(Level, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Level.CORE,
    )
    hire_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    manager_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mentor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_salary: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    team: Mapped[Team | None] = relationship(
        primaryjoin="and_(Person.team_id == Team.id, Person.tenant_id == Team.tenant_id)",
        foreign_keys="[Person.team_id]",
        viewonly=True,
    )
    manager: Mapped[Person | None] = relationship(
        primaryjoin="and_(Person.manager_id == remote(Person.id), Person.tenant_id == remote(Person.tenant_id))",
        foreign_keys="[Person.manager_id]",
        viewonly=True,
    )
    mentor: Mapped[Person | None] = relationship(
        primaryjoin="and_(Person.mentor_id == remote(Person.id), Person.tenant_id == remote(Person.tenant_id))",
        foreign_keys="[Person.mentor_id]",
        viewonly=True,
    )
