"""anonymous feedback: settings, threads, messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Written by hand. The thread and message tables have random string ids and, on
SQLite, no rowid (``WITHOUT ROWID``), so neither ids nor physical row order
reveal the order of submissions. On PostgreSQL all three tables get the
tenant row-level-security policy.
"""
from alembic import op
import sqlalchemy as sa

from jili import dbobjects

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("feedback_setting", "feedback_thread", "feedback_message")


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade():
    op.create_table(
        "feedback_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_key", sa.String(length=32), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("aggregate_threshold", sa.Integer(), nullable=False),
        sa.Column("consultant_access", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"],
            name=op.f("fk_feedback_setting_tenant_id_tenant"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_setting")),
        sa.UniqueConstraint("link_key", name=op.f("uq_feedback_setting_link_key")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_feedback_setting_tenant_id")),
    )
    with op.batch_alter_table("feedback_setting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_setting_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "feedback_thread",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(
            "category",
            _enum("category", "calculation", "allocation", "target", "rule", "suggestion", "other"),
            nullable=False,
        ),
        sa.Column("status", _enum("status", "new", "answered", "closed"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("waiting_since", sa.Date(), nullable=False),
        sa.Column("lookup_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"],
            name=op.f("fk_feedback_thread_tenant_id_tenant"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_thread")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_feedback_thread_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "lookup_id", name=op.f("uq_feedback_thread_tenant_id_lookup_id")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_thread_tenant_day", ["tenant_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_thread_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "feedback_message",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "thread_id"], ["feedback_thread.tenant_id", "feedback_thread.id"],
            name=op.f("fk_feedback_message_tenant_id_thread_id_feedback_thread"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"],
            name=op.f("fk_feedback_message_tenant_id_tenant"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_message")),
        sa.UniqueConstraint(
            "tenant_id", "thread_id", "seq", name=op.f("uq_feedback_message_tenant_id_thread_id_seq")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_message_tenant_id"), ["tenant_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    with op.batch_alter_table("feedback_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_message_tenant_id"))
    op.drop_table("feedback_message")
    with op.batch_alter_table("feedback_thread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_thread_tenant_id"))
        batch_op.drop_index("ix_feedback_thread_tenant_day")
    op.drop_table("feedback_thread")
    with op.batch_alter_table("feedback_setting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_setting_tenant_id"))
    op.drop_table("feedback_setting")
