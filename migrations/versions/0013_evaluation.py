"""evaluation: KPI library, KPI sets per level, levels, rating bands, scorecards

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-01

The KPI library and the sets each level is evaluated on (with weights), tenant-
defined levels and who is at one, the rating bands, and a period"s scorecards
with one line per KPI. metric_value gains the KPI"s score cap (null = 100), so
scorecards feed the performance bonus through the one scoring rule. On
PostgreSQL every new table gets the tenant row-level-security policy.
"""

from alembic import op
import sqlalchemy as sa

from jili import dbobjects

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (
    "evaluation_level",
    "kpi",
    "kpi_set",
    "rating_band",
    "kpi_set_item",
    "evaluation_person_level",
    "scorecard",
    "scorecard_line",
)


def upgrade():
    op.create_table(
        "evaluation_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_evaluation_level_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_level")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_evaluation_level_tenant_id_code")),
    )
    with op.batch_alter_table("evaluation_level", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_level_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "kpi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "category",
            sa.Enum("result", "process", name="kpicategory", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("formula", sa.String(length=500), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "transactions", "targets", "entered", name="kpisource", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("default_target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("cap", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_kpi_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_kpi_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_kpi_tenant_id_id")),
    )
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "kpi_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_kpi_set_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_set")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_kpi_set_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "level", name=op.f("uq_kpi_set_tenant_id_level")),
    )
    with op.batch_alter_table("kpi_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_set_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "rating_band",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("min_score", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("share_limit", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_rating_band_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_band")),
        sa.UniqueConstraint("tenant_id", "label", name=op.f("uq_rating_band_tenant_id_label")),
    )
    with op.batch_alter_table("rating_band", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_band_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "kpi_set_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "kpi_id"],
            ["kpi.tenant_id", "kpi.id"],
            name=op.f("fk_kpi_set_item_tenant_id_kpi_id_kpi"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "set_id"],
            ["kpi_set.tenant_id", "kpi_set.id"],
            name=op.f("fk_kpi_set_item_tenant_id_set_id_kpi_set"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_kpi_set_item_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_set_item")),
        sa.UniqueConstraint(
            "tenant_id", "set_id", "kpi_id", name=op.f("uq_kpi_set_item_tenant_id_set_id_kpi_id")
        ),
    )
    with op.batch_alter_table("kpi_set_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_set_item_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "evaluation_person_level",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_evaluation_person_level_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_evaluation_person_level_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_person_level")),
        sa.UniqueConstraint(
            "tenant_id", "person_id", name=op.f("uq_evaluation_person_level_tenant_id_person_id")
        ),
    )
    with op.batch_alter_table("evaluation_person_level", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_person_level_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "scorecard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("total", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("rating", sa.String(length=8), nullable=True),
        sa.Column("adjusted_rating", sa.String(length=8), nullable=True),
        sa.Column("adjust_reason", sa.String(length=500), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "period_id"],
            ["period.tenant_id", "period.id"],
            name=op.f("fk_scorecard_tenant_id_period_id_period"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_scorecard_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_scorecard_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_scorecard_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "period_id",
            "person_id",
            name=op.f("uq_scorecard_tenant_id_period_id_person_id"),
        ),
    )
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecard_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "scorecard_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("actual", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("cap", sa.Numeric(precision=9, scale=4), nullable=False),
        sa.Column("score", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "kpi_id"],
            ["kpi.tenant_id", "kpi.id"],
            name=op.f("fk_scorecard_line_tenant_id_kpi_id_kpi"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "period_id"],
            ["period.tenant_id", "period.id"],
            name=op.f("fk_scorecard_line_tenant_id_period_id_period"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scorecard_id"],
            ["scorecard.tenant_id", "scorecard.id"],
            name=op.f("fk_scorecard_line_tenant_id_scorecard_id_scorecard"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_scorecard_line_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_line")),
        sa.UniqueConstraint(
            "tenant_id",
            "scorecard_id",
            "kpi_id",
            name=op.f("uq_scorecard_line_tenant_id_scorecard_id_kpi_id"),
        ),
    )
    with op.batch_alter_table("scorecard_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scorecard_line_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_scorecard_line_tenant_period", ["tenant_id", "period_id"], unique=False
        )

    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cap", sa.Numeric(precision=9, scale=4), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    with op.batch_alter_table("metric_value", schema=None) as batch_op:
        batch_op.drop_column("cap")

    with op.batch_alter_table("scorecard_line", schema=None) as batch_op:
        batch_op.drop_index("ix_scorecard_line_tenant_period")
        batch_op.drop_index(batch_op.f("ix_scorecard_line_tenant_id"))

    op.drop_table("scorecard_line")
    with op.batch_alter_table("scorecard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecard_tenant_id"))

    op.drop_table("scorecard")
    with op.batch_alter_table("evaluation_person_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_person_level_tenant_id"))

    op.drop_table("evaluation_person_level")
    with op.batch_alter_table("kpi_set_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_set_item_tenant_id"))

    op.drop_table("kpi_set_item")
    with op.batch_alter_table("rating_band", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_band_tenant_id"))

    op.drop_table("rating_band")
    with op.batch_alter_table("kpi_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_set_tenant_id"))

    op.drop_table("kpi_set")
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_tenant_id"))

    op.drop_table("kpi")
    with op.batch_alter_table("evaluation_level", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_level_tenant_id"))

    op.drop_table("evaluation_level")
