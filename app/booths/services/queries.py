"""Reading bookings: a company's, a fair's, the public exhibitors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, selectinload

from app.accounts.models import Company, User, company_industries
from app.booths.codes import ACTIVE_STATUSES
from app.booths.models import Booking, BoothCategory, booking_occupations
from app.booths.services.rules import (
    can_see_booking,
)
from app.calendar.models import Event
from app.extensions import db
from app.time import to_local


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


@dataclass(frozen=True)
class BookingFilter:
    """What the organisers' booking list is narrowed to (empty: everything)."""

    company: str = ""
    statuses: tuple[str, ...] = ()
    category_id: int | None = None
    industry: str | None = None
    occupation_id: int | None = None


def filtered_bookings(event: Event, wanted: BookingFilter) -> Select:
    """The fair's bookings that match ``wanted``, in the order of ``event_bookings``:
    company name (part of it, any case), statuses, category, the company's industry,
    an occupation the booking presents."""
    query = event_bookings(event, wanted.statuses)
    if wanted.company:
        query = query.join(Company, Company.id == Booking.company_id).where(
            func.lower(Company.name).contains(wanted.company.lower(), autoescape=True))
    if wanted.category_id is not None:
        query = query.where(Booking.category_id == wanted.category_id)
    if wanted.industry:
        query = query.where(Booking.company_id.in_(
            select(company_industries.c.company_id)
            .where(company_industries.c.industry_code == wanted.industry)))
    if wanted.occupation_id is not None:
        query = query.where(Booking.id.in_(
            select(booking_occupations.c.booking_id)
            .where(booking_occupations.c.occupation_id == wanted.occupation_id)))
    return query


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


def company_overview(company: Company) -> list[Booking]:
    """Every booking of the company at every organiser's fairs, by the fair's date
    (soonest first), with the fair, its organiser and venue, category and set-up loaded."""
    return list(db.session.execute(
        select(Booking).join(Event, Event.id == Booking.event_id)
        .where(Booking.company_id == company.id)
        .options(selectinload(Booking.category).selectinload(BoothCategory.setup),
                 selectinload(Booking.event).selectinload(Event.organisation),
                 selectinload(Booking.event).selectinload(Event.venue))
        .order_by(Event.starts_at, Booking.id)).scalars())


def same_day(bookings: list[Booking]) -> dict[date, list[Booking]]:
    """The days (local dates) on which two or more of the confirmed bookings' fairs take
    place: a company cannot be at two fairs at once."""
    by_day: dict[date, list[Booking]] = {}
    for booking in bookings:
        if booking.status != "confirmed":
            continue
        for day in _days(booking.event):
            by_day.setdefault(day, []).append(booking)
    return {day: found for day, found in sorted(by_day.items()) if len(found) > 1}


def _days(event: Event) -> list[date]:
    if event.all_day:
        first, last = event.first_day, event.last_day
    else:
        first = to_local(event.starts_at).date()
        last = to_local(event.ends_at - timedelta(microseconds=1)).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
