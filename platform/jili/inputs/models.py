"""The period's inputs as stored: transactions and their credits, targets,
metric values, profit and one-off awards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jili.dbtypes import UTCDateTime, utcnow
from jili.extensions import db
from jili.money import Money
from jili.tenancy import TenantScoped


class Transaction(TenantScoped, db.Model):
    """A deal (or a refund, with negative amounts) as imported.

    What counts for facts is its :class:`SalesCredit` rows: one per credited
    person, the shares adding up to 100 %.
    """

    __tablename__ = "sales_transaction"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "external_id"),
        Index("ix_sales_transaction_tenant_date", "tenant_id", "deal_date"),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80))
    deal_date: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(Integer)
    customer: Mapped[str] = mapped_column(String(200), default="")
    product_line: Mapped[str] = mapped_column(String(80), default="")
    region: Mapped[str] = mapped_column(String(80), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    collected_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    margin: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    new_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    strategic: Mapped[bool] = mapped_column(Boolean, default=False)
    # a fingerprint of the row as imported: re-importing the same row is a no-op,
    # the same external id with different content is an error
    row_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SalesCredit(TenantScoped, db.Model):
    """A person's credited share of a transaction, with the credited amounts
    already split (largest remainder, so the credits add up to the deal).

    The calculation reads them pre-summed by month from :class:`SalesFact`
    (kept equal to them in the same transaction); the days of a month a period
    cuts are one GROUP BY over the covering index ``ix_sales_credit_facts``.
    """

    __tablename__ = "sales_credit"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transaction_id", "person_id"),
        ForeignKeyConstraint(
            ["tenant_id", "transaction_id"], ["sales_transaction.tenant_id", "sales_transaction.id"]
        ),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        # covering: the period's grouped sums read the index only
        Index(
            "ix_sales_credit_facts",
            "tenant_id",
            "deal_date",
            "person_id",
            "region",
            "product_line",
            "amount",
            "collected_amount",
            "margin",
        ),
        # a person's first deal is one index seek
        Index("ix_sales_credit_person_date", "tenant_id", "person_id", "deal_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    share_bp: Mapped[int] = mapped_column(Integer)  # basis points: 10000 = 100 %
    deal_date: Mapped[date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(80), default="")
    product_line: Mapped[str] = mapped_column(String(80), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    collected_amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    margin: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))


class SalesTarget(TenantScoped, db.Model):
    """One target of a person or a team (one of the two ids is set) for a period
    and a metric: its baseline and, optionally, a challenge (stretch) value.

    ``metric`` is a metric code: a built-in (``revenue``, ``collected``,
    ``margin``, ``new_customers``, ``deals``, ``visits``) or a tenant-defined
    :class:`jili.targets.models.TargetMetric` code. Counts are stored with the
    same exact hundredths as amounts.
    """

    __tablename__ = "sales_target"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_id", "person_id", "team_id", "metric"),
        Index("ix_sales_target_tenant_period", "tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["team.tenant_id", "team.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(40))
    baseline: Mapped[Decimal] = mapped_column(Money())
    challenge: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)


class MetricValue(TenantScoped, db.Model):
    """A KPI result of a person (or a team's collaboration score) in a period."""

    __tablename__ = "metric_value"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_id", "person_id", "team_id", "metric"),
        Index("ix_metric_value_tenant_period", "tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["team.tenant_id", "team.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    team_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metric: Mapped[str] = mapped_column(String(80))
    weight: Mapped[Decimal] = mapped_column(Numeric(9, 4), default=Decimal("0"))
    actual: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    # the KPI's score cap when it is not 100 (a scorecard's KPI may allow more)
    cap: Mapped[Decimal | None] = mapped_column(Numeric(9, 4), nullable=True)


class ProfitEntry(TenantScoped, db.Model):
    """The profit finance entered for a period (usually the year)."""

    __tablename__ = "profit_entry"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(String(500), default="")
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OneOffAwardGrant(TenantScoped, db.Model):
    """An award an approver set for a person in a period, with its reason."""

    __tablename__ = "one_off_award"
    __table_args__ = (
        Index("ix_one_off_award_tenant_period", "tenant_id", "period_id"),
        ForeignKeyConstraint(["tenant_id", "period_id"], ["period.tenant_id", "period.id"]),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(String(500))
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    approved_by_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SalesFact(TenantScoped, db.Model):
    """The credited sales pre-summed by month, person, region, product line and
    new-customer flag: what the engine reads instead of every credit.

    Derived from :class:`SalesCredit` (with its transaction's new-customer flag)
    and kept equal to it inside the transaction of every write
    (:mod:`jili.inputs.services.facts`); ``jili facts verify`` compares it with
    the credits and ``jili facts rebuild`` recomputes it. ``month`` is the first
    day of the month; a period that cuts a month reads that edge from the credits.
    """

    __tablename__ = "sales_fact"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint(
            "tenant_id", "month", "person_id", "region", "product_line", "new_customer",
            name="uq_sales_fact_key",
        ),
        ForeignKeyConstraint(["tenant_id", "person_id"], ["person.tenant_id", "person.id"]),
        Index("ix_sales_fact_person_month", "tenant_id", "person_id", "month"),
    )  # fmt: skip
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(80), default="")
    product_line: Mapped[str] = mapped_column(String(80), default="")
    new_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[Decimal] = mapped_column(Money())  # booked
    collected_amount: Mapped[Decimal] = mapped_column(Money())
    margin: Mapped[Decimal] = mapped_column(Money())
    deals: Mapped[int] = mapped_column(Integer)  # credits with a positive amount
    credits: Mapped[int] = mapped_column(Integer)  # every credit, refunds included
    # the earliest day of the month with a positive credit (a first deal)
    first_deal: Mapped[date | None] = mapped_column(Date, nullable=True)


class InputsVersion(TenantScoped, db.Model):
    """A company's inputs version: a new random ``token`` (and one more in ``changes``)
    whenever a statement writes any input an estimate reads — people, teams, periods,
    transactions and credits, the facts table, targets, KPI values, profit, one-off
    awards, scorecards and rating bands.

    Kept by the database itself (triggers from :mod:`jili.dbobjects`, so raw SQL and
    bulk statements count as much as the ORM): SQLite renews it on every row written,
    PostgreSQL once per writing transaction, at its commit (:class:`InputsPending`),
    so the row is locked only for the commit's last instant. The token is random, not
    a counter, so a rolled-back write or a rebuilt database never hands out a version
    an earlier state already had. No code writes it."""

    __tablename__ = "inputs_version"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changes: Mapped[int] = mapped_column(BigInteger, default=0)
    token: Mapped[int] = mapped_column(BigInteger, default=0)


class InputsPending(TenantScoped, db.Model):
    """PostgreSQL only: a transaction that wrote a company's inputs and has not
    committed yet. Its first write inserts the row; a deferred constraint trigger
    renews :class:`InputsVersion` at commit and deletes the row, so the table is empty
    between transactions (and stays empty on SQLite). No code writes it."""

    __tablename__ = "inputs_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    xact: Mapped[int] = mapped_column(BigInteger)
