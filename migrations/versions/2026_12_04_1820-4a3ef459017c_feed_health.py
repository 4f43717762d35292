"""feed health: daily fetch counts per feed and client kind

Daily counts only (no addresses, no user agents); today's salted client hashes and their salt
are deleted once the day is over (app.feeds.health).

Revision ID: 4a3ef459017c
Revises: 82246f4a3edc
Create Date: 2026-12-04 16:48:25.735104

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4a3ef459017c'
down_revision = '82246f4a3edc'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_fetch_clients',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('feed', sa.String(length=200), nullable=False),
    sa.Column('client', sa.String(length=12), nullable=False),
    sa.Column('fingerprint', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('day', 'feed', 'client', 'fingerprint', name=op.f('pk_feed_fetch_clients'))
    )
    op.create_table('feed_fetch_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('feed', sa.String(length=200), nullable=False),
    sa.Column('client', sa.String(length=12), nullable=False),
    sa.Column('fetches', sa.Integer(), nullable=False),
    sa.Column('not_modified', sa.Integer(), nullable=False),
    sa.Column('clients', sa.Integer(), nullable=False),
    sa.Column('last_fetch_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('fetches >= 0 AND not_modified >= 0 AND not_modified <= fetches AND clients >= 0', name=op.f('ck_feed_fetch_days_counts')),
    sa.PrimaryKeyConstraint('day', 'feed', 'client', name=op.f('pk_feed_fetch_days'))
    )
    op.create_table('feed_log_cursors',
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('inode', sa.BigInteger(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('path', name=op.f('pk_feed_log_cursors'))
    )
    op.create_table('feed_stats_salts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_feed_stats_salts'))
    )


def downgrade():
    op.drop_table('feed_stats_salts')
    op.drop_table('feed_log_cursors')
    op.drop_table('feed_fetch_days')
    op.drop_table('feed_fetch_clients')
