"""adjustment requests for a team's target

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

An adjustment request is about one person's target or one team's target:
``adjustment_request`` gains ``team_id`` (composite key to the team, like the
other tenant-owned references) and ``person_id`` may be empty. Exactly one of
the two is set (a check constraint). The table keeps its row-level-security
policy from 0010.
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("adjustment_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_adjustment_request_tenant_id_team_id_team"),
            "team", ["tenant_id", "team_id"], ["tenant_id", "id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_adjustment_request_one_subject"),
            "(person_id IS NULL) <> (team_id IS NULL)",
        )
        batch_op.create_index(
            "ix_adjustment_request_team", ["tenant_id", "team_id", "period_id"], unique=False
        )


def downgrade():
    op.execute("DELETE FROM adjustment_request WHERE person_id IS NULL")
    with op.batch_alter_table("adjustment_request", schema=None) as batch_op:
        batch_op.drop_index("ix_adjustment_request_team")
        batch_op.drop_constraint(
            batch_op.f("ck_adjustment_request_one_subject"), type_="check"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_adjustment_request_tenant_id_team_id_team"), type_="foreignkey"
        )
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("team_id")
