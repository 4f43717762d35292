"""outbox: failed and discarded messages

A message that can never be sent (refused for good, or too many temporary failures) is
no longer retried: it is marked failed, for an admin to retry or discard.

Revision ID: 3c8e41f0b7a2
Revises: c3f9a8e2d514
Create Date: 2026-12-04 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8e41f0b7a2'
down_revision = 'c3f9a8e2d514'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('failed_at')
