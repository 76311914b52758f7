"""evaluation cycle: deadlines, stages, self-assessment and manager scoring, evidence

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

A company's cycle deadlines in working days (no row = the seed's defaults), a
period's evaluation cycle with its stage, the person's self-assessment and the
manager's scoring of each scorecard line, and the evidence files attached to a
line; scorecard_line gains a unique (tenant_id, id) for them (the bytes on disk under instance/uploads/<tenant>/). On PostgreSQL every
new table gets the tenant row-level-security policy.
"""

from alembic import op
import sqlalchemy as sa

from jili import dbobjects

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLES = (
    "evaluation_cycle_settings",
    "evaluation_cycle",
    "scorecard_assessment",
    "scorecard_evidence",
)


def _tenant_fk(table):
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=op.f(f"fk_{table}_tenant_id_tenant"), ondelete="CASCADE"
    )


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
    )


def _index(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_tenant_id"), ["tenant_id"], unique=False)


def upgrade():
    # the assessments and evidence refer to a line by (tenant_id, id)
    with op.batch_alter_table("scorecard_line", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_scorecard_line_tenant_id_id"), ["tenant_id", "id"]
        )
    t = "evaluation_cycle_settings"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "self_days", "manager_days", "publication_days", "appeal_days", "payout_days"
            )
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _tenant_fk(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("tenant_id", name=op.f(f"uq_{t}_tenant_id")),
    )
    _index(t)

    t = "evaluation_cycle"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "self", "manager", "calibration", "published", "final",
                name="cyclestage", native_enum=False, length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("self_closed_on", sa.Date(), nullable=True),
        sa.Column("manager_closed_on", sa.Date(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("finalised_on", sa.Date(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk(t, "period_id", "period"),
        _tenant_fk(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{t}_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "period_id", name=op.f(f"uq_{t}_tenant_id_period_id")),
    )
    _index(t)

    t = "scorecard_assessment"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("self_actual", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("self_evidence", sa.Text(), nullable=False),
        sa.Column("self_on", sa.Date(), nullable=True),
        sa.Column("self_late", sa.Boolean(), nullable=False),
        sa.Column("manager_actual", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("manager_comment", sa.Text(), nullable=False),
        sa.Column("manager_on", sa.Date(), nullable=True),
        sa.Column("manager_late", sa.Boolean(), nullable=False),
        sa.Column("manager_name", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk(t, "line_id", "scorecard_line"),
        _fk(t, "period_id", "period"),
        _tenant_fk(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{t}_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "line_id", name=op.f(f"uq_{t}_tenant_id_line_id")),
    )
    _index(t)

    t = "scorecard_evidence"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("uploaded_on", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _fk(t, "line_id", "scorecard_line"),
        _tenant_fk(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{t}_tenant_id_id")),
    )
    _index(t)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_tenant_id"))
        op.drop_table(table)
    with op.batch_alter_table("scorecard_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_scorecard_line_tenant_id_id"), type_="unique")
