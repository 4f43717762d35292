"""company requests: a company asks for access and waits for approval

Revision ID: 4b8111cd6f7c
Revises: 91f187673904
Create Date: 2026-12-04 16:43:43.765794

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b8111cd6f7c'
down_revision = '91f187673904'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('de', 'en')", name=op.f('ck_company_requests_language')),
    sa.CheckConstraint("status IN ('unconfirmed', 'pending', 'approved', 'rejected')", name=op.f('ck_company_requests_status')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_requests_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_company_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_company_requests_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_requests'))
    )
    with op.batch_alter_table('company_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_requests_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_company_requests_status'), ['status'], unique=False)

    with op.batch_alter_table('link_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_link_tokens_company_request_id'), ['company_request_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_link_tokens_company_request_id_company_requests'), 'company_requests', ['company_request_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('link_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_link_tokens_company_request_id_company_requests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_link_tokens_company_request_id'))
        batch_op.drop_column('company_request_id')

    with op.batch_alter_table('company_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_requests_status'))
        batch_op.drop_index(batch_op.f('ix_company_requests_email'))

    op.drop_table('company_requests')
