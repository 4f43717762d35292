"""Booth sign-ups: fair set-up, categories, bookings, waitlist and approvals.

This package is the booths area's services: ``rules`` (errors, input, who may do what),
``locking`` (the category lock and what happens under it), ``queries``, ``fairs`` (set-up
and categories) and ``bookings`` (the operations); callers use the names re-exported here
(``from app.booths import services as booths``).

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
    SQLite's busy handler (``extensions.SQLITE_BUSY_TIMEOUT_MS``) and ``BEGIN
    IMMEDIATE`` is retried when it still reports "database is locked" — nothing has
    happened in that transaction yet, so a retry is safe. (WAL mode: readers outside the
    lock never wait for it.)
* The lock is held as briefly as possible (the booking rush, see ``bench/bookings.py``):
  everything that needs no lock — the rules, the fair and its set-up, the mail's
  recipients, the new booking's fields — is done before it; under it come the counts,
  the booking (a waitlisted one counts its position in its own INSERT), the counter and
  one outbox row with the facts of the change (mails are rendered after the commit,
  ``notifications``); the statements of that path are built once and compiled once
  (``outbox.services`` explains why its insert is a text). Its commit does not
  wait for the disk (PostgreSQL: ``synchronous_commit`` off for the transactions that
  take the lock; SQLite: WAL with ``synchronous=NORMAL``): a crash of the database
  server may lose the last fraction of a second of booking changes, never consistency.
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

from app.booths.services.allocation import (
    allocate,
    allocation_rules,
    draw,
    draw_key,
    drawn_order,
    due_allocations,
    seed_fingerprint,
)
from app.booths.services.bookings import (
    REJECTABLE,
    add_by_hand,
    approve,
    book,
    cancel,
    event_cancelled,
    move,
    reject,
)
from app.booths.services.fairs import (
    add_category,
    categories_of,
    configure_fair,
    delete_category,
    quota_places,
    update_category,
)
from app.booths.services.locking import (
    lock_categories,
)
from app.booths.services.offers import (
    accept_offer,
    decline_offer,
    due_offers,
    expire_offer,
    expire_offers,
    remind_offers,
)
from app.booths.services.queries import (
    BookingFilter,
    active_booking,
    bookable_category,
    company_bookings,
    company_overview,
    event_bookings,
    exhibitors,
    filtered_bookings,
    same_day,
    visible_booking,
    waitlist,
)
from app.booths.services.rules import (
    MAX_INVOICE_ADDRESS,
    MAX_OCCUPATIONS,
    MAX_ORDER_NUMBER,
    MAX_POWER_NEEDS,
    MAX_REASON,
    MAX_REMARKS,
    BookingDenied,
    BookingDetails,
    BookingError,
    BookingInvalid,
    CategoryData,
    FairSetupData,
    can_book_category,
    can_manage,
    can_see_booking,
    check_window,
    is_company_member,
    setup_of,
    takes_exhibitors,
)
from app.booths.services.stands import (
    StandProblems,
    normalise_stand,
    set_stands,
    stands_from_csv,
)

__all__ = [
    "allocation_rules",
    "draw_key",
    "company_overview",
    "same_day",
    "BookingFilter",
    "filtered_bookings",
    "MAX_INVOICE_ADDRESS",
    "MAX_ORDER_NUMBER",
    "MAX_REASON",
    "BookingDenied",
    "BookingDetails",
    "BookingError",
    "BookingInvalid",
    "CategoryData",
    "FairSetupData",
    "MAX_OCCUPATIONS",
    "MAX_POWER_NEEDS",
    "MAX_REMARKS",
    "REJECTABLE",
    "StandProblems",
    "accept_offer",
    "active_booking",
    "add_by_hand",
    "add_category",
    "allocate",
    "approve",
    "book",
    "bookable_category",
    "can_book_category",
    "can_manage",
    "can_see_booking",
    "cancel",
    "categories_of",
    "check_window",
    "company_bookings",
    "configure_fair",
    "decline_offer",
    "due_offers",
    "expire_offer",
    "delete_category",
    "draw",
    "drawn_order",
    "due_allocations",
    "event_bookings",
    "event_cancelled",
    "exhibitors",
    "expire_offers",
    "is_company_member",
    "lock_categories",
    "move",
    "normalise_stand",
    "quota_places",
    "reject",
    "remind_offers",
    "seed_fingerprint",
    "set_stands",
    "setup_of",
    "stands_from_csv",
    "takes_exhibitors",
    "update_category",
    "visible_booking",
    "waitlist",
]
