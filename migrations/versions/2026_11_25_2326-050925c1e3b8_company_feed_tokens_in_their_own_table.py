"""company feed tokens in their own table, out of api_tokens

A company's private feed token was an ``api_tokens`` row with a fixed label; it showed in
the user's API token list, and ``Bearer company-feed:<feed token>`` hashed to the stored
value and so authenticated API calls. The rows move to ``company_feed_tokens``.

Revision ID: 050925c1e3b8
Revises: a4c1d2e3f5b6
Create Date: 2026-11-25 23:26:18.154963

"""
from alembic import op
import sqlalchemy as sa

revision = '050925c1e3b8'
down_revision = 'a4c1d2e3f5b6'
branch_labels = None
depends_on = None

FEED_LABEL = 'iCal feed (company)'


def upgrade():
    op.create_table('company_feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_feed_tokens_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_company_feed_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_feed_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_company_feed_tokens_token_hash'))
    )
    with op.batch_alter_table('company_feed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_feed_tokens_company_id'), ['company_id'], unique=False)

    # Feed tokens of company users move over (their hashes stay valid); nothing else.
    feed_rows = ("SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                 "WHERE t.label = :label AND u.company_id IS NOT NULL")
    op.execute(sa.text(
        "INSERT INTO company_feed_tokens "
        "(company_id, token_hash, created_by_id, created_at, last_used_at, revoked_at) "
        "SELECT u.company_id, t.token_hash, t.user_id, t.created_at, t.last_used_at, "
        "t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
        f"WHERE t.id IN ({feed_rows})"
    ).bindparams(label=FEED_LABEL))
    op.execute(sa.text(f"DELETE FROM api_tokens WHERE id IN ({feed_rows})")
               .bindparams(label=FEED_LABEL))


def downgrade():
    op.execute(sa.text(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at, last_used_at, "
        "revoked_at) SELECT created_by_id, token_hash, :label, created_at, last_used_at, "
        "revoked_at FROM company_feed_tokens WHERE created_by_id IS NOT NULL"
    ).bindparams(label=FEED_LABEL))
    with op.batch_alter_table('company_feed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_feed_tokens_company_id'))

    op.drop_table('company_feed_tokens')
