"""class visits

Slots for school classes at a fair, teachers' registrations (no account: confirmed by a
mailed link, only its hash is kept) and the classes in their slots. The slots count the
pupils and bus bays their classes hold; CHECKs keep the counts within capacity.

Revision ID: 82246f4a3edc
Revises: 1ade7ca525de
Create Date: 2026-12-04 16:08:54.637288

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '82246f4a3edc'
down_revision = '1ade7ca525de'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('school_name', sa.String(length=200), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hold_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("language IN ('de', 'en')", name=op.f('ck_visit_registrations_language')),
    sa.CheckConstraint('NOT (confirmed_at IS NOT NULL AND expired_at IS NOT NULL)', name=op.f('ck_visit_registrations_confirmed_or_expired')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_visit_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_visit_registrations_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_registrations'))
    )
    with op.batch_alter_table('visit_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_registrations_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_visit_registrations_unconfirmed', ['confirmed_at', 'expired_at', 'hold_expires_at'], unique=False)

    op.create_table('visit_setups',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_visit_setups_window')),
    sa.CheckConstraint('reminder_days BETWEEN 0 AND 14', name=op.f('ck_visit_setups_reminder_days')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_visit_setups_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_visit_setups'))
    )
    op.create_table('visit_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('bus_bays', sa.Integer(), nullable=True),
    sa.Column('pupils_taken', sa.Integer(), nullable=False),
    sa.Column('buses_taken', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('bus_bays IS NULL OR bus_bays BETWEEN 0 AND 100', name=op.f('ck_visit_slots_bus_bays')),
    sa.CheckConstraint('buses_taken >= 0 AND (bus_bays IS NULL OR buses_taken <= bus_bays)', name=op.f('ck_visit_slots_buses_taken')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 5000', name=op.f('ck_visit_slots_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_visit_slots_ends_after_start')),
    sa.CheckConstraint('pupils_taken >= 0 AND pupils_taken <= capacity', name=op.f('ck_visit_slots_pupils_taken')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_visit_slots_sequence')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_visit_slots_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_slots')),
    sa.UniqueConstraint('event_id', 'starts_at', 'ends_at', name='uq_visit_slots_event_id_starts_at_ends_at'),
    sa.UniqueConstraint('id', 'event_id', name='uq_visit_slots_id_event_id')
    )
    with op.batch_alter_table('visit_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_slots_event_id'), ['event_id'], unique=False)

    op.create_table('class_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('class_name', sa.String(length=40), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('pupils', sa.Integer(), nullable=False),
    sa.Column('teacher_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('by_bus', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f('ck_class_visits_cancelled_at')),
    sa.CheckConstraint("(status = 'waitlisted' AND waitlist_position >= 1) OR (status <> 'waitlisted' AND waitlist_position IS NULL)", name=op.f('ck_class_visits_waitlist_position')),
    sa.CheckConstraint("status IN ('unconfirmed', 'confirmed', 'waitlisted', 'cancelled', 'expired')", name=op.f('ck_class_visits_status')),
    sa.CheckConstraint('grade BETWEEN 5 AND 13', name=op.f('ck_class_visits_grade')),
    sa.CheckConstraint('pupils BETWEEN 1 AND 200', name=op.f('ck_class_visits_pupils')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_class_visits_sequence')),
    sa.ForeignKeyConstraint(['registration_id'], ['visit_registrations.id'], name=op.f('fk_class_visits_registration_id_visit_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id', 'event_id'], ['visit_slots.id', 'visit_slots.event_id'], name='fk_class_visits_slot_event', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_visits')),
    sa.UniqueConstraint('slot_id', 'waitlist_position', name='uq_class_visits_slot_waitlist')
    )
    with op.batch_alter_table('class_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_visits_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_visits_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('ix_class_visits_slot_status', ['slot_id', 'status'], unique=False)

    op.create_table('visit_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['visit_registrations.id'], name=op.f('fk_visit_links_registration_id_visit_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_visit_links_token_hash'))
    )
    with op.batch_alter_table('visit_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_links_registration_id'), ['registration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visit_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_links_registration_id'))

    op.drop_table('visit_links')
    with op.batch_alter_table('class_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_class_visits_slot_status')
        batch_op.drop_index(batch_op.f('ix_class_visits_registration_id'))
        batch_op.drop_index(batch_op.f('ix_class_visits_event_id'))

    op.drop_table('class_visits')
    with op.batch_alter_table('visit_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_slots_event_id'))

    op.drop_table('visit_slots')
    op.drop_table('visit_setups')
    with op.batch_alter_table('visit_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_registrations_unconfirmed')
        batch_op.drop_index(batch_op.f('ix_visit_registrations_event_id'))

    op.drop_table('visit_registrations')
