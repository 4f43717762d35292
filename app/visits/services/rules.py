"""The class-visit area's rules: errors, input, who may do what, the set-up's reads and
checks of a class."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.models import User
from app.calendar.models import Event
from app.calendar.services import can_edit
from app.errors import DomainError
from app.extensions import db
from app.i18n import format_deadline
from app.visits.codes import (
    MAX_GRADE,
    MAX_PUPILS_PER_CLASS,
    MIN_GRADE,
)
from app.visits.labels import local_span
from app.visits.models import VisitSetup, VisitSlot

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


def can_manage(user: User | None, event: Event) -> bool:
    """The organisers of the event's organisation (and admins) run its class visits."""
    return can_edit(user, event)


def require_manager(user: User | None, event: Event) -> None:
    if not can_manage(user, event):
        raise VisitDenied()


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
