"""responsibility letters and target adjustment requests

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The tenant's letter template, each person's letter versions (a frozen copy of
what each said, when it was acknowledged), the tenant's adjustment rule and the
adjustment requests (with their evidence file). On PostgreSQL all four get the
tenant row-level-security policy.
"""
from alembic import op
import sqlalchemy as sa

import jili.dbtypes
import jili.money
from jili import dbobjects

TABLES = ("adjustment_setting", "letter_template", "adjustment_request", "responsibility_letter")


revision = '0010'
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('adjustment_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('limit_pct', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_adjustment_setting_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment_setting')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_adjustment_setting_tenant_id'))
    )
    with op.batch_alter_table('adjustment_setting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustment_setting_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('letter_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opening', sa.Text(), nullable=False),
    sa.Column('support', sa.Text(), nullable=False),
    sa.Column('authority', sa.Text(), nullable=False),
    sa.Column('closing', sa.Text(), nullable=False),
    sa.Column('acknowledge_days', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_letter_template_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_template')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_letter_template_tenant_id'))
    )
    with op.batch_alter_table('letter_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_template_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('adjustment_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('old_value', jili.money.Money(), nullable=False),
    sa.Column('new_value', jili.money.Money(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('needs_director', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('review', 'approval', 'approved', 'rejected', name='adjustmentstatus', native_enum=False, length=16), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=False),
    sa.Column('evidence_type', sa.String(length=100), nullable=False),
    sa.Column('evidence_data', sa.LargeBinary(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_adjustment_request_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_adjustment_request_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_adjustment_request_reviewed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'period_id'], ['period.tenant_id', 'period.id'], name=op.f('fk_adjustment_request_tenant_id_period_id_period')),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['person.tenant_id', 'person.id'], name=op.f('fk_adjustment_request_tenant_id_person_id_person')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_adjustment_request_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment_request')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_adjustment_request_tenant_id_id'))
    )
    with op.batch_alter_table('adjustment_request', schema=None) as batch_op:
        batch_op.create_index('ix_adjustment_request_person', ['tenant_id', 'person_id', 'period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustment_request_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_adjustment_request_tenant_status', ['tenant_id', 'status'], unique=False)

    op.create_table('responsibility_letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('targets_version', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('issued_at', jili.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', jili.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user_account.id'], name=op.f('fk_responsibility_letter_acknowledged_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_responsibility_letter_issued_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id', 'period_id'], ['period.tenant_id', 'period.id'], name=op.f('fk_responsibility_letter_tenant_id_period_id_period')),
    sa.ForeignKeyConstraint(['tenant_id', 'person_id'], ['person.tenant_id', 'person.id'], name=op.f('fk_responsibility_letter_tenant_id_person_id_person')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_responsibility_letter_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibility_letter')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_responsibility_letter_tenant_id_id')),
    sa.UniqueConstraint('tenant_id', 'period_id', 'person_id', 'version', name=op.f('uq_responsibility_letter_tenant_id_period_id_person_id_version'))
    )
    with op.batch_alter_table('responsibility_letter', schema=None) as batch_op:
        batch_op.create_index('ix_responsibility_letter_person', ['tenant_id', 'person_id', 'period_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_responsibility_letter_tenant_id'), ['tenant_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for stmt in dbobjects.pg_rls_statements(table):
                op.execute(stmt)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    with op.batch_alter_table('responsibility_letter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responsibility_letter_tenant_id'))
        batch_op.drop_index('ix_responsibility_letter_person')

    op.drop_table('responsibility_letter')
    with op.batch_alter_table('adjustment_request', schema=None) as batch_op:
        batch_op.drop_index('ix_adjustment_request_tenant_status')
        batch_op.drop_index(batch_op.f('ix_adjustment_request_tenant_id'))
        batch_op.drop_index('ix_adjustment_request_person')

    op.drop_table('adjustment_request')
    with op.batch_alter_table('letter_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_template_tenant_id'))

    op.drop_table('letter_template')
    with op.batch_alter_table('adjustment_setting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustment_setting_tenant_id'))

    op.drop_table('adjustment_setting')
