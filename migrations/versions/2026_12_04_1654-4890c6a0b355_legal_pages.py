"""legal pages

Revision ID: 4890c6a0b355
Revises: 4b8111cd6f7c
Create Date: 2026-12-04 16:54:59.670198

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4890c6a0b355'
down_revision = '4b8111cd6f7c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('legal_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('de', 'en')", name=op.f('ck_legal_pages_language')),
    sa.CheckConstraint("slug IN ('impressum', 'datenschutz', 'barrierefreiheit', 'kontakt')", name=op.f('ck_legal_pages_slug')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_legal_pages_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_pages')),
    sa.UniqueConstraint('slug', 'language', name='uq_legal_pages_slug_language')
    )


def downgrade():
    op.drop_table('legal_pages')
