"""change notices

Subscriptions to change notices by e-mail (double opt-in), the immediate notices' place in
the events' history, and extra header lines (List-Unsubscribe) for outbox messages.

Revision ID: 1ade7ca525de
Revises: 4890c6a0b355
Create Date: 2026-12-04 16:40:52.253921

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1ade7ca525de'
down_revision = '4890c6a0b355'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_change_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_progress'))
    )
    op.create_table('notice_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=24), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('selection', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmations_sent', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('digest_since', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("language IN ('de', 'en')", name=op.f('ck_notice_subscriptions_language')),
    sa.CheckConstraint('confirmations_sent >= 0', name=op.f('ck_notice_subscriptions_confirmations_sent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_subscriptions')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_notice_subscriptions_confirm_hash')),
    sa.UniqueConstraint('email', 'selection', name='uq_notice_subscriptions_email_selection'),
    sa.UniqueConstraint('handle', name=op.f('uq_notice_subscriptions_handle'))
    )
    with op.batch_alter_table('notice_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_subscriptions_confirmed_at'), ['confirmed_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('headers')

    with op.batch_alter_table('notice_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_subscriptions_confirmed_at'))

    op.drop_table('notice_subscriptions')
    op.drop_table('notice_progress')
