"""Class visits: a fair's set-up and slots, teachers' registrations (double opt-in), the
waitlist, and the changes teachers make through their link and organisers make on their
pages.

Organisers act as users (``actor``); a teacher acts through the registration their link
opened. Every function takes ``now``; they flush, the caller commits (after a
``VisitError`` the caller rolls back, as after any error).

Concurrency — the invariants are "the classes holding places in a slot never exceed its
pupils or its bus bays" and "a slot's waitlist is numbered 1..n in arrival order",
under any number of web workers, on SQLite and PostgreSQL:

* Every change of a slot's classes (register, confirm, expire, change, move, cancel,
  capacity change, promotion) first takes **the slots' lock** (``lock_slots``, see
  ``app.locks``: row locks in id order on PostgreSQL, BEGIN IMMEDIATE on SQLite) and
  only then reads the counts and decides.
* The counters ``pupils_taken`` and ``buses_taken`` change only by SQL arithmetic and
  CHECK constraints keep them within capacity, so the database has the last word even if
  code were wrong; waitlist positions are unique per slot.
* First come, first served: a new class gets places only while its slot's waitlist is
  empty and it fits; a freed place goes to the head of the waitlist, and only while the
  head fits (a large class at the head is not overtaken by smaller ones behind it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.calendar.models import Event
from app.calendar.services import can_edit
from app.errors import DomainError
from app.extensions import db
from app.i18n import format_deadline
from app.locks import close_waitlist_gap, lock_rows
from app.reference.models import Municipality
from app.time import as_utc
from app.versions import bump_if_changed, check_version
from app.visits import notifications
from app.visits.codes import (
    ACTIVE_STATUSES,
    HOLD_FOR,
    HOLDS_PLACE,
    MAX_BUS_BAYS,
    MAX_CLASSES_PER_REGISTRATION,
    MAX_GRADE,
    MAX_INSTRUCTIONS,
    MAX_PUPILS_PER_CLASS,
    MAX_REMINDER_DAYS,
    MAX_SLOT_CAPACITY,
    MIN_GRADE,
)
from app.visits.labels import local_span
from app.visits.links import issue_link
from app.visits.models import ClassVisit, VisitRegistration, VisitSetup, VisitSlot
from app.visits.notifications import Occasion

PHONE_CHARACTERS = re.compile(r"[0-9+()/.\- ]{3,40}")


class VisitError(DomainError):
    """A class-visit rule was broken: ``code`` is stable (API), the message is for people,
    ``field`` names the input at fault (or None for the whole request)."""

    status = 409

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message, field=field, code=code)


class VisitInvalid(VisitError):
    """The input breaks a rule (422 in the API)."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__("validation_failed", message, field)


class VisitDenied(VisitError):
    """The acting user may not do this."""

    status = 403

    def __init__(self, message: str | None = None):
        super().__init__("forbidden", message or str(_l(
            "Only the organisers of this fair can do this.")))


@dataclass
class SetupData:
    """The registration window (aware datetimes), the reminder and notes for schools."""

    opens_at: datetime
    closes_at: datetime
    reminder_days: int = 3
    instructions: str = ""


@dataclass
class SlotData:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    bus_bays: int | None = None


@dataclass
class ClassData:
    """One class as the teacher enters it."""

    slot_id: int
    grade: int
    pupils: int
    teacher_name: str
    phone: str
    by_bus: bool = False
    class_name: str = ""


@dataclass
class RegistrationData:
    email: str
    school_name: str
    municipality_id: int
    classes: list[ClassData] = field(default_factory=list)
    join_waitlist: bool = False
    language: str = "de"


# --- who may do what ---------------------------------------------------------------------


def can_manage(user: User | None, event: Event) -> bool:
    """The organisers of the event's organisation (and admins) run its class visits."""
    return can_edit(user, event)


def _require_manager(user: User | None, event: Event) -> None:
    if not can_manage(user, event):
        raise VisitDenied()


# --- set-up and slots --------------------------------------------------------------------


def setup_of(event: Event) -> VisitSetup | None:
    return db.session.get(VisitSetup, event.id)


def slots_of(event: Event) -> list[VisitSlot]:
    """The fair's slots in time order."""
    return list(db.session.execute(
        select(VisitSlot).where(VisitSlot.event_id == event.id)
        .order_by(VisitSlot.starts_at, VisitSlot.ends_at, VisitSlot.id)
    ).scalars())


def takes_classes(event: Event) -> bool:
    """Whether the fair's page offers class visits (a set-up and at least one slot)."""
    return setup_of(event) is not None and bool(slots_of(event))


def registration_open(event: Event, now: datetime) -> bool:
    setup = setup_of(event)
    return setup is not None and event.status == "published" and setup.is_open(now)


def configure(event: Event, actor: User, data: SetupData, now: datetime) -> VisitSetup:
    """Create or change the fair's class-visit registration window and reminder."""
    _require_manager(actor, event)
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
    _require_manager(actor, event)
    setup = setup_of(event)
    if setup is None or not setup.is_open(now):
        raise VisitError("not_open", str(_l("Registration is not open.")))
    setup.closes_at, setup.updated_at = now, now
    db.session.flush()
    return setup


def add_slot(event: Event, actor: User, data: SlotData, now: datetime) -> VisitSlot:
    _require_manager(actor, event)
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
    _require_manager(actor, event)
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
        for visit in _active_classes([slot.id]):
            visit.sequence += 1
            visit.changed_at = now
            notifications.class_changed(visit, "slot_changed", now)
    bump_if_changed(slot)
    db.session.flush()
    _fill(slot, now)
    return slot


def delete_slot(slot: VisitSlot, actor: User) -> None:
    """Remove a slot that no class has ever been registered for."""
    event = db.session.get(Event, slot.event_id)
    _require_manager(actor, event)
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


# --- the lock ----------------------------------------------------------------------------


def lock_slots(slot_ids: Iterable[int]) -> dict[int, VisitSlot]:
    """Take the lock for changing these slots' classes, and re-read them."""
    return lock_rows(VisitSlot, slot_ids)


def _lock_registration(registration: VisitRegistration,
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


# --- registering (teachers) --------------------------------------------------------------


def normalise_phone(text: str) -> str | None:
    """A German (or international) phone number as ``+49 2761 12345``; None when it is
    not one. Letters are refused before parsing (the library would read "0800-FLOWERS")."""
    text = (text or "").strip()
    if not PHONE_CHARACTERS.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, "DE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def check_class(data: ClassData, prefix: str = "") -> ClassData:
    """The class's own rules; returns it with its texts cleaned and its phone normalised."""
    if not isinstance(data.grade, int) or not MIN_GRADE <= data.grade <= MAX_GRADE:
        raise VisitInvalid(str(_l("The grade must be between %(min)s and %(max)s.",
                                  min=MIN_GRADE, max=MAX_GRADE)), prefix + "grade")
    if not isinstance(data.pupils, int) or not 1 <= data.pupils <= MAX_PUPILS_PER_CLASS:
        raise VisitInvalid(str(_l("The number of pupils must be between 1 and %(max)s.",
                                  max=MAX_PUPILS_PER_CLASS)), prefix + "pupils")
    teacher = (data.teacher_name or "").strip()
    if not teacher or len(teacher) > 120:
        raise VisitInvalid(str(_l("Please name the accompanying teacher (up to 120 "
                                  "characters).")), prefix + "teacher_name")
    if len((data.class_name or "").strip()) > 40:
        raise VisitInvalid(str(_l("The class name may have up to 40 characters.")),
                           prefix + "class_name")
    phone = normalise_phone(data.phone)
    if phone is None:
        raise VisitInvalid(str(_l("Please enter a phone number we can reach on the day, "
                                  "e.g. 0271 12345 or 0151 2345678.")), prefix + "phone")
    for text in (teacher, data.class_name or ""):
        if any(ord(char) < 32 for char in text):
            raise VisitInvalid(str(_l("This field contains characters that are not "
                                      "allowed.")), prefix + "teacher_name")
    return ClassData(slot_id=data.slot_id, grade=data.grade, pupils=data.pupils,
                     teacher_name=teacher, phone=phone, by_bus=bool(data.by_bus),
                     class_name=(data.class_name or "").strip())


def _check_registration(data: RegistrationData) -> tuple[str, Municipality, list[ClassData]]:
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
        fits = _queue_empty(slot) and slot.fits(item.pupils, item.by_bus)
        if not fits and not data.join_waitlist:
            raise VisitError("full", full_message(slot, item.pupils, item.by_bus),
                             f"classes-{index}-slot_id")
        if not fits:
            visit.waitlist_position = _waitlist_length(slot) + 1
        registration.classes.append(visit)
        db.session.flush()
        if fits:
            _place(visit, slot, confirmed=False)
    db.session.flush()
    token = issue_link(registration, now)
    notifications.registration_received(registration, token, now)
    return registration, token


def check_window(event: Event, now: datetime) -> None:
    """Raise VisitError unless teachers can register classes for ``event`` at ``now``."""
    setup = setup_of(event)
    if setup is None or event.status != "published":
        raise VisitError("not_open", str(_l("This fair does not take class registrations.")))
    if now < setup.opens_at:
        raise VisitError("not_open_yet", str(_l("Registration opens on %(when)s.",
                                                 when=local_span(setup.opens_at))))
    if now >= setup.closes_at:
        raise VisitError("closed", str(_l("Registration closed on %(when)s.",
                                          when=format_deadline(setup.closes_at))))


def full_message(slot: VisitSlot, pupils: int, by_bus: bool) -> str:
    """Why a class does not get places in ``slot``, naming what is left, for the teacher."""
    when = local_span(slot.starts_at, slot.ends_at)
    if pupils <= slot.places_free and by_bus and slot.bus_bays is not None \
            and slot.buses_taken >= slot.bus_bays:
        return str(_l("All bus bays of the slot %(when)s are taken. Choose another slot, "
                      "come without a bus or join the waitlist.", when=when))
    if pupils <= slot.places_free:
        return str(_l("Other classes are already waiting for a place in the slot %(when)s. "
                      "Choose another slot or join the waitlist.", when=when))
    if slot.places_free <= 0:
        return str(_l("The slot %(when)s is full. Choose another slot or join the "
                      "waitlist.", when=when))
    return ngettext("The slot %(when)s has room for only %(num)d more pupil. Choose another "
                    "slot or join the waitlist.",
                    "The slot %(when)s has room for only %(num)d more pupils. Choose another "
                    "slot or join the waitlist.", slot.places_free, when=when)


def confirm(registration: VisitRegistration, now: datetime) -> bool:
    """The teacher confirms the address through the link: the held classes are confirmed.
    Returns False when it was confirmed already (a second click changes nothing)."""
    _lock_registration(registration)
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


# --- changes by the teacher and the organisers -------------------------------------------


def _require_changeable(visit: ClassVisit, now: datetime, actor: User | None) -> None:
    registration = visit.registration
    if actor is not None:
        _require_manager(actor, registration.event)
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
    _lock_registration(visit.registration)
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
        _count(slot, more, bus)
    notifications.class_changed(visit, "updated", now)
    _fill(slot, now)
    return visit


def move_class(visit: ClassVisit, target: VisitSlot, now: datetime,
               actor: User | None = None) -> ClassVisit:
    """Move a class to another slot of its fair: the teacher (``actor`` None) while
    registration is open and only into a slot without a waitlist, an organiser at any
    time. The class must fit; the place it leaves goes to the old slot's waitlist."""
    if target.event_id != visit.event_id:
        raise VisitInvalid(str(_l("Please choose one of the offered slots.")), "slot_id")
    locked = _lock_registration(visit.registration, [target.id])
    source, target = locked[visit.slot_id], locked[target.id]
    _require_changeable(visit, now, actor)
    if source.id == target.id:
        return visit
    if actor is None:
        check_window(visit.registration.event, now)
        if now >= target.starts_at:
            raise VisitInvalid(str(_l("This slot has already begun.")), "slot_id")
    if (actor is None and not _queue_empty(target)) or not target.fits(visit.pupils,
                                                                       visit.by_bus):
        raise VisitError("full", full_message(target, visit.pupils, visit.by_bus), "slot_id")
    position = visit.waitlist_position
    if visit.holds_place:
        _count(source, -visit.pupils, -int(visit.by_bus))
    visit.waitlist_position = None
    _place(visit, target, confirmed=visit.registration.confirmed_at is not None)
    visit.sequence += 1
    visit.changed_at = now
    db.session.flush()
    if position is not None:
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, source.id, position)
    notifications.class_changed(visit, "moved" if actor else "updated", now,
                                Occasion(moved_from=source))
    _fill(source, now)
    return visit


def cancel_class(visit: ClassVisit, now: datetime, actor: User | None = None) -> ClassVisit:
    """Cancel a class (the teacher before the visit begins, an organiser at any time);
    its place goes to the head of the waitlist at once."""
    _lock_registration(visit.registration)
    _require_changeable(visit, now, actor)
    slot = visit.slot
    _leave(visit, slot, "cancelled", now, cancelled_at=now)
    visit.sequence += 1
    db.session.flush()
    notifications.class_changed(visit, "cancelled_by_organiser" if actor else "cancelled",
                                now)
    _fill(slot, now)
    return visit


# --- the scheduler's part ----------------------------------------------------------------


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
        locked = _lock_registration(registration)
        if registration.confirmed_at is not None or registration.expired_at is not None:
            continue
        registration.expired_at = now
        # The back of each waitlist first, so that nobody behind has to move up twice.
        for visit in sorted(registration.classes,
                            key=lambda item: -(item.waitlist_position or 0)):
            if visit.status in ACTIVE_STATUSES:
                _leave(visit, locked[visit.slot_id], "expired", now)
        db.session.flush()
        for slot in locked.values():
            _fill(slot, now)
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
        _leave(visit, locked[visit.slot_id], "cancelled", now, cancelled_at=now)
        visit.sequence += 1
        registrations[visit.registration_id] = visit.registration
    db.session.flush()
    if as_utc(event.ends_at) <= now:
        return 0
    return sum(notifications.fair_cancelled(registration, now)
               for registration in registrations.values())


# --- places and the waitlist (the caller holds the lock) ---------------------------------


def _queue_empty(slot: VisitSlot) -> bool:
    return _waitlist_length(slot) == 0


def _waitlist_length(slot: VisitSlot) -> int:
    return db.session.execute(
        select(func.count()).select_from(ClassVisit)
        .where(ClassVisit.slot_id == slot.id, ClassVisit.status == "waitlisted")
    ).scalar_one()


def _place(visit: ClassVisit, slot: VisitSlot, *, confirmed: bool) -> None:
    """Give ``visit`` its places in ``slot``."""
    visit.status = "confirmed" if confirmed else "unconfirmed"
    visit.waitlist_position = None
    visit.slot_id = slot.id
    db.session.flush()
    _count(slot, visit.pupils, int(visit.by_bus))


def _count(slot: VisitSlot, pupils: int, buses: int) -> None:
    """Change the counters in SQL (``pupils_taken = pupils_taken + n``), so that the
    CHECK constraints see the real count even if a lock were missing."""
    db.session.execute(
        update(VisitSlot).where(VisitSlot.id == slot.id)
        .values(pupils_taken=VisitSlot.pupils_taken + pupils,
                buses_taken=VisitSlot.buses_taken + buses)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(slot, ["pupils_taken", "buses_taken"])


def _leave(visit: ClassVisit, slot: VisitSlot, status: str, now: datetime,
           **stamps: object) -> None:
    """Give up the class's places or waitlist position and set its new ``status``."""
    position = visit.waitlist_position if visit.status == "waitlisted" else None
    held = visit.status in HOLDS_PLACE
    visit.status, visit.waitlist_position, visit.changed_at = status, None, now
    for name, value in stamps.items():
        setattr(visit, name, value)
    db.session.flush()
    if held:
        _count(slot, -visit.pupils, -int(visit.by_bus))
    if position is not None:
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, slot.id, position)




def _fill(slot: VisitSlot, now: datetime) -> list[ClassVisit]:
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
        _place(head, slot, confirmed=head.registration.confirmed_at is not None)
        head.changed_at = now
        head.sequence += 1
        db.session.flush()
        close_waitlist_gap(ClassVisit, ClassVisit.slot_id, slot.id, 1)
        notifications.class_changed(head, "promoted", now)
        promoted.append(head)
    return promoted


# --- queries -----------------------------------------------------------------------------


def _active_classes(slot_ids: Sequence[int]) -> list[ClassVisit]:
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
