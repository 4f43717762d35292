"""A fair's class-visit set-up and its slots, kept by the organisers."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.time import as_utc
from app.versions import bump_if_changed, check_version
from app.visits import notifications
from app.visits.codes import (
    MAX_BUS_BAYS,
    MAX_INSTRUCTIONS,
    MAX_REMINDER_DAYS,
    MAX_SLOT_CAPACITY,
)
from app.visits.labels import local_span
from app.visits.models import ClassVisit, VisitSetup, VisitSlot
from app.visits.services.locking import (
    fill_places,
    lock_slots,
)
from app.visits.services.queries import active_classes
from app.visits.services.rules import (
    SetupData,
    SlotData,
    VisitError,
    VisitInvalid,
    require_manager,
    setup_of,
)


def configure(event: Event, actor: User, data: SetupData, now: datetime) -> VisitSetup:
    """Create or change the fair's class-visit registration window and reminder."""
    require_manager(actor, event)
    if data.closes_at <= data.opens_at:
        raise VisitInvalid(str(_l("Registration must close after it opens.")), "closes_at")
    if data.closes_at > as_utc(event.starts_at):
        raise VisitInvalid(str(_l("Registration must close before the fair begins.")),
                           "closes_at")
    if not isinstance(data.reminder_days, int) or not 0 <= data.reminder_days <= \
            MAX_REMINDER_DAYS:
        raise VisitInvalid(str(_l("Days before the visit for the reminder: 0 to %(max)s (0: none).",
                                  max=MAX_REMINDER_DAYS)), "reminder_days")
    if len(data.instructions) > MAX_INSTRUCTIONS:
        raise VisitInvalid(str(_l("Notes for schools may have up to 2000 characters.")),
                           "instructions")
    setup = setup_of(event)
    if setup is None:
        setup = VisitSetup(event_id=event.id, created_at=now)
        db.session.add(setup)
    setup.opens_at, setup.closes_at = as_utc(data.opens_at), as_utc(data.closes_at)
    setup.reminder_days = data.reminder_days
    setup.instructions = data.instructions.strip()
    setup.updated_at = now
    db.session.flush()
    return setup


def close_registration(event: Event, actor: User, now: datetime) -> VisitSetup:
    """Close registration now (teachers' changes that need places stop too)."""
    require_manager(actor, event)
    setup = setup_of(event)
    if setup is None or not setup.is_open(now):
        raise VisitError("not_open", str(_l("Registration is not open.")))
    setup.closes_at, setup.updated_at = now, now
    db.session.flush()
    return setup


def add_slot(event: Event, actor: User, data: SlotData, now: datetime) -> VisitSlot:
    require_manager(actor, event)
    _check_slot(event, data, None)
    slot = VisitSlot(event_id=event.id, starts_at=as_utc(data.starts_at),
                     ends_at=as_utc(data.ends_at), capacity=data.capacity,
                     bus_bays=data.bus_bays, pupils_taken=0, buses_taken=0, sequence=0,
                     created_at=now)
    db.session.add(slot)
    db.session.flush()
    return slot


def update_slot(slot: VisitSlot, actor: User, data: SlotData, now: datetime, *,
                version: int | None = None) -> VisitSlot:
    """Change a slot. More room goes to its waitlist at once; less room than its classes
    hold is refused; new times are sent to the classes' teachers. ``version``: the one
    the user's copy had; a stale copy raises VersionConflict."""
    event = db.session.get(Event, slot.event_id)
    require_manager(actor, event)
    slot = lock_slots([slot.id])[slot.id]
    check_version(slot, version)
    _check_slot(event, data, slot)
    if data.capacity < slot.pupils_taken:
        raise VisitInvalid(ngettext(
            "%(num)d pupil is already registered; the capacity cannot be lower.",
            "%(num)d pupils are already registered; the capacity cannot be lower.",
            slot.pupils_taken), "capacity")
    if data.bus_bays is not None and data.bus_bays < slot.buses_taken:
        raise VisitInvalid(ngettext(
            "%(num)d bus is already registered; there cannot be fewer bus bays.",
            "%(num)d buses are already registered; there cannot be fewer bus bays.",
            slot.buses_taken), "bus_bays")
    moved = (as_utc(data.starts_at), as_utc(data.ends_at)) != (slot.starts_at, slot.ends_at)
    slot.starts_at, slot.ends_at = as_utc(data.starts_at), as_utc(data.ends_at)
    slot.capacity, slot.bus_bays = data.capacity, data.bus_bays
    if moved:
        slot.sequence += 1
        for visit in active_classes([slot.id]):
            visit.sequence += 1
            visit.changed_at = now
            notifications.class_changed(visit, "slot_changed", now)
    bump_if_changed(slot)
    db.session.flush()
    fill_places(slot, now)
    return slot


def delete_slot(slot: VisitSlot, actor: User) -> None:
    """Remove a slot that no class has ever been registered for."""
    event = db.session.get(Event, slot.event_id)
    require_manager(actor, event)
    used = db.session.execute(
        select(func.count()).select_from(ClassVisit).where(ClassVisit.slot_id == slot.id)
    ).scalar_one()
    if used:
        raise VisitError("in_use", str(_l("Classes are registered for this slot; it stays.")))
    db.session.delete(slot)
    db.session.flush()


def _check_slot(event: Event, data: SlotData, slot: VisitSlot | None) -> None:
    starts, ends = as_utc(data.starts_at), as_utc(data.ends_at)
    if ends <= starts:
        raise VisitInvalid(str(_l("The slot must end after it starts.")), "ends_at")
    if starts < as_utc(event.starts_at) or ends > as_utc(event.ends_at):
        raise VisitInvalid(str(_l("The slot must lie within the fair's opening hours "
                                  "(%(when)s).", when=local_span(event.starts_at,
                                                                 event.ends_at))), "starts_at")
    if not isinstance(data.capacity, int) or not 1 <= data.capacity <= MAX_SLOT_CAPACITY:
        raise VisitInvalid(str(_l("The capacity must be between 1 and %(max)s (pupils).",
                                  max=f"{MAX_SLOT_CAPACITY:,}".replace(",", "."))),
                           "capacity")
    if data.bus_bays is not None and not 0 <= data.bus_bays <= MAX_BUS_BAYS:
        raise VisitInvalid(str(_l("Bus bays must be between 0 and %(max)s (leave empty "
                                  "when buses are not limited).", max=MAX_BUS_BAYS)),
                           "bus_bays")
    same = db.session.execute(
        select(VisitSlot.id).where(VisitSlot.event_id == event.id,
                                   VisitSlot.starts_at == starts, VisitSlot.ends_at == ends)
    ).scalar_one_or_none()
    if same is not None and (slot is None or same != slot.id):
        raise VisitInvalid(str(_l("This fair already has a slot at that time.")), "starts_at")
