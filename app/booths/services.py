"""Booth sign-ups: fair set-up, categories, bookings, waitlist and approvals.

Every function takes the acting user and, where time matters, ``now``; they flush, the
caller commits (after a ``BookingError`` the caller rolls back, as after any error).

Concurrency design — the invariants are "confirmed + pending bookings of a category never
exceed its capacity" and "the waitlist of a category is numbered 1..n in arrival order,
without gaps or repeats", under any number of web workers, on SQLite and PostgreSQL:

* Every change to a category's bookings (book, cancel, approve, reject, move, add by hand,
  capacity change, promotion) first takes **the category's lock** (``lock_categories``)
  and only then reads the counts and decides. Decisions are never made on data read
  before the lock.
  - PostgreSQL: ``SELECT … FROM booth_categories WHERE id IN (…) ORDER BY id FOR UPDATE``
    in the booking's transaction. Concurrent bookings of one category queue on the row;
    under READ COMMITTED every later statement sees what the previous holder committed.
    Two categories (a move) are locked in id order, so two moves cannot deadlock.
  - SQLite has no row locks, so the transaction starts with ``BEGIN IMMEDIATE``: the
    database's single write lock is taken *before* the first read, so the reads and the
    writes of a booking are one serialised unit (pysqlite would otherwise start the
    transaction lazily at the first INSERT, after the reads). Waiting writers sleep in
    SQLite's busy handler (``app.locks``) and ``BEGIN IMMEDIATE`` is retried when
    it still reports "database is locked" — nothing has happened in that transaction yet,
    so a retry is safe.
* The database has the last word even if code is wrong: ``places_taken`` (confirmed +
  pending) has ``CHECK (places_taken <= capacity)`` and is only ever changed by
  ``places_taken = places_taken ± 1`` in SQL; a partial unique index allows one
  active booking per company and fair (two requests of one company for two categories
  take two different locks, so there the index decides, and the loser gets a
  ``BookingError``); waitlist positions are unique per category.
* The waitlist is renumbered in ascending order when someone leaves it, one row at a time,
  so that the unique index holds after every statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import Company, User
from app.booths import notifications
from app.booths.codes import ACTIVE_STATUSES, APPROVAL_MODES, HOLDS_PLACE, MAX_STAFF
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.models import Event, EventChange
from app.calendar.services import can_edit, can_view
from app.errors import DomainError
from app.extensions import db
from app.locks import begin_immediate
from app.reference.models import Occupation
from app.time import as_utc, now_utc, to_local

MAX_OCCUPATIONS = 30
MAX_REMARKS = 2000
MAX_POWER_NEEDS = 200


class BookingError(DomainError):
    """A booking rule was broken: ``code`` is stable (API), the message is for people,
    ``field`` names the input at fault (or None for the whole request)."""

    status = 409

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message, field=field, code=code)


class BookingInvalid(BookingError):
    """The input breaks a rule (422 in the API)."""

    status = 422


class BookingDenied(BookingError):
    """The acting user may not do this (403, or 404 where existence must not leak)."""

    status = 403

    def __init__(self, message: str | None = None):
        super().__init__("forbidden", message or str(_l("You are not allowed to do this.")))


@dataclass
class FairSetupData:
    """What an organiser enters for a fair's booth sign-up. Times are aware (UTC)."""

    opens_at: datetime
    closes_at: datetime
    approval: str = "auto"
    takes_exhibitors: bool = True
    setup_starts_at: datetime | None = None
    teardown_ends_at: datetime | None = None


@dataclass
class CategoryData:
    """A booth category as the organiser enters it; the price is in cents."""

    name: str
    size_m2: float
    price_cents: int
    capacity: int
    includes_table: bool = False
    includes_power: bool = False
    includes_internet: bool = False
    description: str = ""


@dataclass
class BookingDetails:
    """What a company fills in when it books."""

    staff_count: int = 1
    power_needs: str = ""
    occupation_ids: list[int] = field(default_factory=list)
    remarks: str = ""


# --- who may do what ---------------------------------------------------------------------


def can_manage(user: User | None, event: Event) -> bool:
    """Organisers of the event's organisation (and admins) run its booth sign-up."""
    return can_edit(user, event)


def is_company_member(user: User | None, company: Company) -> bool:
    """An active company user of ``company``."""
    return (user is not None and user.is_authenticated and user.active
            and user.role == "company" and user.company_id == company.id)


def can_see_booking(user: User | None, booking: Booking) -> bool:
    """A booking is seen by its own company and by the fair's organisers, nobody else."""
    if user is None:
        return False
    return (is_company_member(user, booking.company)
            or can_manage(user, db.session.get(Event, booking.event_id)))


def can_book_category(user: User | None, category: BoothCategory) -> bool:
    """Whether ``user`` may even see the category (its fair is visible to them); the
    window and the other rules are checked by ``book``."""
    return can_view(user, db.session.get(Event, category.event_id))


def _require_manager(user: User | None, event: Event) -> None:
    if not can_manage(user, event):
        raise BookingDenied(str(_l("Only the organisers of this fair can do this.")))


# --- fair set-up -------------------------------------------------------------------------


def setup_of(event: Event) -> BoothSetup | None:
    return db.session.get(BoothSetup, event.id)


def takes_exhibitors(event: Event) -> bool:
    setup = setup_of(event)
    return setup is not None and setup.takes_exhibitors


def configure_fair(event: Event, actor: User, data: FairSetupData, now: datetime) -> BoothSetup:
    """Create or change the booth sign-up of ``event`` (organisers of the event only)."""
    _require_manager(actor, event)
    errors = _check_setup(event, data)
    if errors:
        raise BookingInvalid("validation_failed", errors[0][1], errors[0][0])
    setup = setup_of(event)
    if setup is None:
        setup = BoothSetup(event_id=event.id, created_at=now, sequence=0)
        db.session.add(setup)
    elif setup.takes_exhibitors != data.takes_exhibitors:
        _exhibitors_changed(event.id, now)
    setup.takes_exhibitors = data.takes_exhibitors
    setup.opens_at, setup.closes_at = as_utc(data.opens_at), as_utc(data.closes_at)
    setup.approval = data.approval
    times = (as_utc(data.setup_starts_at) if data.setup_starts_at else None,
             as_utc(data.teardown_ends_at) if data.teardown_ends_at else None)
    if times != _setup_times(setup):
        setup.sequence += 1  # the companies' feeds show these times
    setup.setup_starts_at, setup.teardown_ends_at = times
    setup.updated_at = now
    db.session.flush()
    return setup


def _setup_times(setup: BoothSetup) -> tuple[datetime | None, datetime | None]:
    return tuple(as_utc(value) if value else None
                 for value in (setup.setup_starts_at, setup.teardown_ends_at))


def _check_setup(event: Event, data: FairSetupData) -> list[tuple[str, str]]:
    errors = []
    if data.approval not in APPROVAL_MODES:
        errors.append(("approval", str(_l("Unknown approval mode."))))
    if data.closes_at <= data.opens_at:
        errors.append(("closes_at", str(_l("Registration must close after it opens."))))
    if data.closes_at > event.starts_at:
        errors.append(("closes_at", str(_l("Registration must close before the fair begins."))))
    if data.setup_starts_at and data.setup_starts_at > event.starts_at:
        errors.append(("setup_starts_at", str(_l("Set-up must begin before the fair."))))
    if data.teardown_ends_at and data.teardown_ends_at < event.ends_at:
        errors.append(("teardown_ends_at", str(_l("Tear-down must end after the fair."))))
    return errors


def categories_of(event: Event) -> list[BoothCategory]:
    """The event's booth categories, cheapest first."""
    return list(db.session.execute(
        select(BoothCategory).where(BoothCategory.event_id == event.id)
        .order_by(BoothCategory.price_cents, BoothCategory.id)
    ).scalars())


def add_category(event: Event, actor: User, data: CategoryData) -> BoothCategory:
    """A new booth category of ``event``."""
    _require_manager(actor, event)
    _check_category(event, data, None)
    category = BoothCategory(event_id=event.id, places_taken=0)
    _apply_category(category, data)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(category: BoothCategory, actor: User, data: CategoryData,
                    now: datetime) -> BoothCategory:
    """Change a category. A larger capacity promotes waitlisted bookings at once; the
    capacity cannot drop below the places already taken."""
    event = db.session.get(Event, category.event_id)
    _require_manager(actor, event)
    category = lock_categories([category.id])[category.id]
    _check_category(event, data, category)
    if data.capacity < category.places_taken:
        raise BookingInvalid("validation_failed", ngettext(
            "%(num)d place is already taken; the capacity cannot be lower.",
            "%(num)d places are already taken; the capacity cannot be lower.",
            category.places_taken), "capacity")
    _apply_category(category, data)
    db.session.flush()
    _fill_places(category, actor, now)
    return category


def delete_category(category: BoothCategory, actor: User) -> None:
    """Remove a category that has no bookings at all (keeps the history of bookings)."""
    event = db.session.get(Event, category.event_id)
    _require_manager(actor, event)
    used = db.session.execute(
        select(func.count()).select_from(Booking).where(Booking.category_id == category.id)
    ).scalar_one()
    if used:
        raise BookingError("in_use", str(_l("This category has bookings and stays.")))
    db.session.delete(category)
    db.session.flush()


def _check_category(event: Event, data: CategoryData, category: BoothCategory | None) -> None:
    name = data.name.strip()
    if not name or len(name) > 120:
        raise BookingInvalid("validation_failed",
                             str(_l("Please enter a name of up to 120 characters.")), "name")
    clash = db.session.execute(
        select(BoothCategory.id).where(BoothCategory.event_id == event.id,
                                       func.lower(BoothCategory.name) == name.lower())
    ).scalar_one_or_none()
    if clash is not None and (category is None or clash != category.id):
        raise BookingInvalid("validation_failed",
                             str(_l("This fair already has a category of that name.")), "name")
    if not 0 < data.size_m2 <= 10_000:
        raise BookingInvalid("validation_failed",
                             str(_l("The size must be between 0 and 10,000 m².")), "size_m2")
    if not 0 <= data.price_cents <= 100_000_000:
        raise BookingInvalid("validation_failed", str(_l("The price is not valid.")),
                             "price_cents")
    if not 0 <= data.capacity <= 10_000:
        raise BookingInvalid("validation_failed",
                             str(_l("The capacity must be between 0 and 10,000.")), "capacity")


def _apply_category(category: BoothCategory, data: CategoryData) -> None:
    category.name = data.name.strip()
    category.description = data.description.strip()
    category.size_m2 = float(data.size_m2)
    category.price_cents = data.price_cents
    category.capacity = data.capacity
    category.includes_table = data.includes_table
    category.includes_power = data.includes_power
    category.includes_internet = data.includes_internet


# --- the lock ----------------------------------------------------------------------------


def lock_categories(category_ids: Iterable[int]) -> dict[int, BoothCategory]:
    """Take the lock for changing these categories' bookings, and re-read them.

    See the module docstring. On SQLite this begins the transaction with BEGIN IMMEDIATE
    (if it has not written yet; a transaction that has written holds the lock already).
    """
    ids = sorted(set(category_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        begin_immediate()
    rows = db.session.execute(
        select(BoothCategory).where(BoothCategory.id.in_(ids)).order_by(BoothCategory.id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    return {row.id: row for row in rows}


def _relock_booking(booking: Booking, extra: Sequence[int] = ()) -> dict[int, BoothCategory]:
    """Lock the booking's category (and ``extra`` ones) and re-read the booking. A move
    by someone else in between changes its category; then lock again."""
    for _ in range(3):
        wanted = {booking.category_id, *extra}
        locked = lock_categories(wanted)
        db.session.refresh(booking)
        if booking.category_id in locked:
            return locked
    raise BookingError("busy", str(_l("The booking changed meanwhile. Please try again.")))


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


# --- booking -----------------------------------------------------------------------------


def check_window(setup: BoothSetup | None, event: Event, now: datetime) -> None:
    """Raise BookingError unless companies can book this fair at ``now``."""
    if setup is None or not setup.takes_exhibitors:
        raise BookingError("no_exhibitors", str(_l("This fair does not take exhibitors.")))
    if event.status != "published":
        raise BookingError("not_bookable", str(_l("This fair cannot be booked.")))
    if now < setup.opens_at:
        raise BookingError("not_open_yet", str(_l(
            "Registration opens on %(when)s.", when=_local(setup.opens_at))))
    if now >= setup.closes_at:
        raise BookingError("closed", str(_l(
            "Registration closed on %(when)s.", when=_local(setup.closes_at))))


def book(company: Company, category: BoothCategory, details: BookingDetails, actor: User,
         now: datetime) -> Booking:
    """A company books a category: ``confirmed`` (or ``pending`` when the fair needs
    approval) while places are free, else ``waitlisted`` at the end of the waitlist.

    Only the company's own users book for it, only while registration is open, and only
    once per fair.
    """
    if not is_company_member(actor, company):
        raise BookingDenied(str(_l("You can only book for your own company.")))
    occupations = _check_details(details)
    category = lock_categories([category.id]).get(category.id)
    if category is None:
        raise BookingInvalid("validation_failed", str(_l("Unknown booth category.")),
                             "category_id")
    event = db.session.get(Event, category.event_id)
    setup = setup_of(event)
    check_window(setup, event, now)
    return _create(company, category, setup, details, occupations, actor, now, by_hand=False)


def add_by_hand(company: Company, category: BoothCategory, details: BookingDetails,
                actor: User, now: datetime) -> Booking:
    """An organiser enters a booking (e.g. from a phone call), also outside the
    registration window: confirmed while places are free, else waitlisted."""
    event = db.session.get(Event, category.event_id)
    _require_manager(actor, event)
    occupations = _check_details(details)
    category = lock_categories([category.id])[category.id]
    setup = setup_of(event)
    if setup is None or not setup.takes_exhibitors:
        raise BookingError("no_exhibitors", str(_l("This fair does not take exhibitors.")))
    if event.status == "cancelled":
        raise BookingError("not_bookable", str(_l("This fair is cancelled.")))
    return _create(company, category, setup, details, occupations, actor, now, by_hand=True)


def _create(company: Company, category: BoothCategory, setup: BoothSetup,
            details: BookingDetails, occupations: list[Occupation], actor: User,
            now: datetime, *, by_hand: bool) -> Booking:
    already = active_booking(company, category.event)
    if already is not None:
        raise BookingError("already_booked", str(_l(
            "%(company)s already has a booking for this fair.", company=company.name)))
    booking = Booking(
        company=company, category_id=category.id, event_id=category.event_id,
        staff_count=details.staff_count, power_needs=details.power_needs.strip(),
        remarks=details.remarks.strip(), occupations=occupations, created_at=now,
        created_by_id=actor.id,
    )
    if category.places_taken < category.capacity:
        _take_place(booking, category, confirm=by_hand or not setup.needs_approval,
                    actor=actor if by_hand else None, now=now)
    else:
        booking.status = "waitlisted"
        booking.waitlist_position = _waitlist_length(category) + 1
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError as error:
        # The partial unique index: a concurrent booking of the same company for another
        # category of this fair won. The caller rolls back.
        raise BookingError("already_booked", str(_l(
            "%(company)s already has a booking for this fair.", company=company.name))) \
            from error
    notifications.booking_changed(booking, booking.status, now)
    return booking


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


def _take_place(booking: Booking, category: BoothCategory, *, confirm: bool,
                actor: User | None, now: datetime) -> None:
    """Give ``booking`` one of the category's places (the caller holds the lock)."""
    booking.status = "confirmed" if confirm else "pending"
    booking.waitlist_position = None
    booking.category_id = category.id
    if confirm and actor is not None:
        booking.decided_at, booking.decided_by_id = now, actor.id
    if confirm:
        _exhibitors_changed(category.event_id, now)
    _count_place(category, +1)


def _exhibitors_changed(event_id: int, now: datetime) -> None:
    """The fair's public exhibitors changed, so its page and its feed description
    (the occupations on offer) did: the event counts as modified, which moves its
    LAST-MODIFIED and the feeds' ETag (``app.feeds.services.feed_validator``)."""
    db.session.execute(update(Event).where(Event.id == event_id).values(updated_at=now))


def _count_place(category: BoothCategory, delta: int) -> None:
    """Change the counter in SQL (``places_taken = places_taken + delta``), not by
    writing a number computed in Python, so that the CHECK constraint sees the real
    count even if a lock were missing."""
    db.session.execute(
        update(BoothCategory).where(BoothCategory.id == category.id)
        .values(places_taken=BoothCategory.places_taken + delta)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(category, ["places_taken"])


def _waitlist_length(category: BoothCategory) -> int:
    return db.session.execute(
        select(func.count()).select_from(Booking)
        .where(Booking.category_id == category.id, Booking.status == "waitlisted")
    ).scalar_one()


def _leave(booking: Booking, category: BoothCategory, status: str, now: datetime,
           **stamps: object) -> None:
    """Give up the booking's place or waitlist slot and set its new ``status`` (and the
    ``stamps``, e.g. cancelled_at) in one step; the waitlist behind it moves up (the
    caller holds the lock)."""
    position = booking.waitlist_position if booking.status == "waitlisted" else None
    held = booking.status in HOLDS_PLACE
    if booking.status == "confirmed":
        _exhibitors_changed(booking.event_id, now)
    booking.status = status
    booking.waitlist_position = None
    for name, value in stamps.items():
        setattr(booking, name, value)
    db.session.flush()
    if held:
        _count_place(category, -1)
    if position is not None:
        _close_gap(category.id, position)


def _close_gap(category_id: int, position: int) -> None:
    """Move everyone behind ``position`` up by one, front first (unique index holds)."""
    behind = db.session.execute(
        select(Booking.id, Booking.waitlist_position)
        .where(Booking.category_id == category_id, Booking.status == "waitlisted",
               Booking.waitlist_position > position)
        .order_by(Booking.waitlist_position)
    ).all()
    for booking_id, old in behind:
        db.session.execute(update(Booking).where(Booking.id == booking_id)
                           .values(waitlist_position=old - 1))


def _fill_places(category: BoothCategory, actor: User | None, now: datetime) -> list[Booking]:
    """Promote the head of the waitlist while places are free (the caller holds the lock)."""
    setup = db.session.get(BoothSetup, category.event_id)
    promoted = []
    while category.places_taken < category.capacity:
        head = db.session.execute(
            select(Booking).where(Booking.category_id == category.id,
                                  Booking.status == "waitlisted",
                                  Booking.waitlist_position == 1)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if head is None:
            break
        head.waitlist_position = None
        _take_place(head, category, confirm=not (setup and setup.needs_approval),
                    actor=None, now=now)
        if head.status == "confirmed":
            head.decided_at = now
        db.session.flush()
        _close_gap(category.id, 1)
        notifications.booking_changed(head, "promoted", now)
        promoted.append(head)
    db.session.flush()
    return promoted


def cancel(booking: Booking, actor: User, now: datetime) -> Booking:
    """Cancel an active booking. Companies cancel their own until registration closes;
    organisers at any time. A freed place goes to the head of the waitlist at once."""
    event = db.session.get(Event, booking.event_id)
    manager = can_manage(actor, event)
    if not (manager or is_company_member(actor, booking.company)):
        raise BookingDenied()
    category = _relock_booking(booking)[booking.category_id]
    if not booking.is_active:
        raise BookingError("not_active", str(_l("This booking is no longer active.")))
    setup = setup_of(event)
    if not manager and setup is not None and now >= setup.closes_at:
        raise BookingError("closed", str(_l(
            "Registration closed on %(when)s; please contact the organiser to cancel.",
            when=_local(setup.closes_at))))
    _leave(booking, category, "cancelled", now, cancelled_at=now, cancelled_by_id=actor.id)
    db.session.flush()
    # The company hears of it either way: a short receipt when one of its users
    # cancelled (the others of the company learn of it too), a notice when the
    # organiser did.
    notifications.booking_changed(booking, "cancelled_by_organiser" if manager else "cancelled",
                                  now, notifications.Occasion(actor=actor))
    _fill_places(category, actor, now)
    return booking


def approve(booking: Booking, actor: User, now: datetime) -> Booking:
    """The organiser confirms a pending booking (its place is already kept for it)."""
    event = db.session.get(Event, booking.event_id)
    _require_manager(actor, event)
    _relock_booking(booking)
    if booking.status != "pending":
        raise BookingError("not_pending", str(_l("Only pending bookings can be approved.")))
    booking.status = "confirmed"
    booking.decided_at, booking.decided_by_id = now, actor.id
    _exhibitors_changed(booking.event_id, now)
    db.session.flush()
    notifications.booking_changed(booking, "confirmed", now)
    return booking


def reject(booking: Booking, actor: User, now: datetime) -> Booking:
    """The organiser turns down a pending or waitlisted booking; a freed place is
    passed on to the waitlist."""
    event = db.session.get(Event, booking.event_id)
    _require_manager(actor, event)
    category = _relock_booking(booking)[booking.category_id]
    if booking.status not in ("pending", "waitlisted"):
        raise BookingError("not_rejectable", str(_l(
            "Only pending or waitlisted bookings can be rejected; cancel a confirmed one.")))
    _leave(booking, category, "rejected", now, decided_at=now, decided_by_id=actor.id)
    db.session.flush()
    notifications.booking_changed(booking, "rejected", now)
    _fill_places(category, actor, now)
    return booking


def move(booking: Booking, target: BoothCategory, actor: User, now: datetime) -> Booking:
    """The organiser moves an active booking to another category of the same fair.

    A booking with a place needs a free place in the target; a waitlisted one gets a
    place there if one is free, else joins the end of the target's waitlist. The place
    it leaves goes to the head of the old category's waitlist.
    """
    event = db.session.get(Event, booking.event_id)
    _require_manager(actor, event)
    if target.event_id != booking.event_id:
        raise BookingInvalid("validation_failed", str(_l(
            "The category belongs to another fair.")), "category_id")
    locked = _relock_booking(booking, [target.id])
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
        _count_place(source, -1)
    if free:
        _take_place(booking, target, confirm=was != "pending",
                    actor=actor if was == "waitlisted" else None, now=now)
    else:
        booking.waitlist_position = _waitlist_length(target) + 1
        booking.category_id = target.id
    db.session.flush()
    if position is not None:
        _close_gap(source.id, position)
    # One message names the old and the new category (and price) and where the booking
    # stands now: confirmed, awaiting approval, or its place on the new waitlist.
    notifications.booking_changed(booking, "moved", now,
                                  notifications.Occasion(actor=actor, moved_from=source))
    _fill_places(source, actor, now)
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
        _leave(booking, locked[booking.category_id], "cancelled", now, cancelled_at=now,
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


def _local(value: datetime) -> str:
    from app.i18n import current_language

    return format_datetime(to_local(value), "medium", locale=current_language())
