"""booth allocation, waitlist offers, stands and billing

Fairs may allocate places by lottery (applications, priority groups, industry quotas, a
published seed) and offer freed places for a limited time; bookings get the organiser's
reason, the offer's deadline, a stand number (once per fair), billing details and the
drawn position. Running fairs keep confirming freed places at once (``waitlist_mode``
'confirm'); new ones offer them.

Revision ID: c3f9a8e2d514
Revises: b7e2c4a91d10
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f9a8e2d514'
down_revision = 'b7e2c4a91d10'
branch_labels = None
depends_on = None

OLD_ACTIVE = "status IN ('confirmed', 'pending', 'waitlisted')"
NEW_ACTIVE = "status IN ('confirmed', 'pending', 'waitlisted', 'offered', 'applied')"
OLD_STATUSES = "status IN ('confirmed', 'pending', 'waitlisted', 'rejected', 'cancelled')"
NEW_STATUSES = ("status IN ('confirmed', 'pending', 'offered', 'waitlisted', 'applied', "
                "'rejected', 'cancelled', 'declined', 'expired')")


def upgrade():
    with op.batch_alter_table('booth_setups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocation', sa.String(length=12),
                                      server_default='first_come', nullable=False))
        batch_op.add_column(sa.Column('priority_groups', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('lottery_seed', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('allocated_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('waitlist_mode', sa.String(length=8),
                                      server_default='confirm', nullable=False))
        batch_op.add_column(sa.Column('offer_hours', sa.Integer(), server_default='48',
                                      nullable=False))
        batch_op.create_check_constraint(
            'allocation', "allocation IN ('first_come', 'lottery')")
        batch_op.create_check_constraint(
            'waitlist_mode', "waitlist_mode IN ('offer', 'confirm')")
        batch_op.create_check_constraint('offer_hours', 'offer_hours BETWEEN 1 AND 336')
    op.execute("UPDATE booth_setups SET priority_groups = '[]'")
    with op.batch_alter_table('booth_setups', schema=None) as batch_op:
        batch_op.alter_column('priority_groups', existing_type=sa.JSON(), nullable=False)

    op.create_table('booth_quotas',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('industry_code', sa.String(length=12), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.CheckConstraint('places >= 1', name=op.f('ck_booth_quotas_places')),
    sa.ForeignKeyConstraint(['event_id'], ['booth_setups.event_id'], name=op.f('fk_booth_quotas_event_id_booth_setups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['industry_code'], ['industries.code'], name=op.f('fk_booth_quotas_industry_code_industries')),
    sa.PrimaryKeyConstraint('event_id', 'industry_code', name=op.f('pk_booth_quotas'))
    )
    op.create_table('network_members',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_network_members_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_network_members_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'company_id', name=op.f('pk_network_members'))
    )

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_company_event', sqlite_where=sa.text(OLD_ACTIVE),
                            postgresql_where=sa.text(OLD_ACTIVE))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('offer_reminded_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('stand', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('invoice_address', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('order_number', sa.String(length=60), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('draw_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('draw_group', sa.String(length=12), nullable=True))
        batch_op.drop_constraint(op.f('ck_bookings_status'), type_='check')
        batch_op.create_check_constraint('status', NEW_STATUSES)
        batch_op.create_check_constraint(
            'offer_expires_at', "status <> 'offered' OR offer_expires_at IS NOT NULL")
        batch_op.create_unique_constraint('uq_bookings_event_stand', ['event_id', 'stand'])
        batch_op.create_index(batch_op.f('ix_bookings_offer_expires_at'), ['offer_expires_at'],
                              unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('uq_bookings_active_company_event', ['company_id', 'event_id'],
                              unique=True, sqlite_where=sa.text(NEW_ACTIVE),
                              postgresql_where=sa.text(NEW_ACTIVE))


def downgrade():
    op.execute("DELETE FROM bookings WHERE status IN ('offered', 'applied', 'declined', "
               "'expired')")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_company_event', sqlite_where=sa.text(NEW_ACTIVE),
                            postgresql_where=sa.text(NEW_ACTIVE))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_offer_expires_at'))
        batch_op.drop_constraint('uq_bookings_event_stand', type_='unique')
        batch_op.drop_constraint(op.f('ck_bookings_offer_expires_at'), type_='check')
        batch_op.drop_constraint(op.f('ck_bookings_status'), type_='check')
        batch_op.create_check_constraint('status', OLD_STATUSES)
        batch_op.drop_column('draw_group')
        batch_op.drop_column('draw_position')
        batch_op.drop_column('order_number')
        batch_op.drop_column('invoice_address')
        batch_op.drop_column('stand')
        batch_op.drop_column('offer_reminded_at')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('reason')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('uq_bookings_active_company_event', ['company_id', 'event_id'],
                              unique=True, sqlite_where=sa.text(OLD_ACTIVE),
                              postgresql_where=sa.text(OLD_ACTIVE))
    op.drop_table('network_members')
    op.drop_table('booth_quotas')
    with op.batch_alter_table('booth_setups', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booth_setups_offer_hours'), type_='check')
        batch_op.drop_constraint(op.f('ck_booth_setups_waitlist_mode'), type_='check')
        batch_op.drop_constraint(op.f('ck_booth_setups_allocation'), type_='check')
        batch_op.drop_column('offer_hours')
        batch_op.drop_column('waitlist_mode')
        batch_op.drop_column('allocated_at')
        batch_op.drop_column('lottery_seed')
        batch_op.drop_column('priority_groups')
        batch_op.drop_column('allocation')
