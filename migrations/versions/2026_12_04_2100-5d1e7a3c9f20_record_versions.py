"""record versions: optimistic concurrency

Events, booth categories, fair set-ups, company profiles and class-visit slots carry a
version that grows with every saved change; a save made on a stale copy is refused.

Revision ID: 5d1e7a3c9f20
Revises: 3c8e41f0b7a2
Create Date: 2026-12-04 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e7a3c9f20'
down_revision = '3c8e41f0b7a2'
branch_labels = None
depends_on = None

TABLES = ('events', 'booth_categories', 'booth_setups', 'companies', 'visit_slots')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
