"""password reset links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A forgotten-password link: the token's hash, when it expires, when it was used.
Global like the user it belongs to (no tenant, no row-level-security policy).
"""
from alembic import op
import sqlalchemy as sa

import jili.dbtypes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_password_reset_user_id_user_account"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_token_hash")),
    )
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_reset_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("password_reset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_user_id"))
    op.drop_table("password_reset")
