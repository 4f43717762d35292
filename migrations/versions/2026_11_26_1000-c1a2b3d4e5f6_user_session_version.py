"""user session version

Sessions and remember cookies carry the user's id with this number; raising it ends them
all. Existing sessions (which carry the bare id) end once with the upgrade.

Revision ID: c1a2b3d4e5f6
Revises: a510af2fdf43
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1a2b3d4e5f6'
down_revision = 'a510af2fdf43'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
