"""Class visits: a fair's set-up and slots, teachers' registrations (double opt-in), the
waitlist, and the changes teachers make through their link and organisers make on their
pages.

This package is the class-visit area's services: ``rules`` (errors, input, who may do
what), ``locking`` (the slots' lock and what happens under it), ``queries``, ``slots``
(set-up and slots) and ``registrations`` (the operations); callers use the names
re-exported here (``from app.visits import services as visits``).

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

from app.visits.services.queries import (
    Offer,
    OfferedSlot,
    event_classes,
    event_slot,
    event_visit,
    public_offer,
    visitor_plan,
    waitlist_lengths,
)
from app.visits.services.registrations import (
    cancel_class,
    change_class,
    confirm,
    event_cancelled,
    expire_holds,
    move_class,
    register,
)
from app.visits.services.rules import (
    ClassData,
    RegistrationData,
    SetupData,
    SlotData,
    VisitDenied,
    VisitError,
    VisitInvalid,
    can_manage,
    normalise_phone,
    registration_open,
    setup_of,
    slots_of,
    takes_classes,
)
from app.visits.services.slots import (
    add_slot,
    close_registration,
    configure,
    delete_slot,
    update_slot,
)

__all__ = [
    "add_slot",
    "can_manage",
    "cancel_class",
    "change_class",
    "ClassData",
    "close_registration",
    "configure",
    "confirm",
    "delete_slot",
    "event_cancelled",
    "event_classes",
    "event_slot",
    "event_visit",
    "expire_holds",
    "move_class",
    "normalise_phone",
    "Offer",
    "OfferedSlot",
    "public_offer",
    "register",
    "registration_open",
    "RegistrationData",
    "setup_of",
    "SetupData",
    "SlotData",
    "slots_of",
    "takes_classes",
    "update_slot",
    "VisitDenied",
    "VisitError",
    "VisitInvalid",
    "visitor_plan",
    "waitlist_lengths",
]
