"""targets as a process: one target row per metric, tenant metrics, publication

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Written by hand. ``sales_target`` had three money columns (revenue, collected,
margin) per subject; it becomes one row per subject × metric with a baseline and
an optional challenge. Every old value is kept: each non-empty column becomes a
row with metric "revenue"/"collected"/"margin" and the value as baseline; rows
without any value disappear. New tables ``target_metric`` (the tenant's own
metrics) and ``target_publication`` (draft/published per period), both with the
tenant row-level-security policy on PostgreSQL. ``plan.target_basis`` says which
value of a target (baseline, the default, or challenge) a plan measures against.
"""
from alembic import op
import sqlalchemy as sa

import jili.dbtypes
import jili.money
from jili import dbobjects

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("target_metric", "target_publication")
OLD_COLUMNS = ("revenue", "collected", "margin")


def _enum(*values):
    return sa.Enum(*values, native_enum=False, length=16)


def _bypass_rls() -> None:
    """On PostgreSQL the policies hide every row unless bypass is on (this transaction)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT set_config('jili.bypass', 'on', true)")


def upgrade():
    _bypass_rls()
    with op.batch_alter_table("sales_target", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_sales_target_tenant_id_period_id_person_id_team_id", type_="unique"
        )
        batch_op.add_column(sa.Column("metric", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("baseline", jili.money.Money(), nullable=True))
        batch_op.add_column(sa.Column("challenge", jili.money.Money(), nullable=True))
    for column in ("collected", "margin"):
        op.execute(
            "INSERT INTO sales_target (tenant_id, period_id, person_id, team_id, metric, baseline) "
            f"SELECT tenant_id, period_id, person_id, team_id, '{column}', {column} "
            f"FROM sales_target WHERE metric IS NULL AND {column} IS NOT NULL"
        )
    op.execute(
        "UPDATE sales_target SET metric = 'revenue', baseline = revenue "
        "WHERE metric IS NULL AND revenue IS NOT NULL"
    )
    op.execute("DELETE FROM sales_target WHERE metric IS NULL")
    with op.batch_alter_table("sales_target", schema=None) as batch_op:
        for column in OLD_COLUMNS:
            batch_op.drop_column(column)
        batch_op.alter_column("metric", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("baseline", existing_type=jili.money.Money(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_sales_target_tenant_id_period_id_person_id_team_id_metric"),
            ["tenant_id", "period_id", "person_id", "team_id", "metric"],
        )

    op.create_table(
        "target_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("kind", _enum("money", "count", "number"), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("source", _enum("transactions", "entered"), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("product_line", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"],
            name=op.f("fk_target_metric_tenant_id_tenant"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_metric")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_target_metric_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_target_metric_tenant_id_id")),
    )
    with op.batch_alter_table("target_metric", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_metric_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "target_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("draft", "published"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_by_label", sa.String(length=254), nullable=False),
        sa.Column("accepted_difference_reason", sa.String(length=500), nullable=False),
        sa.Column("changed_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user_account.id"],
            name=op.f("fk_target_publication_published_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "period_id"], ["period.tenant_id", "period.id"],
            name=op.f("fk_target_publication_tenant_id_period_id_period"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"],
            name=op.f("fk_target_publication_tenant_id_tenant"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_publication")),
        sa.UniqueConstraint(
            "tenant_id", "period_id", name=op.f("uq_target_publication_tenant_id_period_id")
        ),
    )
    with op.batch_alter_table("target_publication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_target_publication_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "target_basis", sa.String(length=16), nullable=False, server_default="baseline"
            )
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    _bypass_rls()
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("target_basis")
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    with op.batch_alter_table("target_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_publication_tenant_id"))
    op.drop_table("target_publication")
    with op.batch_alter_table("target_metric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_metric_tenant_id"))
    op.drop_table("target_metric")

    # back to one row per subject: the three money metrics; other metrics and
    # challenge values have no place in the old shape and are dropped
    with op.batch_alter_table("sales_target", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_sales_target_tenant_id_period_id_person_id_team_id_metric", type_="unique"
        )
        for column in OLD_COLUMNS:
            batch_op.add_column(sa.Column(column, jili.money.Money(), nullable=True))
    op.execute("DELETE FROM sales_target WHERE metric NOT IN ('revenue', 'collected', 'margin')")
    for column in OLD_COLUMNS:
        op.execute(f"UPDATE sales_target SET {column} = baseline WHERE metric = '{column}'")
    op.execute(
        "UPDATE sales_target SET "
        + ", ".join(
            f"{c} = (SELECT MAX(o.{c}) FROM sales_target o WHERE o.tenant_id = sales_target.tenant_id "
            "AND o.period_id = sales_target.period_id "
            "AND coalesce(o.person_id, -1) = coalesce(sales_target.person_id, -1) "
            "AND coalesce(o.team_id, -1) = coalesce(sales_target.team_id, -1))"
            for c in OLD_COLUMNS
        )
    )
    op.execute(
        "DELETE FROM sales_target WHERE id NOT IN (SELECT MIN(id) FROM sales_target "
        "GROUP BY tenant_id, period_id, person_id, team_id)"
    )
    with op.batch_alter_table("sales_target", schema=None) as batch_op:
        batch_op.drop_column("challenge")
        batch_op.drop_column("baseline")
        batch_op.drop_column("metric")
        batch_op.create_unique_constraint(
            "uq_sales_target_tenant_id_period_id_person_id_team_id",
            ["tenant_id", "period_id", "person_id", "team_id"],
        )
