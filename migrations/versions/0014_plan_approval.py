"""plan versions: maker-checker approval

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

A plan version is proposed by its author and approved (or rejected, with a
reason) by someone else before it is in force. ``plan_version`` gains the
decision (status, who decided, when, the reason); every existing version is
approved, as it was in force already. ``tenant.plan_self_approval`` lets a
company with a single administrator approve its own versions (off by default).
The table keeps its row-level-security policy from 0004.
"""
from alembic import op
import sqlalchemy as sa

import jili.dbtypes

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "proposed", "approved", "rejected", "withdrawn",
                    name="approvalstatus", native_enum=False, length=16,
                ),
                nullable=False,
                server_default="approved",
            )
        )
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "decision_reason", sa.String(length=500), nullable=False, server_default=""
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_version_decided_by_id_user_account"),
            "user_account", ["decided_by_id"], ["id"], ondelete="SET NULL",
        )
    # A plain ADD COLUMN (no table copy on SQLite: the audit log refers to tenant).
    op.add_column(
        "tenant",
        sa.Column("plan_self_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("tenant", "plan_self_approval")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_plan_version_decided_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("status")
