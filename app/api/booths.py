"""Booth sign-ups in the API: an event's booth categories (public), a company's bookings
(create, list own, cancel) and the organisers' view of an event's bookings.

The views translate JSON to ``booths.services`` calls and back; every rule (window,
capacity, waitlist, one booking per fair, who may do what) lives in the services. A
booking that the token's user may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_smorest import Blueprint
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from app.accounts.models import User
from app.api.access import in_english, visible_event
from app.api.auth import OPTIONAL_TOKEN, TOKEN, protect, token_user
from app.api.errors import api_abort, documented_errors
from app.api.schemas import MAX_ID, Line, LocalDateTime, RefSchema, Text
from app.booths import services as booths
from app.booths.codes import APPROVAL_MODES, BOOKING_STATUSES, MAX_STAFF
from app.booths.models import Booking, BoothCategory
from app.extensions import commit_as_written, db
from app.time import now_utc

booth_events_blp = Blueprint(
    "booth_events", __name__, url_prefix="/api/v1/events",
    description="Booth sign-ups of a fair: its booth categories (public for published "
    "fairs that take exhibitors) and, for its organisers, all bookings.",
)
bookings_blp = Blueprint(
    "bookings", __name__, url_prefix="/api/v1/bookings",
    description="A company's booth bookings: book (confirmed, pending approval or "
    "waitlisted), list its own, cancel. Needs a company user's token; organisers may "
    "also cancel bookings of their fairs.",
)


for _blueprint in (booth_events_blp, bookings_blp):
    protect(_blueprint)


# --- schemas -----------------------------------------------------------------------------


class IncludesSchema(ma.Schema):
    table = fields.Boolean(required=True)
    power = fields.Boolean(required=True)
    internet = fields.Boolean(required=True)


class BoothCategorySchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    size_m2 = fields.Float(required=True, metadata={"description": "Floor space in m²."})
    price_cents = fields.Integer(required=True, metadata={
        "description": "Price in euro cents (e.g. 25000 = 250,00 €)."})
    capacity = fields.Integer(required=True, metadata={"description": "Number of booths."})
    places_free = fields.Integer(required=True, metadata={
        "description": "Booths neither confirmed nor kept for a pending approval."})
    waitlist_length = fields.Integer(required=True)
    includes = fields.Nested(IncludesSchema, required=True)

    @ma.pre_dump
    def _plain(self, category: BoothCategory, **kwargs):
        return {
            "id": category.id, "name": category.name, "description": category.description,
            "size_m2": category.size_m2, "price_cents": category.price_cents,
            "capacity": category.capacity, "places_free": category.places_free,
            "waitlist_length": len(booths.waitlist(category)),
            "includes": {"table": category.includes_table, "power": category.includes_power,
                         "internet": category.includes_internet},
        }


class RegistrationSchema(ma.Schema):
    opens_at = LocalDateTime(required=True)
    closes_at = LocalDateTime(required=True)
    open = fields.Boolean(required=True, metadata={"description": "Bookable right now."})
    approval = fields.String(required=True, validate=OneOf(list(APPROVAL_MODES)), metadata={
        "description": "`auto`: bookings are confirmed at once while places are free; "
        "`manual`: they are `pending` until the organiser approves."})
    setup_starts_at = LocalDateTime(required=True, allow_none=True)
    teardown_ends_at = LocalDateTime(required=True, allow_none=True)


class BoothCategoryListSchema(ma.Schema):
    event_id = fields.Integer(required=True)
    registration = fields.Nested(RegistrationSchema, required=True)
    items = fields.List(fields.Nested(BoothCategorySchema), required=True)


class EventRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)


class BookingSchema(ma.Schema):
    """A booking as its company and the fair's organisers see it."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=OneOf(list(BOOKING_STATUSES)), metadata={
        "description": "`confirmed`, `pending` (awaiting the organiser's approval; the "
        "place is kept), `offered` (a freed place, kept until `offer_expires_at`), "
        "`waitlisted`, `applied` (a lottery fair, before its allocation), `rejected`, "
        "`cancelled`, `declined` or `expired` (an offer)."})
    waitlist_position = fields.Integer(required=True, allow_none=True, metadata={
        "description": "1 = next in line; null unless waitlisted."})
    event = fields.Nested(EventRefSchema, required=True)
    category = fields.Nested(RefSchema, required=True)
    company = fields.Nested(RefSchema, required=True)
    staff_count = fields.Integer(required=True)
    power_needs = fields.String(required=True)
    occupations = fields.List(fields.Nested(RefSchema), required=True, metadata={
        "description": "Apprenticeship occupations the company presents."})
    remarks = fields.String(required=True)
    created_at = LocalDateTime(required=True)
    decided_at = LocalDateTime(required=True, allow_none=True)
    cancelled_at = LocalDateTime(required=True, allow_none=True)
    offer_expires_at = LocalDateTime(required=True, allow_none=True, metadata={
        "description": "An `offered` place is kept until then: accept or decline it."})
    stand = fields.String(required=True, allow_none=True, metadata={
        "description": "The stand number of a confirmed booking, e.g. `Halle 2, Stand 14`."})
    reason = fields.String(required=True, allow_none=True, metadata={
        "description": "The organiser's reason for a rejection or cancellation."})
    invoice_address = fields.String(required=True)
    order_number = fields.String(required=True)

    @ma.pre_dump
    def _plain(self, booking: Booking, **kwargs):
        return {
            "id": booking.id, "status": booking.status,
            "waitlist_position": booking.waitlist_position,
            "event": {"id": booking.event.id, "title": booking.event.title},
            "category": booking.category, "company": booking.company,
            "staff_count": booking.staff_count, "power_needs": booking.power_needs,
            "occupations": booking.occupations, "remarks": booking.remarks,
            "created_at": booking.created_at, "decided_at": booking.decided_at,
            "cancelled_at": booking.cancelled_at, "offer_expires_at": booking.offer_expires_at,
            "stand": booking.stand, "reason": booking.reason,
            "invoice_address": booking.invoice_address, "order_number": booking.order_number,
        }


class BookingListSchema(ma.Schema):
    items = fields.List(fields.Nested(BookingSchema), required=True)


class BookingCreateSchema(ma.Schema):
    """Book a booth of a category for your company. Unknown fields are refused."""

    category_id = fields.Integer(required=True, strict=True, validate=Range(1, MAX_ID))
    staff_count = fields.Integer(load_default=1, strict=True, validate=Range(1, MAX_STAFF),
                                 metadata={"description": "People at the booth."})
    power_needs = Line(load_default="", validate=Length(max=booths.MAX_POWER_NEEDS),
                       metadata={"description": "E.g. `230 V, 2 kW`."})
    occupations = fields.List(
        fields.Integer(strict=True, validate=Range(1, MAX_ID)), load_default=list,
        validate=Length(max=booths.MAX_OCCUPATIONS),
        metadata={"description": "Ids of the apprenticeship occupations you present."})
    remarks = Text(load_default="", validate=Length(max=booths.MAX_REMARKS))
    invoice_address = Text(load_default="", validate=Length(max=booths.MAX_INVOICE_ADDRESS))
    order_number = Line(load_default="", validate=Length(max=booths.MAX_ORDER_NUMBER))


class CancelSchema(ma.Schema):
    """Organisers give the reason the company reads; a company cancels without one."""

    reason = Text(load_default=None, validate=Length(max=booths.MAX_REASON))


class EventBookingArgsSchema(ma.Schema):
    status = fields.List(fields.String(validate=OneOf(list(BOOKING_STATUSES))), metadata={
        "description": "Repeatable: status=confirmed&status=pending. Default: all."})


# --- an event's categories and bookings --------------------------------------------------


@booth_events_blp.get("/<int:event_id>/booth-categories")
@booth_events_blp.response(200, BoothCategoryListSchema)
@documented_errors(booth_events_blp, 401, 404)
@booth_events_blp.doc(security=OPTIONAL_TOKEN)
@in_english
def list_categories(event_id: int):
    """The booth categories of a fair with free places and the registration window.

    404 for events you may not see and for events that take no exhibitors.
    """
    user = token_user()
    event = visible_event(event_id, user)
    setup = booths.setup_of(event)
    if setup is None or not (setup.takes_exhibitors or booths.can_manage(user, event)):
        api_abort(404, "not_found", "This event takes no exhibitors.")
    return {
        "event_id": event.id,
        "registration": {
            "opens_at": setup.opens_at, "closes_at": setup.closes_at,
            "open": setup.is_open(now_utc()) and event.status == "published",
            "approval": setup.approval, "setup_starts_at": setup.setup_starts_at,
            "teardown_ends_at": setup.teardown_ends_at,
        },
        "items": booths.categories_of(event),
    }


@booth_events_blp.get("/<int:event_id>/bookings")
@booth_events_blp.arguments(EventBookingArgsSchema(), location="query", as_kwargs=True)
@booth_events_blp.response(200, BookingListSchema)
@documented_errors(booth_events_blp, 401, 403, 404, 422)
@booth_events_blp.doc(security=TOKEN)
@in_english
def list_event_bookings(event_id: int, status: list[str] | None = None):
    """All bookings of a fair, by category, status and arrival (its organisers only)."""
    user = _require_token()
    event = visible_event(event_id, user)
    if not booths.can_manage(user, event):
        api_abort(403, "forbidden", "Only the organisers of this fair see its bookings.")
    items = db.session.execute(booths.event_bookings(event, status)).scalars().all()
    return {"items": items}


# --- a company's bookings ----------------------------------------------------------------


@bookings_blp.post("")
@bookings_blp.arguments(BookingCreateSchema())
@bookings_blp.response(201, BookingSchema)
@documented_errors(bookings_blp, 400, 401, 403, 409, 413, 415, 422)
@bookings_blp.doc(security=TOKEN)
@in_english
def create_booking(fields: dict):
    """Book a booth: `confirmed` while places are free (`pending` when the fair needs
    the organiser's approval), else `waitlisted` with a position.

    409 when registration is not open (`not_open_yet`, `closed`), the fair takes no
    exhibitors or cannot be booked, or your company already has an active booking for
    the fair (`already_booked`).
    """
    user = _company_user()
    category = booths.bookable_category(fields["category_id"])
    if category is None or not booths.can_book_category(user, category):
        api_abort(422, fields={"category_id": ["Unknown booth category."]})
    details = booths.BookingDetails(
        staff_count=fields["staff_count"], power_needs=fields["power_needs"],
        occupation_ids=list(fields["occupations"]), remarks=fields["remarks"],
        invoice_address=fields["invoice_address"], order_number=fields["order_number"],
    )
    booking = booths.book(user.company, category, details, user, now_utc())
    commit_as_written()
    location = url_for("bookings.get_booking", booking_id=booking.id, _external=True)
    return booking, 201, {"Location": location}


@bookings_blp.get("")
@bookings_blp.response(200, BookingListSchema)
@documented_errors(bookings_blp, 401, 403)
@bookings_blp.doc(security=TOKEN)
@in_english
def list_bookings():
    """Your company's bookings, newest first."""
    user = _company_user()
    return {"items": db.session.execute(booths.company_bookings(user.company)).scalars().all()}


@bookings_blp.get("/<int:booking_id>")
@bookings_blp.response(200, BookingSchema)
@documented_errors(bookings_blp, 401, 404)
@bookings_blp.doc(security=TOKEN)
@in_english
def get_booking(booking_id: int):
    """One booking of your company (or of a fair you organise)."""
    return _visible_booking(booking_id, _require_token())


@bookings_blp.post("/<int:booking_id>/cancel")
@bookings_blp.arguments(CancelSchema(), required=False)
@bookings_blp.response(200, BookingSchema)
@documented_errors(bookings_blp, 400, 401, 403, 404, 409, 413, 415, 422)
@bookings_blp.doc(security=TOKEN)
@in_english
def cancel_booking(fields: dict, booking_id: int):
    """Cancel a booking. Companies cancel until registration closes, organisers at any
    time with a `reason` (the company reads it). The freed place goes to the first
    waitlisted booking of the category at once (or is offered to it).
    """
    user = _require_token()
    booking = _visible_booking(booking_id, user)
    booths.cancel(booking, user, now_utc(), reason=(fields or {}).get("reason"))
    commit_as_written()
    return booking


@bookings_blp.post("/<int:booking_id>/accept")
@bookings_blp.response(200, BookingSchema)
@documented_errors(bookings_blp, 400, 401, 403, 404, 409, 413, 415)
@bookings_blp.doc(security=TOKEN)
@in_english
def accept_offer(booking_id: int):
    """Accept the place offered to your company (status `offered`) before
    `offer_expires_at`: it is confirmed (or pending when the fair needs approval).
    409 `offer_expired` or `not_offered` when the offer is over."""
    user = _company_user()
    booking = _visible_booking(booking_id, user)
    booths.accept_offer(booking, user, now_utc())
    commit_as_written()
    return booking


@bookings_blp.post("/<int:booking_id>/decline")
@bookings_blp.response(200, BookingSchema)
@documented_errors(bookings_blp, 400, 401, 403, 404, 409, 413, 415)
@bookings_blp.doc(security=TOKEN)
@in_english
def decline_offer(booking_id: int):
    """Decline the place offered to your company; it passes to the next company."""
    user = _company_user()
    booking = _visible_booking(booking_id, user)
    booths.decline_offer(booking, user, now_utc())
    commit_as_written()
    return booking


# --- helpers -----------------------------------------------------------------------------


def _require_token() -> User:
    user = token_user()
    if user is None:
        api_abort(401)
    return user


def _company_user() -> User:
    user = _require_token()
    if user.role != "company" or user.company is None:
        api_abort(403, "forbidden", "Only company accounts book booths; organisers see a "
                  "fair's bookings at /api/v1/events/{id}/bookings.")
    return user


def _visible_booking(booking_id: int, user: User) -> Booking:
    booking = booths.visible_booking(user, booking_id)
    if booking is None:
        api_abort(404, "not_found", "No such booking.")
    return booking
