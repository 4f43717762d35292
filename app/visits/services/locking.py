"""The slots' lock and what may only be done under it: counting places, numbering the
waitlist, leaving it and filling freed places (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.extensions import db
from app.locks import close_waitlist_gap, lock_rows
from app.visits import notifications
from app.visits.codes import HOLDS_PLACE
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from app.visits.services.rules import VisitError


def lock_slots(slot_ids: Iterable[int]) -> dict[int, VisitSlot]:
    """Take the lock for changing these slots' classes, and re-read them."""
    return lock_rows(VisitSlot, slot_ids)


def lock_registration(registration: VisitRegistration,
                       extra: Sequence[int] = ()) -> dict[int, VisitSlot]:
    """Lock the slots of the registration's classes (and ``extra`` ones) and re-read the
    registration and its classes; if a class moved meanwhile, lock again."""
    for _ in range(3):
        wanted = {visit.slot_id for visit in registration.classes} | set(extra)
        locked = lock_slots(wanted)
        db.session.refresh(registration)
        for visit in registration.classes:
            db.session.refresh(visit)
        if {visit.slot_id for visit in registration.classes} <= set(locked):
            return locked
    raise VisitError("busy", str(_l("The registration changed meanwhile. Please try again.")))


def queue_empty(slot: VisitSlot) -> bool:
    return waitlist_length(slot) == 0


def waitlist_length(slot: VisitSlot) -> int:
    return db.session.execute(
        select(func.count()).select_from(ClassVisit)
        .where(ClassVisit.slot_id == slot.id, ClassVisit.status == "waitlisted")
    ).scalar_one()


def take_places(visit: ClassVisit, slot: VisitSlot, *, confirmed: bool) -> None:
    """Give ``visit`` its places in ``slot``."""
    visit.status = "confirmed" if confirmed else "unconfirmed"
    visit.waitlist_position = None
    visit.slot_id = slot.id
    db.session.flush()
    count_places(slot, visit.pupils, int(visit.by_bus))


def count_places(slot: VisitSlot, pupils: int, buses: int) -> None:
    """Change the counters in SQL (``pupils_taken = pupils_taken + n``), so that the
    CHECK constraints see the real count even if a lock were missing."""
    db.session.execute(
        update(VisitSlot).where(VisitSlot.id == slot.id)
        .values(pupils_taken=VisitSlot.pupils_taken + pupils,
                buses_taken=VisitSlot.buses_taken + buses)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(slot, ["pupils_taken", "buses_taken"])


def leave(visit: ClassVisit, slot: VisitSlot, status: str, now: datetime,
           **stamps: object) -> None:
    """Give up the class's places or waitlist position and set its new ``status``."""
    position = visit.waitlist_position if visit.status == "waitlisted" else None
    held = visit.status in HOLDS_PLACE
    visit.status, visit.waitlist_position, visit.changed_at = status, None, now
    for name, value in stamps.items():
        setattr(visit, name, value)
    db.session.flush()
    if held:
        count_places(slot, -visit.pupils, -int(visit.by_bus))
    if position is not None:
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, slot.id, position)


def fill_places(slot: VisitSlot, now: datetime) -> list[ClassVisit]:
    """Promote the head of the slot's waitlist while it fits."""
    promoted = []
    while True:
        head = db.session.execute(
            select(ClassVisit).where(ClassVisit.slot_id == slot.id,
                                     ClassVisit.status == "waitlisted",
                                     ClassVisit.waitlist_position == 1)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if head is None or not slot.fits(head.pupils, head.by_bus):
            break
        head.waitlist_position = None
        take_places(head, slot, confirmed=head.registration.confirmed_at is not None)
        head.changed_at = now
        head.sequence += 1
        db.session.flush()
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, slot.id, 1)
        notifications.class_changed(head, "promoted", now)
        promoted.append(head)
    return promoted
