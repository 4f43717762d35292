"""Timed offers from the waitlist: a freed place is offered to the head of the waitlist
(``locking.fill_places``) for ``setup.offer_hours``; the company accepts or declines,
is reminded before the deadline, and an offer not accepted in time expires and passes
to the next company.

Every step takes the category's lock and checks the offer's state and deadline under
it, so an offer ends exactly once: accepted (before its deadline) or declined or
expired — also when a company accepts at the moment the scheduler expires it, and with
two schedulers running the expiry at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.accounts.models import User
from app.booths import notifications
from app.booths.models import Booking, BoothSetup
from app.booths.services.locking import exhibitors_changed, fill_places, leave, relock_booking
from app.booths.services.rules import (
    BookingDenied,
    BookingError,
    is_company_member,
)
from app.extensions import db
from app.i18n import format_deadline
from app.time import as_utc

# The reminder comes this long before the deadline (half the offer's time when shorter).
REMIND_BEFORE = timedelta(hours=12)


def _own_offer(booking: Booking, actor: User) -> dict:
    """Lock the booking's category; the company's own user only; the offer still open."""
    if not is_company_member(actor, booking.company):
        raise BookingDenied(str(_l("Only the company itself can answer its offer.")))
    return relock_booking(booking)


def _still_open(booking: Booking, now: datetime) -> None:
    if booking.status != "offered":
        raise BookingError("not_offered", str(_l("This booking has no open offer.")))
    if now >= as_utc(booking.offer_expires_at):
        raise BookingError("offer_expired", str(_l(
            "The offer ran out on %(when)s.", when=format_deadline(booking.offer_expires_at))))


def accept_offer(booking: Booking, actor: User, now: datetime) -> Booking:
    """The company takes the offered place: confirmed (pending when the organiser
    approves bookings), before the deadline only."""
    _own_offer(booking, actor)
    _still_open(booking, now)
    setup = db.session.get(BoothSetup, booking.event_id)
    booking.offer_expires_at = None
    if setup is not None and setup.needs_approval:
        booking.status = "pending"
    else:
        booking.status = "confirmed"
        booking.decided_at = now
        exhibitors_changed(booking.event_id, now, booking)
    db.session.flush()
    notifications.booking_changed(booking, booking.status, now)
    return booking


def decline_offer(booking: Booking, actor: User, now: datetime) -> Booking:
    """The company says no; the place goes to the next company on the waitlist."""
    category = _own_offer(booking, actor)[booking.category_id]
    _still_open(booking, now)
    leave(booking, category, "declined", now, decided_at=now)
    db.session.flush()
    notifications.booking_changed(booking, "declined", now,
                                  notifications.Occasion(actor=actor))
    fill_places(category, None, now)
    return booking


def due_offers(now: datetime) -> list[int]:
    """Ids of offers whose deadline has passed, oldest deadline first."""
    return list(db.session.execute(
        select(Booking.id).where(Booking.status == "offered", Booking.offer_expires_at <= now)
        .order_by(Booking.offer_expires_at, Booking.id)
    ).scalars())


def expire_offer(booking_id: int, now: datetime) -> bool:
    """End one offer whose deadline has passed and offer its place to the next company.
    The offer is re-read under its category's lock, so one that was accepted or expired
    meanwhile is left alone. Returns whether it expired here."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return False
    category = relock_booking(booking)[booking.category_id]
    if booking.status != "offered" or as_utc(booking.offer_expires_at) > now:
        return False
    leave(booking, category, "expired", now, decided_at=now)
    db.session.flush()
    notifications.booking_changed(booking, "offer_expired", now)
    fill_places(category, None, now)
    return True


def expire_offers(now: datetime) -> int:
    """Expire every offer that is due (``expire_offer``); returns how many expired."""
    return sum(expire_offer(booking_id, now) for booking_id in due_offers(now))


def remind_offers(now: datetime) -> int:
    """Queue the reminder of open offers that end within ``REMIND_BEFORE`` (or half the
    offer's time). Once per offer: a conditional UPDATE marks it. Returns how many
    messages were new."""
    rows = db.session.execute(
        select(Booking, BoothSetup).join(BoothSetup, BoothSetup.event_id == Booking.event_id)
        .where(Booking.status == "offered", Booking.offer_reminded_at.is_(None),
               Booking.offer_expires_at > now,
               Booking.offer_expires_at <= now + REMIND_BEFORE)
        .order_by(Booking.offer_expires_at, Booking.id)
    ).all()
    new = 0
    for booking, setup in rows:
        lead = min(REMIND_BEFORE, timedelta(hours=setup.offer_hours) / 2)
        if as_utc(booking.offer_expires_at) - now > lead:
            continue
        marked = db.session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.status == "offered",
                                  Booking.offer_reminded_at.is_(None))
            .values(offer_reminded_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if marked:
            new += notifications.booking_changed(booking, "offer_reminder", now)
    db.session.flush()
    return new
