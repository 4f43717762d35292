"""feed event cache and feed data version

Revision ID: 5b1f0e7c2a91
Revises: 29470ee3dcd4
Create Date: 2026-11-25 22:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1f0e7c2a91'
down_revision = '29470ee3dcd4'
branch_labels = None
depends_on = None

# Every table whose rows shape a feed: a write to any of them moves the feed data version
# (app.feeds.services.data_version), which lets the feed validator be remembered.
FEED_TABLES = ('events', 'event_industries', 'event_audiences', 'venues', 'municipalities',
               'districts', 'organisations', 'industries')


def upgrade():
    op.create_table('feed_event_cache',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('vevent', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_feed_event_cache_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_feed_event_cache'))
    )
    op.create_table('feed_data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_data_version'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # A sequence, not a counter row: nextval takes no lock, so writers never queue.
        op.execute('CREATE SEQUENCE feed_data_version_seq')
        op.execute(
            "CREATE FUNCTION bump_feed_data_version() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM nextval('feed_data_version_seq'); RETURN NULL; END $$"
        )
        for table in FEED_TABLES:
            op.execute(
                f'CREATE TRIGGER {table}_feed_data_version '
                f'AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} '
                f'FOR EACH STATEMENT EXECUTE FUNCTION bump_feed_data_version()'
            )
    else:
        for table in FEED_TABLES:
            for action in ('INSERT', 'UPDATE', 'DELETE'):
                op.execute(
                    f'CREATE TRIGGER {table}_{action.lower()}_feed_data_version '
                    f'AFTER {action} ON {table} BEGIN '
                    f'INSERT OR IGNORE INTO feed_data_version (id, version) VALUES (1, 0); '
                    f'UPDATE feed_data_version SET version = version + 1 WHERE id = 1; END'
                )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in FEED_TABLES:
            op.execute(f'DROP TRIGGER {table}_feed_data_version ON {table}')
        op.execute('DROP FUNCTION bump_feed_data_version()')
        op.execute('DROP SEQUENCE feed_data_version_seq')
    else:
        for table in FEED_TABLES:
            for action in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER {table}_{action}_feed_data_version')
    op.drop_table('feed_data_version')
    op.drop_table('feed_event_cache')
