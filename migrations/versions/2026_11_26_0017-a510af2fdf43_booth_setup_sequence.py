"""booth setup sequence

The set-up and tear-down entries of a company's private feed need a SEQUENCE that grows
when the organiser moves those times; existing set-ups start at 0.

Revision ID: a510af2fdf43
Revises: 050925c1e3b8
Create Date: 2026-11-26 00:17:36.546430

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a510af2fdf43'
down_revision = '050925c1e3b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booth_setups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('booth_setups', schema=None) as batch_op:
        batch_op.drop_column('sequence')
