"""events: covering index (status, starts_at, ends_at) for the clash check and feeds

Revision ID: a4c1d2e3f5b6
Revises: d73991ad7c38
Create Date: 2026-11-25 22:40:00

"""
from alembic import op

revision = 'a4c1d2e3f5b6'
down_revision = 'd73991ad7c38'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_status_starts_at_ends_at', 'events',
                    ['status', 'starts_at', 'ends_at'], unique=False)
    op.drop_index('ix_events_status_starts_at', table_name='events')


def downgrade():
    op.create_index('ix_events_status_starts_at', 'events', ['status', 'starts_at'],
                    unique=False)
    op.drop_index('ix_events_status_starts_at_ends_at', table_name='events')
