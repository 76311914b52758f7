"""jobs: background calculations, pilot runs, imports and exports with progress

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01

One row per job: kind, the period it is about, who started it, status, phase,
percentage, message (a key translated when read), result, timestamps and the
heartbeat. UNIQUE (tenant_id, active_key) keeps two jobs of the same kind on the
same period from running at once (the key is NULL once a job ends). On
PostgreSQL the table gets the tenant row-level-security policy.
"""

from alembic import op
import sqlalchemy as sa

import jili.dbtypes
from jili import dbobjects

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("about_period_id", sa.Integer(), nullable=True),
        sa.Column("active_key", sa.String(length=80), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued", "running", "done", "failed", "confirm",
                name="jobstatus", native_enum=False, length=16,
            ),
            nullable=False,
        ),
        sa.Column("phase", sa.String(length=40), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=60), nullable=False),
        sa.Column("message_args", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"],
            name=op.f("fk_job_created_by_id_user_account"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "about_period_id"], ["period.tenant_id", "period.id"],
            name=op.f("fk_job_tenant_id_period"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_job_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("tenant_id", "active_key", name=op.f("uq_job_tenant_id_active_key")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_job_tenant_id_id")),
    )  # fmt: skip
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_tenant_id"), ["tenant_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for stmt in dbobjects.pg_rls_statements("job"):
            op.execute(stmt)


def downgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_tenant_id"))
    op.drop_table("job")
