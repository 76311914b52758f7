"""working-day calendar, notifications with their e-mail outbox, alert rules,
alerts and improvement plans

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Written by hand, batch mode for SQLite. Every table is tenant-owned and gets the
row-level-security policy on PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

import jili.dbtypes
from jili import dbobjects

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = (
    "work_calendar_day",
    "notification",
    "notification_outbox",
    "notification_preference",
    "alert_rule",
    "alert",
    "improvement_plan",
)


def _tenant(table):
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=op.f(f"fk_{table}_tenant_id_tenant"), ondelete="CASCADE"
    )


def _when(name, nullable=False):
    return sa.Column(name, jili.dbtypes.UTCDateTime(timezone=True), nullable=nullable)


def _index_tenant(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_tenant_id"), ["tenant_id"], unique=False)


def _calendar():
    op.create_table(
        "work_calendar_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("holiday", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _tenant("work_calendar_day"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_calendar_day")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_work_calendar_day_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "day", name=op.f("uq_work_calendar_day_tenant_id_day")),
    )
    _index_tenant("work_calendar_day")


def _notifications():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        _when("created_at"),
        _when("read_at", nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"), ondelete="CASCADE",
        ),
        _tenant("notification"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_notification_tenant_id_id")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_tenant_user", ["tenant_id", "user_id", "read_at"], unique=False
        )
    _index_tenant("notification")
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("to_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        _when("sent_at", nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "notification_id"], ["notification.tenant_id", "notification.id"],
            name=op.f("fk_notification_outbox_tenant_id_notification_id_notification"),
            ondelete="CASCADE",
        ),
        _tenant("notification_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_notification_outbox_tenant_id_id")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_outbox_due", ["status", "next_attempt_at"], unique=False
        )
    _index_tenant("notification_outbox")
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"), ondelete="CASCADE",
        ),
        _tenant("notification_preference"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_notification_preference_tenant_id_user_id")
        ),
    )
    _index_tenant("notification_preference")


def _alerts():
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=10), nullable=False),
        sa.Column("plan_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _tenant("alert_rule"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_alert_rule_tenant_id_id")),
    )
    _index_tenant("alert_rule")
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        _when("raised_at"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rule_id"], ["alert_rule.tenant_id", "alert_rule.id"],
            name=op.f("fk_alert_tenant_id_rule_id_alert_rule"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"], ["person.tenant_id", "person.id"],
            name=op.f("fk_alert_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "period_id"], ["period.tenant_id", "period.id"],
            name=op.f("fk_alert_tenant_id_period_id_period"),
        ),
        _tenant("alert"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_alert_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "rule_id", "person_id", "period_id",
            name=op.f("uq_alert_tenant_id_rule_id_person_id_period_id"),
        ),
    )
    _index_tenant("alert")
    op.create_table(
        "improvement_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        _when("submitted_at", nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("submitted_by", sa.String(length=254), nullable=False),
        sa.Column("late_notified", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "alert_id"], ["alert.tenant_id", "alert.id"],
            name=op.f("fk_improvement_plan_tenant_id_alert_id_alert"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"], ["person.tenant_id", "person.id"],
            name=op.f("fk_improvement_plan_tenant_id_person_id_person"),
        ),
        _tenant("improvement_plan"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_plan")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_improvement_plan_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "alert_id", name=op.f("uq_improvement_plan_tenant_id_alert_id")
        ),
    )
    _index_tenant("improvement_plan")


def upgrade():
    _calendar()
    _notifications()
    _alerts()
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_tenant_id"))
        op.drop_table(table)
