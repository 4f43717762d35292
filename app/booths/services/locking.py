"""The category lock and what may only be done under it: counting places, numbering the
waitlist, leaving it and filling freed places (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.booths import notifications
from app.booths.codes import HOLDS_PLACE
from app.booths.models import Booking, BoothCategory, BoothSetup, booking_occupations
from app.booths.services.rules import BookingError
from app.calendar.models import Event
from app.extensions import db
from app.locks import begin_immediate, close_waitlist_gap

# --- the lock ----------------------------------------------------------------------------

# The statements of the booking path, built once: SQLAlchemy keeps their cache keys, so
# a booking spends its time in the database, not in building SQL.
_LOCK = (select(BoothCategory.id, BoothCategory.places_taken, BoothCategory.capacity)
         .where(BoothCategory.id.in_(bindparam("ids", expanding=True)))
         .order_by(BoothCategory.id).with_for_update())
# PostgreSQL: the same, and the transaction commits without waiting for its WAL to reach
# the disk (``synchronous_commit`` off for this transaction only). The row lock lasts
# until the commit, and a durable commit waits for an fsync (8 ms on the benchmark's
# machine, more than all the rest under the lock). The cost: a crash of the database
# server may lose the bookings of its last fraction of a second (never consistency) —
# the same promise SQLite gives here in WAL mode with ``synchronous=NORMAL``.
_LOCK_POSTGRESQL = _LOCK.add_columns(
    func.set_config("synchronous_commit", "off", True).label("commit_mode"))


def last_waitlist_position(category_id: ColumnElement[int]) -> ScalarSelect[int]:
    """The category's last waitlist position, 0 without a waitlist. Positions run 1..n
    without gaps (kept so under the lock), so this is the waitlist's length, read from
    the end of the unique index on (category, position) instead of counting n rows."""
    return (select(func.coalesce(func.max(Booking.waitlist_position), 0))
            .where(Booking.category_id == category_id).scalar_subquery())


_WAITLIST_LENGTH = select(last_waitlist_position(bindparam("category")))
_CATEGORIES = BoothCategory.__table__
_COUNT_PLACE = (update(_CATEGORIES).where(_CATEGORIES.c.id == bindparam("category"))
                .values(places_taken=_CATEGORIES.c.places_taken + bindparam("delta")))
# What ``relock_booking`` re-reads of a booking.
_CHANGEABLE = [*(attribute.key for attribute in inspect(Booking).column_attrs), "occupations"]
_EXHIBITORS_CHANGED = (update(Event.__table__).where(Event.__table__.c.id == bindparam("event"))
                       .values(updated_at=bindparam("stamp")))


def lock_categories(category_ids: Iterable[int]) -> dict[int, BoothCategory]:
    """Take the lock for changing these categories' bookings, and re-read their counts
    (``places_taken``, ``capacity``) under it.

    See the module docstring. On SQLite this begins the transaction with BEGIN IMMEDIATE
    (if it has not written yet; a transaction that has written holds the lock already).
    """
    ids = sorted(set(category_ids))
    if db.session.get_bind().dialect.name == "sqlite":
        begin_immediate()
        rows = db.session.execute(_LOCK, {"ids": ids}).all()
    else:
        rows = db.session.execute(_LOCK_POSTGRESQL, {"ids": ids}).all()
    locked = {}
    for row in rows:
        # Only the counts decide; the object keeps what else the session loaded.
        category = db.session.get(BoothCategory, row.id)
        set_committed_value(category, "places_taken", row.places_taken)
        set_committed_value(category, "capacity", row.capacity)
        locked[row.id] = category
    return locked



def relock_booking(booking: Booking, extra: Sequence[int] = ()) -> dict[int, BoothCategory]:
    """Lock the booking's category (and ``extra`` ones) and re-read the booking. A move
    by someone else in between changes its category; then lock again.

    Only what can change is re-read (its columns and occupations): its fair and company
    stay loaded, and its category is the one just locked, so neither the service nor
    the answer built from the booking asks for them again.
    """
    for _ in range(3):
        wanted = {booking.category_id, *extra}
        locked = lock_categories(wanted)
        db.session.refresh(booking, _CHANGEABLE)
        if booking.category_id in locked:
            set_committed_value(booking, "category", locked[booking.category_id])
            return locked
    raise BookingError("busy", str(_l("The booking changed meanwhile. Please try again.")))


def take_place(booking: Booking, category: BoothCategory, *, confirm: bool,
                actor: User | None, now: datetime) -> None:
    """Give ``booking`` one of the category's places (the caller holds the lock)."""
    booking.status = "confirmed" if confirm else "pending"
    booking.waitlist_position = None
    booking.category_id = category.id
    if confirm and actor is not None:
        booking.decided_at, booking.decided_by_id = now, actor.id
    if confirm:
        exhibitors_changed(category.event_id, now, booking)
    count_place(category, +1)


def exhibitors_changed(event_id: int, now: datetime, booking: Booking | None = None) -> None:
    """The fair's exhibitors changed: when that changes the occupations on offer, which
    the feeds' descriptions name, the event counts as modified, which moves its
    LAST-MODIFIED and the feeds' ETag (``app.feeds.services.feed_validator``).

    For one ``booking`` coming or going, the occupations on offer change only if it
    names one that no other confirmed booking of the fair names. Touching the event for
    every booking would make every subscribed calendar download every feed again, and
    every cached page be rendered again, on a booking day many times a second.
    """
    if booking is not None:
        named = {occupation.id for occupation in booking.occupations}
        if not named:
            return
        others = set(db.session.execute(
            select(booking_occupations.c.occupation_id).distinct()
            .join(Booking, Booking.id == booking_occupations.c.booking_id)
            .where(Booking.event_id == event_id, Booking.status == "confirmed",
                   Booking.id != booking.id,
                   booking_occupations.c.occupation_id.in_(named))).scalars())
        if named <= others:
            return
    db.session.execute(_EXHIBITORS_CHANGED, {"event": event_id, "stamp": now})


def count_place(category: BoothCategory, delta: int) -> None:
    """Change the counter in SQL (``places_taken = places_taken + delta``), not by
    writing a number computed in Python, so that the CHECK constraint sees the real
    count even if a lock were missing."""
    db.session.execute(_COUNT_PLACE, {"category": category.id, "delta": delta})
    # What the database now holds (the caller holds the lock): no reload needed.
    set_committed_value(category, "places_taken", category.places_taken + delta)


def waitlist_length(category: BoothCategory) -> int:
    return db.session.execute(_WAITLIST_LENGTH, {"category": category.id}).scalar_one()


def leave(booking: Booking, category: BoothCategory, status: str, now: datetime,
           **stamps: object) -> None:
    """Give up the booking's place or waitlist slot and set its new ``status`` (and the
    ``stamps``, e.g. cancelled_at) in one step; the waitlist behind it moves up (the
    caller holds the lock)."""
    position = booking.waitlist_position if booking.status == "waitlisted" else None
    held = booking.status in HOLDS_PLACE
    if booking.status == "confirmed":
        exhibitors_changed(booking.event_id, now, booking)
    booking.status = status
    booking.waitlist_position = None
    booking.stand = None  # a stand number belongs to a confirmed booking
    booking.offer_expires_at = None
    for name, value in stamps.items():
        setattr(booking, name, value)
    db.session.flush()
    if held:
        count_place(category, -1)
    if position is not None:
        close_gap(category.id, position)


def close_gap(category_id: int, position: int) -> None:
    """Move the category's waitlist behind ``position`` up by one (the caller holds the
    lock)."""
    close_waitlist_gap(Booking, Booking.category_id, category_id, position)


def fill_places(category: BoothCategory, actor: User | None, now: datetime) -> list[Booking]:
    """Give freed places to the head of the waitlist while places are free (the caller
    holds the lock): an offer to accept until a deadline (``setup.offer_hours``), or a
    place at once — confirmed, or pending when the organiser approves bookings."""
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
        if setup is not None and setup.offers:
            head.status = "offered"
            head.offer_expires_at = now + timedelta(hours=setup.offer_hours)
            head.offer_reminded_at = None
            count_place(category, +1)
            kind = "offered"
        else:
            take_place(head, category, confirm=not (setup and setup.needs_approval),
                       actor=None, now=now)
            if head.status == "confirmed":
                head.decided_at = now
            kind = "promoted"
        db.session.flush()
        close_gap(category.id, 1)
        notifications.booking_changed(head, kind, now)
        promoted.append(head)
    db.session.flush()
    return promoted
