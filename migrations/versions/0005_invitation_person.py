"""invitation: the person an invitation is for

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:45:00.000000


Inviting someone from their person page carries the person: accepting the
invitation links the new login to that person. The column is nullable (member
invitations from the Members page name no person); the table keeps its
row-level-security policy from 0001/0002.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_invitation_person_id_person'), 'person', ['person_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitation_person_id_person'), type_='foreignkey')
        batch_op.drop_column('person_id')
