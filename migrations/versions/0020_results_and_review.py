"""using the results: improvement plans for C ratings, the promotion streak

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

An improvement plan is asked for by a red alert (as before) or by a C rating of
a period: ``improvement_plan.alert_id`` becomes optional and the plan gains
``scorecard_id`` (the rating that asked for it) and the second evaluation at the
follow-up (rating, outcome, note, day, by whom). ``tenant.promotion_streak`` is
how many consecutive ratings of A or better put a person on the promotion list
(default 2). The table keeps its row-level-security policy from 0009.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("improvement_plan", schema=None) as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("scorecard_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("second_rating", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("second_outcome", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("second_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("second_evaluated_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "second_evaluated_by", sa.String(length=254), nullable=False, server_default=""
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_improvement_plan_tenant_id_scorecard_id"), ["tenant_id", "scorecard_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_improvement_plan_tenant_id_scorecard_id_scorecard"),
            "scorecard",
            ["tenant_id", "scorecard_id"],
            ["tenant_id", "id"],
        )
    # A plain ADD COLUMN (no table copy on SQLite: the audit log refers to tenant).
    op.add_column(
        "tenant",
        sa.Column("promotion_streak", sa.Integer(), nullable=False, server_default="2"),
    )


def downgrade():
    op.drop_column("tenant", "promotion_streak")
    with op.batch_alter_table("improvement_plan", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_improvement_plan_tenant_id_scorecard_id_scorecard"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_improvement_plan_tenant_id_scorecard_id"), type_="unique"
        )
        batch_op.drop_column("second_evaluated_by")
        batch_op.drop_column("second_evaluated_on")
        batch_op.drop_column("second_note")
        batch_op.drop_column("second_outcome")
        batch_op.drop_column("second_rating")
        batch_op.drop_column("scorecard_id")
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
