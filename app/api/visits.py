"""Class visits in the API: a fair's slots with their free places (public), and for its
organisers the registration window, creating and changing slots, and the registered
classes.

The views translate JSON to ``visits.services`` calls and back; every rule (the fair's
hours, capacities that never drop below what is taken, who may do what) lives in the
services. Teachers register on the web pages (their address is confirmed by mail), not
here. Writes without a token are a 401 before their body is even read.
"""

from __future__ import annotations

import marshmallow as ma
from flask import request, url_for
from flask_smorest import Blueprint
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from app.accounts.models import User
from app.api.access import in_english, visible_event
from app.api.auth import OPTIONAL_TOKEN, TOKEN, protect, token_user
from app.api.errors import api_abort, documented_errors
from app.api.schemas import LocalDateTime, Text
from app.calendar.models import Event
from app.extensions import db
from app.time import now_utc
from app.visits import services as visits
from app.visits.codes import (
    CLASS_STATUSES,
    MAX_BUS_BAYS,
    MAX_INSTRUCTIONS,
    MAX_REMINDER_DAYS,
    MAX_SLOT_CAPACITY,
)
from app.visits.models import ClassVisit, VisitSlot

visit_events_blp = Blueprint(
    "visit_events", __name__, url_prefix="/api/v1/events",
    description="Class visits of a fair: its time slots for school classes with free "
    "places (public for published fairs that take classes) and, for its organisers, the "
    "registration window, new slots and the registered classes.",
)
visit_slots_blp = Blueprint(
    "visit_slots", __name__, url_prefix="/api/v1/visit-slots",
    description="Change or delete a class-visit slot (the fair's organisers).",
)
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _writes_need_an_organiser() -> None:
    """Before a write's body is read: a token (401), then the fair's organisers (403, or
    404 for what the token may not see), so no body gets past to show a 422."""
    if request.method not in WRITES:
        return
    user = _organiser()
    arguments = request.view_args or {}
    if "event_id" in arguments:
        _managed_event(arguments["event_id"], user)
    if "slot_id" in arguments:
        _managed_slot(arguments["slot_id"], user)


for _blueprint in (visit_events_blp, visit_slots_blp):
    _blueprint.before_request(_writes_need_an_organiser)  # first: even before the JSON check
    protect(_blueprint)


# --- schemas -----------------------------------------------------------------------------


class VisitSlotSchema(ma.Schema):
    id = fields.Integer(required=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    capacity = fields.Integer(required=True, metadata={
        "description": "Pupils the slot takes (accompanying teachers not counted)."})
    places_free = fields.Integer(required=True, metadata={
        "description": "Pupils' places neither confirmed nor held for a registration "
        "awaiting its e-mail confirmation."})
    bus_bays = fields.Integer(required=True, allow_none=True, metadata={
        "description": "Bus bays of the slot; null: buses are not limited."})
    bus_bays_free = fields.Integer(required=True, allow_none=True)
    waitlist_length = fields.Integer(required=True, metadata={
        "description": "Classes waiting for places in this slot."})


class VisitRegistrationSchema(ma.Schema):
    opens_at = LocalDateTime(required=True)
    closes_at = LocalDateTime(required=True)
    open = fields.Boolean(required=True, metadata={"description": "Schools can register "
                                                   "right now."})
    reminder_days = fields.Integer(required=True, metadata={
        "description": "Days before the visit that teachers are reminded (0: never)."})
    instructions = fields.String(required=True, metadata={
        "description": "Notes for schools (where buses stop, what to bring)."})


class VisitSlotListSchema(ma.Schema):
    event_id = fields.Integer(required=True)
    registration = fields.Nested(VisitRegistrationSchema, required=True, allow_none=True,
                                 metadata={"description": "Null until the organisers set "
                                           "the registration window (seen by them only)."})
    items = fields.List(fields.Nested(VisitSlotSchema), required=True)


class VisitSlotCreateSchema(ma.Schema):
    """A slot within the fair's hours. Times without an offset are Europe/Berlin."""

    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    capacity = fields.Integer(required=True, strict=True,
                              validate=Range(1, MAX_SLOT_CAPACITY))
    bus_bays = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=Range(0, MAX_BUS_BAYS),
                              metadata={"description": "Null: buses are not limited."})


class VisitSlotUpdateSchema(ma.Schema):
    """The fields to change; the others stay."""

    start = LocalDateTime()
    end = LocalDateTime()
    capacity = fields.Integer(strict=True, validate=Range(1, MAX_SLOT_CAPACITY))
    bus_bays = fields.Integer(allow_none=True, strict=True, validate=Range(0, MAX_BUS_BAYS))


class VisitRegistrationInputSchema(ma.Schema):
    opens_at = LocalDateTime(required=True)
    closes_at = LocalDateTime(required=True, metadata={
        "description": "At the latest when the fair begins."})
    reminder_days = fields.Integer(load_default=3, strict=True,
                                   validate=Range(0, MAX_REMINDER_DAYS))
    instructions = Text(load_default="", validate=Length(max=MAX_INSTRUCTIONS))


class SchoolSchema(ma.Schema):
    name = fields.String(required=True)
    municipality = fields.String(required=True)


class ClassVisitSchema(ma.Schema):
    """A registered class as the fair's organisers see it."""

    id = fields.Integer(required=True)
    slot_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=OneOf(list(CLASS_STATUSES)), metadata={
        "description": "`unconfirmed` (places held until the teacher confirms the e-mail "
        "address), `confirmed`, `waitlisted`, `cancelled` or `expired` (not confirmed "
        "in time)."})
    waitlist_position = fields.Integer(required=True, allow_none=True)
    school = fields.Nested(SchoolSchema, required=True)
    class_name = fields.String(required=True)
    grade = fields.Integer(required=True)
    pupils = fields.Integer(required=True)
    by_bus = fields.Boolean(required=True)
    teacher_name = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(required=True)
    registered_at = LocalDateTime(required=True)

    @ma.pre_dump
    def _plain(self, visit: ClassVisit, **kwargs):
        registration = visit.registration
        return {"id": visit.id, "slot_id": visit.slot_id, "status": visit.status,
                "waitlist_position": visit.waitlist_position,
                "school": {"name": registration.school_name,
                           "municipality": registration.municipality.name},
                "class_name": visit.class_name, "grade": visit.grade, "pupils": visit.pupils,
                "by_bus": visit.by_bus, "teacher_name": visit.teacher_name,
                "phone": visit.phone, "email": registration.email,
                "registered_at": visit.created_at}


class ClassVisitListSchema(ma.Schema):
    items = fields.List(fields.Nested(ClassVisitSchema), required=True)


class ClassVisitArgsSchema(ma.Schema):
    status = fields.List(fields.String(validate=OneOf(list(CLASS_STATUSES))), metadata={
        "description": "Repeatable: status=confirmed&status=waitlisted. Default: all."})


# --- an event's slots ------------------------------------------------------------------


def _slot_list(event: Event, user: User | None) -> dict:
    setup = visits.setup_of(event)
    manager = visits.can_manage(user, event)
    if setup is None and not manager:
        api_abort(404, "not_found", "This event takes no school classes.")
    registration = None if setup is None else {
        "opens_at": setup.opens_at, "closes_at": setup.closes_at,
        "open": visits.registration_open(event, now_utc()),
        "reminder_days": setup.reminder_days, "instructions": setup.instructions}
    return {"event_id": event.id, "registration": registration,
            "items": visits.slots_of(event)}


@visit_events_blp.get("/<int:event_id>/visit-slots")
@visit_events_blp.response(200, VisitSlotListSchema)
@documented_errors(visit_events_blp, 401, 404)
@visit_events_blp.doc(security=OPTIONAL_TOKEN)
@in_english
def list_slots(event_id: int):
    """The time slots for school classes at a fair, each with its free places and bus
    bays, and the registration window.

    404 for events you may not see and for events that take no school classes.
    """
    user = token_user()
    event = visible_event(event_id, user)
    return _with_waiting(_slot_list(event, user), event)


def _with_waiting(result: dict, event: Event) -> dict:
    waiting = visits.waitlist_lengths(event)
    result["items"] = [_dumped(slot, waiting) for slot in result["items"]]
    return result


def _dumped(slot: VisitSlot, waiting: dict[int, int]) -> dict:
    """The slot as the schema's plain values (the waitlist counted in one query)."""
    return {"id": slot.id, "start": slot.starts_at, "end": slot.ends_at,
            "capacity": slot.capacity, "places_free": slot.places_free,
            "bus_bays": slot.bus_bays, "bus_bays_free": slot.bus_bays_free,
            "waitlist_length": waiting.get(slot.id, 0)}


@visit_events_blp.post("/<int:event_id>/visit-slots")
@visit_events_blp.arguments(VisitSlotCreateSchema())
@visit_events_blp.response(201, VisitSlotSchema)
@documented_errors(visit_events_blp, 400, 401, 403, 404, 413, 415, 422)
@visit_events_blp.doc(security=TOKEN)
@in_english
def create_slot(fields: dict, event_id: int):
    """Add a time slot for school classes (the fair's organisers).

    422 when it ends before it starts, lies outside the fair's hours, repeats a slot or
    its numbers are out of range.
    """
    user = _organiser()
    event = _managed_event(event_id, user)
    slot = visits.add_slot(event, user, visits.SlotData(
        starts_at=fields["start"], ends_at=fields["end"], capacity=fields["capacity"],
        bus_bays=fields["bus_bays"]), now_utc())
    db.session.commit()
    return _dumped(slot, {}), 201, {"Location": url_for(
        "visit_events.list_slots", event_id=event.id, _external=True)}


@visit_events_blp.put("/<int:event_id>/visit-registration")
@visit_events_blp.arguments(VisitRegistrationInputSchema())
@visit_events_blp.response(200, VisitRegistrationSchema)
@documented_errors(visit_events_blp, 400, 401, 403, 404, 413, 415, 422)
@visit_events_blp.doc(security=TOKEN)
@in_english
def set_registration(fields: dict, event_id: int):
    """Set when schools can register classes, the reminder and the notes for schools
    (the fair's organisers). Registration closes when the fair begins at the latest."""
    user = _organiser()
    event = _managed_event(event_id, user)
    setup = visits.configure(event, user, visits.SetupData(
        opens_at=fields["opens_at"], closes_at=fields["closes_at"],
        reminder_days=fields["reminder_days"], instructions=fields["instructions"]),
        now_utc())
    db.session.commit()
    return {"opens_at": setup.opens_at, "closes_at": setup.closes_at,
            "open": visits.registration_open(event, now_utc()),
            "reminder_days": setup.reminder_days, "instructions": setup.instructions}


@visit_events_blp.get("/<int:event_id>/class-visits")
@visit_events_blp.arguments(ClassVisitArgsSchema(), location="query", as_kwargs=True)
@visit_events_blp.response(200, ClassVisitListSchema)
@documented_errors(visit_events_blp, 401, 403, 404, 422)
@visit_events_blp.doc(security=TOKEN)
@in_english
def list_classes(event_id: int, status: list[str] | None = None):
    """The registered classes of a fair by slot (places first, then the waitlist), with
    the schools' contacts for the day (the fair's organisers only)."""
    user = _organiser()
    event = _managed_event(event_id, user)
    return {"items": db.session.execute(visits.event_classes(event, status)).scalars().all()}


# --- one slot ----------------------------------------------------------------------------


@visit_slots_blp.patch("/<int:slot_id>")
@visit_slots_blp.arguments(VisitSlotUpdateSchema())
@visit_slots_blp.response(200, VisitSlotSchema)
@documented_errors(visit_slots_blp, 400, 401, 403, 404, 413, 415, 422)
@visit_slots_blp.doc(security=TOKEN)
@in_english
def update_slot(fields: dict, slot_id: int):
    """Change a slot's times, capacity or bus bays. More room moves waitlisted classes up
    at once; less room than its classes hold is a 422; new times are mailed to the
    slot's teachers."""
    user = _organiser()
    slot = _managed_slot(slot_id, user)
    data = visits.SlotData(
        starts_at=fields.get("start", slot.starts_at), ends_at=fields.get("end", slot.ends_at),
        capacity=fields.get("capacity", slot.capacity),
        bus_bays=fields.get("bus_bays", slot.bus_bays))
    slot = visits.update_slot(slot, user, data, now_utc())
    db.session.commit()
    return _dumped(slot, visits.waitlist_lengths(db.session.get(Event, slot.event_id)))


@visit_slots_blp.delete("/<int:slot_id>")
@visit_slots_blp.response(204)
@documented_errors(visit_slots_blp, 401, 403, 404, 409)
@visit_slots_blp.doc(security=TOKEN)
@in_english
def delete_slot(slot_id: int):
    """Delete a slot that no class was ever registered for (409 `in_use` otherwise)."""
    user = _organiser()
    visits.delete_slot(_managed_slot(slot_id, user), user)
    db.session.commit()
    return ""


# --- helpers -----------------------------------------------------------------------------


def _organiser() -> User:
    user = token_user()
    if user is None:
        api_abort(401)
    return user


def _managed_event(event_id: int, user: User) -> Event:
    event = visible_event(event_id, user)
    if not visits.can_manage(user, event):
        api_abort(403, "forbidden", "Only the organisers of this fair manage its class "
                  "visits.")
    return event


def _managed_slot(slot_id: int, user: User) -> VisitSlot:
    slot = db.session.get(VisitSlot, slot_id) if 0 < slot_id < 2**31 else None
    if slot is None:
        api_abort(404, "not_found", "No such slot.")
    _managed_event(slot.event_id, user)
    return slot
