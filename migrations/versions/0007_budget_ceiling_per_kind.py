"""budget ceiling per period kind

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The budget ceiling was one setting (a sum and/or a percent of revenue) applied
unchanged to every run, whatever the period. Now a month, a quarter, a year and
a week each have their own. The existing ceiling applied to every kind, so it
becomes the ceiling of every kind: no run calculates differently after the
upgrade. Downgrading keeps the month's ceiling (else the quarter's, the year's,
the week's), the closest the single setting can come.
"""
from alembic import op
import sqlalchemy as sa

import jili.money

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = ("month", "quarter", "year", "week")


def _bypass_rls():
    """The data update below sees every tenant's row (row-level security is forced)."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("select set_config('jili.bypass', 'on', true)"))


def upgrade():
    with op.batch_alter_table("incentive_setting", schema=None) as batch_op:
        for kind in KINDS:
            batch_op.add_column(sa.Column(f"ceiling_{kind}_amount", jili.money.Money(), nullable=True))
            batch_op.add_column(
                sa.Column(f"ceiling_{kind}_pct", sa.Numeric(precision=9, scale=4), nullable=True)
            )
    _bypass_rls()
    assignments = ", ".join(
        f"ceiling_{kind}_amount = budget_amount, ceiling_{kind}_pct = budget_pct_of_revenue"
        for kind in KINDS
    )
    op.execute(f"UPDATE incentive_setting SET {assignments}")
    with op.batch_alter_table("incentive_setting", schema=None) as batch_op:
        batch_op.drop_column("budget_pct_of_revenue")
        batch_op.drop_column("budget_amount")


def downgrade():
    with op.batch_alter_table("incentive_setting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_amount", jili.money.Money(), nullable=True))
        batch_op.add_column(
            sa.Column("budget_pct_of_revenue", sa.Numeric(precision=9, scale=4), nullable=True)
        )
    _bypass_rls()
    # The first kind with a ceiling, its amount and percent together.
    has = " OR ".join(
        f"(ceiling_{k}_amount IS NOT NULL OR ceiling_{k}_pct IS NOT NULL)" for k in KINDS
    )
    for column, suffix in (("budget_amount", "amount"), ("budget_pct_of_revenue", "pct")):
        cases = " ".join(
            f"WHEN ceiling_{k}_amount IS NOT NULL OR ceiling_{k}_pct IS NOT NULL "
            f"THEN ceiling_{k}_{suffix}"
            for k in KINDS
        )
        op.execute(f"UPDATE incentive_setting SET {column} = CASE {cases} END WHERE {has}")
    with op.batch_alter_table("incentive_setting", schema=None) as batch_op:
        for kind in reversed(KINDS):
            batch_op.drop_column(f"ceiling_{kind}_pct")
            batch_op.drop_column(f"ceiling_{kind}_amount")
