"""events: free admission

What the organiser says about admission; the event page tells search engines
(schema.org isAccessibleForFree). Existing events: not said (false).

Revision ID: fceebfe15df2
Revises: 4a3ef459017c
Create Date: 2026-12-04 17:40:05.638742

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fceebfe15df2'
down_revision = '4a3ef459017c'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, not batch mode: on SQLite batch mode rebuilds the table and so
    # drops its triggers (the ones that move the feed data version).
    op.add_column('events', sa.Column('admission_free', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('events', 'admission_free')
