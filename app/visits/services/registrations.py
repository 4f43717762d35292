"""Teachers' registrations and the changes of a class: register, confirm, change, move,
cancel, and the scheduler's part (expired holds, a cancelled fair)."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.locks import close_waitlist_gap
from app.reference.models import Municipality
from app.time import as_utc
from app.visits import notifications
from app.visits.codes import (
    ACTIVE_STATUSES,
    HOLD_FOR,
    MAX_CLASSES_PER_REGISTRATION,
)
from app.visits.links import issue_link
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from app.visits.notifications import Occasion
from app.visits.services.locking import (
    count_places,
    fill_places,
    leave,
    lock_registration,
    lock_slots,
    queue_empty,
    take_places,
    waitlist_length,
)
from app.visits.services.rules import (
    ClassData,
    RegistrationData,
    VisitError,
    VisitInvalid,
    check_class,
    check_window,
    full_message,
    registration_open,
    require_manager,
    slots_of,
)


def _check_registration(data: RegistrationData) -> tuple[str, Municipality, list[ClassData]]:
    """The teacher's address, school, town and classes, checked (``VisitInvalid``)."""
    try:
        email = validate_email(data.email or "", check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise VisitInvalid(str(_l("Please enter a valid e-mail address.")), "email") from error
    school = (data.school_name or "").strip()
    if not school or len(school) > 200 or any(ord(char) < 32 for char in school):
        raise VisitInvalid(str(_l("Please enter the school's name (up to 200 characters).")),
                           "school_name")
    municipality = db.session.get(Municipality, data.municipality_id) \
        if isinstance(data.municipality_id, int) and 0 < data.municipality_id < 2**31 else None
    if municipality is None:
        raise VisitInvalid(str(_l("Please choose the school's town from the list.")),
                           "municipality_id")
    if not 1 <= len(data.classes) <= MAX_CLASSES_PER_REGISTRATION:
        raise VisitInvalid(str(_l("Classes per registration: 1 to %(max)s.",
                                  max=MAX_CLASSES_PER_REGISTRATION)), "classes")
    classes = [check_class(item, f"classes-{index}-") for index, item in
               enumerate(data.classes)]
    return email, municipality, classes


def register(event: Event, data: RegistrationData, now: datetime) \
        -> tuple[VisitRegistration, str]:
    """A teacher registers classes. Each class holds places in its slot at once (while the
    slot's waitlist is empty and the class fits), else it joins the slot's waitlist when
    the teacher asked for that, else nothing is stored and the error names the slot.

    The places are held until ``HOLD_FOR`` has passed; the mailed link confirms them.
    Returns the registration and its first link token (for the mail; never shown on a
    page, or anyone could confirm any address).
    """
    email, municipality, classes = _check_registration(data)
    language = data.language if data.language in ("de", "en") else "de"
    locked = lock_slots(item.slot_id for item in classes)
    for index, item in enumerate(classes):
        slot = locked.get(item.slot_id)
        if slot is None or slot.event_id != event.id:
            raise VisitInvalid(str(_l("Please choose one of the offered slots.")),
                               f"classes-{index}-slot_id")
        if now >= slot.starts_at:
            raise VisitInvalid(str(_l("This slot has already begun.")),
                               f"classes-{index}-slot_id")
    check_window(event, now)
    registration = VisitRegistration(
        event_id=event.id, email=email, school_name=data.school_name.strip(),
        municipality_id=municipality.id, language=language, created_at=now,
        hold_expires_at=now + HOLD_FOR)
    db.session.add(registration)
    db.session.flush()
    for index, item in enumerate(classes):
        slot = locked[item.slot_id]
        visit = ClassVisit(
            event_id=event.id, slot_id=slot.id, class_name=item.class_name,
            grade=item.grade, pupils=item.pupils, teacher_name=item.teacher_name,
            phone=item.phone, by_bus=item.by_bus, created_at=now, changed_at=now,
            sequence=0, status="waitlisted")
        fits = queue_empty(slot) and slot.fits(item.pupils, item.by_bus)
        if not fits and not data.join_waitlist:
            raise VisitError("full", full_message(slot, item.pupils, item.by_bus),
                             f"classes-{index}-slot_id")
        if not fits:
            visit.waitlist_position = waitlist_length(slot) + 1
        registration.classes.append(visit)
        db.session.flush()
        if fits:
            take_places(visit, slot, confirmed=False)
    db.session.flush()
    token = issue_link(registration, now)
    notifications.registration_received(registration, token, now)
    return registration, token


def confirm(registration: VisitRegistration, now: datetime) -> bool:
    """The teacher confirms the address through the link: the held classes are confirmed.
    Returns False when it was confirmed already (a second click changes nothing)."""
    lock_registration(registration)
    if registration.confirmed_at is not None:
        return False
    if registration.expired_at is not None or now >= registration.hold_expires_at:
        raise VisitError("expired", str(_l(
            "This registration was not confirmed in time and has expired; its places are "
            "free again. Please register anew.")))
    registration.confirmed_at = now
    for visit in registration.classes:
        if visit.status == "unconfirmed":
            visit.status, visit.changed_at = "confirmed", now
    db.session.flush()
    token = issue_link(registration, now)
    notifications.registration_confirmed(registration, token, now)
    return True


def _require_changeable(visit: ClassVisit, now: datetime, actor: User | None) -> None:
    registration = visit.registration
    if actor is not None:
        require_manager(actor, registration.event)
    elif registration.confirmed_at is None:
        raise VisitError("unconfirmed", str(_l("Please confirm the registration first.")))
    if visit.status not in ACTIVE_STATUSES:
        raise VisitError("not_active", str(_l("This class is no longer registered.")))
    if actor is None and now >= visit.slot.starts_at:
        raise VisitError("begun", str(_l("The visit has begun; please call the organiser.")))


def change_class(visit: ClassVisit, data: ClassData, now: datetime) -> ClassVisit:
    """The teacher changes a class's numbers (pupils, bus, teacher, phone, name). More
    pupils or a bus need room in the slot and an open registration; fewer free room,
    which goes to the waitlist."""
    lock_registration(visit.registration)
    _require_changeable(visit, now, None)
    data = check_class(data)
    slot = visit.slot
    more = data.pupils - visit.pupils if visit.holds_place else 0
    bus = (int(data.by_bus) - int(visit.by_bus)) if visit.holds_place else 0
    if (more > 0 or bus > 0) and not registration_open(visit.registration.event, now):
        raise VisitError("closed", str(_l("Registration has closed: the class can only get "
                                          "smaller now. Please call the organiser.")))
    if more > slot.places_free:
        raise VisitInvalid(ngettext("The slot has room for only %(num)d more pupil.",
                                    "The slot has room for only %(num)d more pupils.",
                                    max(slot.places_free, 0)), "pupils")
    if bus > 0 and slot.bus_bays is not None and slot.buses_taken >= slot.bus_bays:
        raise VisitInvalid(str(_l("All bus bays of this slot are taken.")), "by_bus")
    visit.pupils, visit.by_bus = data.pupils, data.by_bus
    visit.teacher_name, visit.phone, visit.class_name = (data.teacher_name, data.phone,
                                                         data.class_name)
    visit.changed_at = now
    db.session.flush()
    if more or bus:
        count_places(slot, more, bus)
    notifications.class_changed(visit, "updated", now)
    fill_places(slot, now)
    return visit


def move_class(visit: ClassVisit, target: VisitSlot, now: datetime,
               actor: User | None = None) -> ClassVisit:
    """Move a class to another slot of its fair: the teacher (``actor`` None) while
    registration is open and only into a slot without a waitlist, an organiser at any
    time. The class must fit; the place it leaves goes to the old slot's waitlist."""
    if target.event_id != visit.event_id:
        raise VisitInvalid(str(_l("Please choose one of the offered slots.")), "slot_id")
    locked = lock_registration(visit.registration, [target.id])
    source, target = locked[visit.slot_id], locked[target.id]
    _require_changeable(visit, now, actor)
    if source.id == target.id:
        return visit
    if actor is None:
        check_window(visit.registration.event, now)
        if now >= target.starts_at:
            raise VisitInvalid(str(_l("This slot has already begun.")), "slot_id")
    if (actor is None and not queue_empty(target)) or not target.fits(visit.pupils,
                                                                       visit.by_bus):
        raise VisitError("full", full_message(target, visit.pupils, visit.by_bus), "slot_id")
    position = visit.waitlist_position
    if visit.holds_place:
        count_places(source, -visit.pupils, -int(visit.by_bus))
    visit.waitlist_position = None
    take_places(visit, target, confirmed=visit.registration.confirmed_at is not None)
    visit.sequence += 1
    visit.changed_at = now
    db.session.flush()
    if position is not None:
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, source.id, position)
    notifications.class_changed(visit, "moved" if actor else "updated", now,
                                Occasion(moved_from=source))
    fill_places(source, now)
    return visit


def cancel_class(visit: ClassVisit, now: datetime, actor: User | None = None) -> ClassVisit:
    """Cancel a class (the teacher before the visit begins, an organiser at any time);
    its place goes to the head of the waitlist at once."""
    lock_registration(visit.registration)
    _require_changeable(visit, now, actor)
    slot = visit.slot
    leave(visit, slot, "cancelled", now, cancelled_at=now)
    visit.sequence += 1
    db.session.flush()
    notifications.class_changed(visit, "cancelled_by_organiser" if actor else "cancelled",
                                now)
    fill_places(slot, now)
    return visit


def expire_holds(now: datetime) -> int:
    """Unconfirmed registrations whose hold has run out: their classes expire, their
    places go to the waitlists. Safe to run in two processes at once (each registration
    is re-checked under its slots' lock). Returns how many registrations expired."""
    due = db.session.execute(
        select(VisitRegistration).where(VisitRegistration.confirmed_at.is_(None),
                                        VisitRegistration.expired_at.is_(None),
                                        VisitRegistration.hold_expires_at <= now)
        .order_by(VisitRegistration.id)
    ).scalars().all()
    expired = 0
    for registration in due:
        locked = lock_registration(registration)
        if registration.confirmed_at is not None or registration.expired_at is not None:
            continue
        registration.expired_at = now
        # The back of each waitlist first, so that nobody behind has to move up twice.
        for visit in sorted(registration.classes,
                            key=lambda item: -(item.waitlist_position or 0)):
            if visit.status in ACTIVE_STATUSES:
                leave(visit, locked[visit.slot_id], "expired", now)
        db.session.flush()
        for slot in locked.values():
            fill_places(slot, now)
        expired += 1
    return expired


def event_cancelled(event: Event, now: datetime) -> int:
    """A cancelled fair takes its class visits with it: every active class is cancelled
    and each confirmed teacher told once (while the fair is not over). Does nothing
    unless the fair is cancelled. Returns how many messages were queued."""
    if event.status != "cancelled":
        return 0
    locked = lock_slots(slot.id for slot in slots_of(event))
    visits = db.session.execute(
        select(ClassVisit).where(ClassVisit.event_id == event.id,
                                 ClassVisit.status.in_(ACTIVE_STATUSES))
        .execution_options(populate_existing=True)
    ).scalars().all()
    registrations = {}
    for visit in sorted(visits, key=lambda item: (-(item.waitlist_position or 0), item.id)):
        leave(visit, locked[visit.slot_id], "cancelled", now, cancelled_at=now)
        visit.sequence += 1
        registrations[visit.registration_id] = visit.registration
    db.session.flush()
    if as_utc(event.ends_at) <= now:
        return 0
    return sum(notifications.fair_cancelled(registration, now)
               for registration in registrations.values())
