"""Reading bookings: a company's, a fair's, the public exhibitors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.models import Company, User
from app.booths.codes import ACTIVE_STATUSES
from app.booths.models import Booking, BoothCategory
from app.booths.services.rules import (
    can_see_booking,
)
from app.calendar.models import Event
from app.extensions import db

# --- queries -----------------------------------------------------------------------------


def _with_details(query: Select) -> Select:
    return query.options(selectinload(Booking.occupations), selectinload(Booking.company),
                         selectinload(Booking.category))


def company_bookings(company: Company) -> Select:
    """A company's own bookings, newest first."""
    return _with_details(select(Booking).where(Booking.company_id == company.id)
                         .order_by(Booking.created_at.desc(), Booking.id.desc()))


def event_bookings(event: Event, statuses: Sequence[str] | None = None) -> Select:
    """The bookings of a fair for its organisers: by category, then status and arrival."""
    query = select(Booking).join(BoothCategory, Booking.category_id == BoothCategory.id) \
        .where(Booking.event_id == event.id)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    return _with_details(query.order_by(
        BoothCategory.price_cents, BoothCategory.id, Booking.status,
        Booking.waitlist_position, Booking.created_at, Booking.id))


def active_booking(company: Company, event: Event) -> Booking | None:
    """The company's active (confirmed, pending or waitlisted) booking of the fair."""
    return db.session.execute(
        select(Booking).where(Booking.company_id == company.id, Booking.event_id == event.id,
                              Booking.status.in_(ACTIVE_STATUSES))
    ).scalar_one_or_none()


def visible_booking(user: User | None, booking_id: int) -> Booking | None:
    """The booking if ``user`` may see it, else None (the same for "does not exist")."""
    if not 1 <= booking_id <= 2**31 - 1:
        return None
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_see_booking(user, booking):
        return None
    return booking


def waitlist(category: BoothCategory) -> list[Booking]:
    return list(db.session.execute(
        select(Booking).where(Booking.category_id == category.id,
                              Booking.status == "waitlisted")
        .order_by(Booking.waitlist_position)
    ).scalars())


def exhibitors(event: Event) -> list[Booking]:
    """Confirmed bookings, by company name: the public exhibitor list (name and
    occupations only may be shown to the public)."""
    return list(db.session.execute(
        _with_details(select(Booking).join(Company, Booking.company_id == Company.id)
                      .where(Booking.event_id == event.id, Booking.status == "confirmed")
                      .order_by(func.lower(Company.name), Booking.id))
    ).scalars())


# Built once (SQLAlchemy keeps its cache key): the booking path runs it.
_BOOKABLE = (select(BoothCategory).join(BoothCategory.event).outerjoin(BoothCategory.setup)
             .where(BoothCategory.id == bindparam("category"))
             .options(contains_eager(BoothCategory.event), contains_eager(BoothCategory.setup)))


def bookable_category(category_id: int) -> BoothCategory | None:
    """The category with its fair and the fair's set-up, read in one query; ``book``
    then finds them in the session without asking the database again."""
    if not 1 <= category_id <= 2**31 - 1:
        return None
    return db.session.execute(_BOOKABLE, {"category": category_id}).scalar_one_or_none()
