"""outbox templates

A message may be queued as a template with its parameters and rendered after the
commit: subject and body stay empty until then.

Revision ID: b7e2c4a91d10
Revises: fceebfe15df2
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4a91d10'
down_revision = 'fceebfe15df2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.alter_column('subject', existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=True)
        batch_op.create_check_constraint(
            'rendered_or_template',
            'template IS NOT NULL OR (subject IS NOT NULL AND body IS NOT NULL)')


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE body IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_messages_rendered_or_template', type_='check')
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch_op.alter_column('subject', existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column('params')
        batch_op.drop_column('template')
