"""Booking, cancelling, approving, rejecting and moving, and settling a cancelled fair."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from app.accounts.models import Company, User
from app.accounts.recipients import company_recipients
from app.booths import notifications
from app.booths.codes import ACTIVE_STATUSES, HOLDS_PLACE, MAX_STAFF
from app.booths.models import Booking, BoothCategory, BoothSetup, booking_occupations
from app.booths.services.locking import (
    close_gap,
    count_place,
    exhibitors_changed,
    fill_places,
    last_waitlist_position,
    leave,
    lock_categories,
    relock_booking,
    take_place,
    waitlist_length,
)
from app.booths.services.rules import (
    CONTROL,
    MAX_INVOICE_ADDRESS,
    MAX_OCCUPATIONS,
    MAX_ORDER_NUMBER,
    MAX_POWER_NEEDS,
    MAX_REMARKS,
    BookingDenied,
    BookingDetails,
    BookingError,
    BookingInvalid,
    can_manage,
    check_reason,
    check_window,
    is_company_member,
    require_manager,
    setup_of,
)
from app.calendar.models import Event, EventChange
from app.extensions import db
from app.i18n import format_deadline
from app.reference.models import Occupation
from app.text import multiline_error, single_line_error
from app.time import as_utc, now_utc

# What an organiser may reject (a confirmed booking is cancelled instead).
REJECTABLE = ("pending", "offered", "waitlisted", "applied")

# Built once (SQLAlchemy keeps its cache key): the booking path runs it.
_BOOKING_COLUMNS = Booking.__table__.columns
_INSERT_BOOKING = insert(Booking.__table__).returning(Booking.id, Booking.waitlist_position)
_INSERT_WAITLISTED = _INSERT_BOOKING.values(
    waitlist_position=last_waitlist_position(bindparam("waitlist_of")) + 1)


def book(company: Company, category: BoothCategory, details: BookingDetails, actor: User,
         now: datetime) -> Booking:
    """A company books a category: ``confirmed`` (or ``pending`` when the fair needs
    approval) while places are free, else ``waitlisted`` at the end of the waitlist.

    Only the company's own users book for it, only while registration is open, and only
    once per fair. Everything that needs no lock (the rules, the mail's recipients, the
    booking's fields) is done before the category's lock is taken; under it: the count,
    the booking, the counter and the outbox row — a handful of statements and no
    rendering.
    """
    if not is_company_member(actor, company):
        raise BookingDenied(str(_l("You can only book for your own company.")))
    occupations = _check_details(details)
    event = db.session.get(Event, category.event_id)
    setup = setup_of(event)
    check_window(setup, event, now)
    recipients = company_recipients(company)
    booking = _new_booking(company, category, details, occupations, actor, now)
    category = lock_categories([category.id]).get(category.id)
    if category is None:
        raise BookingInvalid("validation_failed", str(_l("Unknown booth category.")),
                             "category_id")
    return _store(booking, category, setup, actor, now, by_hand=False,
                  recipients=recipients)


def add_by_hand(company: Company, category: BoothCategory, details: BookingDetails,
                actor: User, now: datetime) -> Booking:
    """An organiser enters a booking (e.g. from a phone call), also outside the
    registration window: confirmed while places are free, else waitlisted."""
    event = db.session.get(Event, category.event_id)
    require_manager(actor, event)
    booking = _new_booking(company, category, details, _check_details(details), actor, now)
    category = lock_categories([category.id])[category.id]
    setup = setup_of(event)
    if setup is None or not setup.takes_exhibitors:
        raise BookingError("no_exhibitors", str(_l("This fair does not take exhibitors.")))
    if event.status == "cancelled":
        raise BookingError("not_bookable", str(_l("This fair is cancelled.")))
    return _store(booking, category, setup, actor, now, by_hand=True)


def _new_booking(company: Company, category: BoothCategory, details: BookingDetails,
                 occupations: list[Occupation], actor: User, now: datetime) -> Booking:
    """The booking's fields, every column set (none is loaded later), before the lock;
    ``_store`` decides its status under the lock."""
    return Booking(
        company=company, company_id=company.id, category=category,
        category_id=category.id, event_id=category.event_id, status=None,
        waitlist_position=None, staff_count=details.staff_count,
        power_needs=details.power_needs.strip(), remarks=details.remarks.strip(),
        occupations=occupations, created_at=now, created_by_id=actor.id, decided_at=None,
        decided_by_id=None, cancelled_at=None, cancelled_by_id=None, reminded_at=None,
        reason=None, offer_expires_at=None, offer_reminded_at=None, stand=None,
        draw_position=None, invoice_address=details.invoice_address.strip(),
        order_number=details.order_number.strip(),
    )


def _store(booking: Booking, category: BoothCategory, setup: BoothSetup, actor: User,
           now: datetime, *, by_hand: bool, recipients: list | None = None) -> Booking:
    """Give the new booking its status and insert it (the caller holds the category's
    lock, the locked ``category`` is the booking's). A second active booking of the
    company for the fair is refused by the partial unique index."""
    place = category.places_taken < category.capacity
    if setup.is_lottery and setup.allocated_at is None and not by_hand:
        # An application: the allocation at the window's close decides (``allocation``).
        place = False
        booking.status = "applied"
    elif place:
        booking.status = "confirmed" if by_hand or not setup.needs_approval else "pending"
        if by_hand:
            booking.decided_at, booking.decided_by_id = now, actor.id
    else:
        booking.status = "waitlisted"  # at the end of the waitlist (``_insert``)
    try:
        _insert(booking)
    except IntegrityError as error:
        # The partial unique index: the company has an active booking for this fair
        # (possibly one made a moment ago for another category). The caller rolls back.
        if not _one_per_fair(error):
            raise
        raise BookingError("already_booked", str(_l(
            "%(company)s already has a booking for this fair.", company=booking.company.name))) \
            from error
    if place:
        count_place(category, +1)
        if booking.status == "confirmed":
            exhibitors_changed(category.event_id, now, booking)
    notifications.booking_changed(booking, booking.status, now, recipients=recipients)
    return booking


def _one_per_fair(error: IntegrityError) -> bool:
    """Whether ``error`` is the index that allows one active booking per company and
    fair (PostgreSQL names it, SQLite names its columns)."""
    text = str(error.orig)
    return ("uq_bookings_active_company_event" in text
            or "bookings.company_id, bookings.event_id" in text)


def _insert(booking: Booking) -> None:
    """Insert a new booking with one statement that returns its id, and make the object
    persistent as if it had been loaded (every column is set): the ORM's flush would
    cost as much CPU as the rest of a booking, and this runs under the category's lock.
    A waitlisted booking's statement counts its position at the end of the waitlist
    itself (under the lock, so no other booking can take it)."""
    waitlisted = booking.status == "waitlisted"
    values = {column.key: booking.__dict__[column.key] for column in _BOOKING_COLUMNS
              if column.key in booking.__dict__}
    if waitlisted:
        del values["waitlist_position"]
        values["waitlist_of"] = booking.category_id
    row = db.session.execute(_INSERT_WAITLISTED if waitlisted else _INSERT_BOOKING,
                             values).one()
    booking.id, booking.waitlist_position = row.id, row.waitlist_position
    if booking.occupations:
        db.session.execute(booking_occupations.insert(), [
            {"booking_id": booking.id, "occupation_id": occupation.id}
            for occupation in booking.occupations])
    make_transient_to_detached(booking)  # forgets the history: nothing left to flush
    db.session.add(booking)


def _check_details(details: BookingDetails) -> list[Occupation]:
    if not isinstance(details.staff_count, int) or not 1 <= details.staff_count <= MAX_STAFF:
        raise BookingInvalid("validation_failed", str(_l(
            "Staff count must be between 1 and %(max)s.", max=MAX_STAFF)), "staff_count")
    if len(details.power_needs) > MAX_POWER_NEEDS:
        raise BookingInvalid("validation_failed", str(_l("Please describe power needs in "
                             "up to 200 characters.")), "power_needs")
    if len(details.remarks) > MAX_REMARKS:
        raise BookingInvalid("validation_failed",
                             str(_l("Remarks may have up to 2000 characters.")), "remarks")
    if message := single_line_error(details.power_needs):
        raise BookingInvalid("validation_failed", str(message), "power_needs")
    for name in ("remarks", "invoice_address"):
        if message := multiline_error(getattr(details, name)):
            raise BookingInvalid("validation_failed", str(message), name)
    if len(details.invoice_address) > MAX_INVOICE_ADDRESS:
        raise BookingInvalid("validation_failed", str(_l(
            "Please keep the invoice address to 500 characters.")), "invoice_address")
    if len(details.order_number) > MAX_ORDER_NUMBER or CONTROL.search(details.order_number):
        raise BookingInvalid("validation_failed", str(_l(
            "Please enter an order number of up to 60 characters on one line.")),
            "order_number")
    wanted = list(dict.fromkeys(details.occupation_ids))
    if len(wanted) > MAX_OCCUPATIONS:
        raise BookingInvalid("validation_failed",
                             str(_l("Choose up to 30 occupations.")), "occupations")
    occupations = list(db.session.execute(
        select(Occupation).where(Occupation.id.in_(wanted)).order_by(Occupation.name)
    ).scalars()) if wanted else []
    if len(occupations) != len(wanted):
        raise BookingInvalid("validation_failed", str(_l("Unknown occupation.")),
                             "occupations")
    return occupations


def cancel(booking: Booking, actor: User, now: datetime, reason: str | None = None) -> Booking:
    """Cancel an active booking. Companies cancel their own until registration closes;
    organisers at any time, with a reason the company reads. A freed place goes to the
    head of the waitlist at once."""
    event = booking.event
    own = is_company_member(actor, booking.company)
    manager = can_manage(actor, event) and not own
    if not (manager or own):
        raise BookingDenied()
    reason = check_reason(reason) if manager else None
    category = relock_booking(booking)[booking.category_id]
    if not booking.is_active:
        raise BookingError("not_active", str(_l("This booking is no longer active.")))
    setup = setup_of(event)
    if not manager and setup is not None and now >= setup.closes_at:
        raise BookingError("closed", str(_l(
            "Registration closed on %(when)s; please contact the organiser to cancel.",
            when=format_deadline(setup.closes_at))))
    leave(booking, category, "cancelled", now, cancelled_at=now, cancelled_by_id=actor.id,
          reason=reason)
    db.session.flush()
    # The company hears of it either way: a short receipt when one of its users
    # cancelled (the others of the company learn of it too), a notice with the reason
    # when the organiser did.
    notifications.booking_changed(booking, "cancelled_by_organiser" if manager else "cancelled",
                                  now, notifications.Occasion(actor=actor, reason=reason))
    fill_places(category, actor, now)
    return booking


def approve(booking: Booking, actor: User, now: datetime) -> Booking:
    """The organiser confirms a pending booking (its place is already kept for it)."""
    event = booking.event
    require_manager(actor, event)
    relock_booking(booking)
    if booking.status != "pending":
        raise BookingError("not_pending", str(_l("Only pending bookings can be approved.")))
    booking.status = "confirmed"
    booking.decided_at, booking.decided_by_id = now, actor.id
    exhibitors_changed(booking.event_id, now, booking)
    db.session.flush()
    notifications.booking_changed(booking, "confirmed", now)
    return booking


def reject(booking: Booking, actor: User, now: datetime, reason: str | None = None) -> Booking:
    """The organiser turns down a booking that is not confirmed (pending, offered,
    waitlisted, an application), with a reason the company reads; a freed place is
    passed on to the waitlist."""
    event = booking.event
    require_manager(actor, event)
    reason = check_reason(reason)
    category = relock_booking(booking)[booking.category_id]
    if booking.status not in REJECTABLE:
        raise BookingError("not_rejectable", str(_l(
            "Only bookings that are not confirmed can be rejected; cancel a confirmed one.")))
    leave(booking, category, "rejected", now, decided_at=now, decided_by_id=actor.id,
          reason=reason)
    db.session.flush()
    notifications.booking_changed(booking, "rejected", now,
                                  notifications.Occasion(actor=actor, reason=reason))
    fill_places(category, actor, now)
    return booking


def move(booking: Booking, target: BoothCategory, actor: User, now: datetime) -> Booking:
    """The organiser moves an active booking to another category of the same fair.

    A booking with a place needs a free place in the target; a waitlisted one gets a
    place there if one is free, else joins the end of the target's waitlist. The place
    it leaves goes to the head of the old category's waitlist.
    """
    event = booking.event
    require_manager(actor, event)
    if target.event_id != booking.event_id:
        raise BookingInvalid("validation_failed", str(_l(
            "The category belongs to another fair.")), "category_id")
    locked = relock_booking(booking, [target.id])
    source, target = locked[booking.category_id], locked[target.id]
    if not booking.is_active:
        raise BookingError("not_active", str(_l("This booking is no longer active.")))
    if source.id == target.id:
        return booking
    free = target.places_taken < target.capacity
    if booking.status in HOLDS_PLACE and not free:
        raise BookingError("full", str(_l(
            "%(category)s has no free place.", category=target.name)))
    was, position = booking.status, booking.waitlist_position
    if was in HOLDS_PLACE:
        count_place(source, -1)
    booking.stand = None
    if was == "applied":
        booking.category_id = target.id  # still an application, now for the target
    elif free:
        take_place(booking, target, confirm=was != "pending",
                    actor=actor if was == "waitlisted" else None, now=now)
    else:
        booking.waitlist_position = waitlist_length(target) + 1
        booking.category_id = target.id
    db.session.flush()
    if position is not None:
        close_gap(source.id, position)
    # One message names the old and the new category (and price) and where the booking
    # stands now: confirmed, awaiting approval, or its place on the new waitlist.
    notifications.booking_changed(booking, "moved", now,
                                  notifications.Occasion(actor=actor, moved_from=source))
    fill_places(source, actor, now)
    return booking


def event_cancelled(event: Event, now: datetime | None = None, *,
                    actor: User | None = None) -> int:
    """A cancelled fair takes its bookings with it: every active booking (confirmed,
    pending, waitlisted) is cancelled, by the organiser who cancelled the fair, and each
    company is told, with the organiser's reason, while the fair is not over yet.

    Does nothing unless ``event`` is cancelled, so every status change may call it; the
    booth notification job calls it too (``notifications.due_fair_cancellations``), so
    a cancellation by any path is settled within minutes. Nobody is promoted: there is
    nothing left to exhibit at. Returns how many messages were queued."""
    if event.status != "cancelled":
        return 0
    now = now or now_utc()
    category_ids = db.session.execute(
        select(BoothCategory.id).where(BoothCategory.event_id == event.id)).scalars().all()
    locked = lock_categories(category_ids)
    bookings = db.session.execute(
        select(Booking).where(Booking.event_id == event.id,
                              Booking.status.in_(ACTIVE_STATUSES))
        .execution_options(populate_existing=True)
    ).scalars().all()
    actor = actor or _canceller(event)
    tell = as_utc(event.ends_at) > now
    new = 0
    # The back of each waitlist first, so that no position behind has to move up.
    for booking in sorted(bookings, key=lambda item: (-(item.waitlist_position or 0), item.id)):
        leave(booking, locked[booking.category_id], "cancelled", now, cancelled_at=now,
               cancelled_by_id=actor.id if actor else None)
        if tell:
            new += notifications.booking_changed(
                booking, "fair_cancelled", now,
                notifications.Occasion(actor=actor, reason=event.cancellation_reason))
    db.session.flush()
    return new


def _canceller(event: Event) -> User | None:
    """Who cancelled the fair, from its history (None for the shell or a removed user)."""
    return db.session.execute(
        select(User).join(EventChange, EventChange.user_id == User.id)
        .where(EventChange.event_id == event.id, EventChange.action == "cancelled")
        .order_by(EventChange.at.desc(), EventChange.id.desc()).limit(1)
    ).scalar_one_or_none()


