"""sales facts: the credits pre-summed by month, person, region, product line and
new-customer flag

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

The engine reads a period's sales from ``sales_fact`` instead of every credit;
the application keeps it equal to ``sales_credit`` inside the transaction of
each write (jili.inputs.services.facts). Existing credits are summed into it
here. On PostgreSQL the table gets the tenant row-level-security policy.
"""

from alembic import op
import sqlalchemy as sa

import jili.money
from jili import dbobjects

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sales_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("product_line", sa.String(length=80), nullable=False),
        sa.Column("new_customer", sa.Boolean(), nullable=False),
        sa.Column("amount", jili.money.Money(), nullable=False),
        sa.Column("collected_amount", jili.money.Money(), nullable=False),
        sa.Column("margin", jili.money.Money(), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("first_deal", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_sales_fact_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_sales_fact_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_fact")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_sales_fact_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "month", "person_id", "region", "product_line", "new_customer",
            name="uq_sales_fact_key",
        ),
    )
    with op.batch_alter_table("sales_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_fact_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_sales_fact_person_month", ["tenant_id", "person_id", "month"], unique=False
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT set_config('jili.bypass', 'on', true)")
        month = "date_trunc('month', c.deal_date)::date"
    else:
        month = "date(c.deal_date, 'start of month')"
    op.execute(
        f"""
        INSERT INTO sales_fact (tenant_id, month, person_id, region, product_line, new_customer,
                                amount, collected_amount, margin, deals, credits, first_deal)
        SELECT c.tenant_id, {month}, c.person_id, c.region, c.product_line, t.new_customer,
               SUM(c.amount), SUM(c.collected_amount), SUM(c.margin),
               SUM(CASE WHEN c.amount > 0 THEN 1 ELSE 0 END), COUNT(*),
               MIN(CASE WHEN c.amount > 0 THEN c.deal_date END)
        FROM sales_credit c
        JOIN sales_transaction t ON t.tenant_id = c.tenant_id AND t.id = c.transaction_id
        GROUP BY c.tenant_id, {month}, c.person_id, c.region, c.product_line, t.new_customer
        """
    )
    if bind.dialect.name == "postgresql":
        for stmt in dbobjects.pg_rls_statements("sales_fact"):
            op.execute(stmt)


def downgrade():
    with op.batch_alter_table("sales_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_fact_person_month")
        batch_op.drop_index(batch_op.f("ix_sales_fact_tenant_id"))
    op.drop_table("sales_fact")
