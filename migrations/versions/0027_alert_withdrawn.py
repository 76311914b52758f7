"""alerts are withdrawn when their rule no longer holds

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-01

An alert whose rule no longer holds for its periods (after a correction, an
approved adjustment, an import or the daily run) is withdrawn, not deleted:
``alert.withdrawn_at`` says when, ``alert.withdrawn_values`` what the rule saw
then ([[period label, value as text or null], …]). Plain ADD COLUMNs: the table
keeps its row-level-security policy and its (tenant_id, id) key.
"""

import sqlalchemy as sa
from alembic import op

import jili.dbtypes

revision = "0027"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "alert", sa.Column("withdrawn_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("alert", sa.Column("withdrawn_values", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_values")
        batch_op.drop_column("withdrawn_at")
