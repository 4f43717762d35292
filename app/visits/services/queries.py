"""Reading a fair's class visits: the organisers' lists and plan, and the public offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.calendar.models import Event
from app.extensions import db
from app.i18n import format_deadline
from app.visits.codes import ACTIVE_STATUSES
from app.visits.labels import local_span
from app.visits.models import ClassVisit, VisitRegistration, VisitSetup, VisitSlot
from app.visits.services.rules import (
    registration_open,
    setup_of,
    slots_of,
)


def active_classes(slot_ids: Sequence[int]) -> list[ClassVisit]:
    return list(db.session.execute(
        select(ClassVisit).where(ClassVisit.slot_id.in_(slot_ids),
                                 ClassVisit.status.in_(ACTIVE_STATUSES))
        .order_by(ClassVisit.id)
    ).scalars())


def event_classes(event: Event, statuses: Sequence[str] | None = None) -> Select:
    """The classes of a fair for its organisers: by slot, then places before the
    waitlist, then arrival."""
    query = select(ClassVisit).join(VisitSlot, ClassVisit.slot_id == VisitSlot.id) \
        .where(ClassVisit.event_id == event.id)
    if statuses:
        query = query.where(ClassVisit.status.in_(statuses))
    return query.options(
        selectinload(ClassVisit.registration).selectinload(VisitRegistration.municipality),
        selectinload(ClassVisit.slot),
    ).order_by(VisitSlot.starts_at, VisitSlot.id, ClassVisit.status == "waitlisted",
               ClassVisit.waitlist_position, ClassVisit.id)


def visitor_plan(event: Event, statuses: Sequence[str] = ACTIVE_STATUSES) \
        -> list[tuple[VisitSlot, list[ClassVisit]]]:
    """Each slot with its classes (holding places first, then the waitlist)."""
    classes = db.session.execute(event_classes(event, statuses)).scalars().all()
    by_slot: dict[int, list[ClassVisit]] = {}
    for visit in classes:
        by_slot.setdefault(visit.slot_id, []).append(visit)
    return [(slot, by_slot.get(slot.id, [])) for slot in slots_of(event)]


def waitlist_lengths(event: Event) -> dict[int, int]:
    """Slot id → classes waiting, in one query."""
    rows = db.session.execute(
        select(ClassVisit.slot_id, func.count()).where(ClassVisit.event_id == event.id,
                                                       ClassVisit.status == "waitlisted")
        .group_by(ClassVisit.slot_id)
    ).all()
    return {slot_id: count for slot_id, count in rows}


def event_visit(event: Event, visit_id: int) -> ClassVisit | None:
    """A class of ``event`` by id (None for another fair's or a forged id)."""
    visit = db.session.get(ClassVisit, visit_id) if 0 < visit_id < 2**31 else None
    return visit if visit is not None and visit.event_id == event.id else None


def event_slot(event: Event, slot_id: int) -> VisitSlot | None:
    slot = db.session.get(VisitSlot, slot_id) if 0 < slot_id < 2**31 else None
    return slot if slot is not None and slot.event_id == event.id else None


@dataclass(frozen=True)
class OfferedSlot:
    """A slot as the public event page shows it (the time in the visitor's language)."""

    id: int
    when: str
    capacity: int
    places_free: int
    bus_bays_free: int | None
    waiting: int
    begun: bool


@dataclass(frozen=True)
class Offer:
    """What the public event page shows of a fair's class visits."""

    setup: VisitSetup
    slots: list[OfferedSlot]
    open: bool
    opens: str
    closes: str
    not_yet: bool


def public_offer(event: Event, now: datetime) -> Offer | None:
    """The fair's slots with their free places, or None when it takes no classes."""
    setup = setup_of(event)
    slots = slots_of(event) if setup is not None else []
    if not slots:
        return None
    waiting = waitlist_lengths(event)
    return Offer(setup=setup, open=registration_open(event, now),
                 opens=local_span(setup.opens_at), closes=format_deadline(setup.closes_at),
                 not_yet=now < setup.opens_at, slots=[OfferedSlot(
        id=slot.id, when=local_span(slot.starts_at, slot.ends_at), capacity=slot.capacity,
        places_free=slot.places_free, bus_bays_free=slot.bus_bays_free,
        waiting=waiting.get(slot.id, 0), begun=now >= slot.starts_at) for slot in slots])
