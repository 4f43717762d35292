"""The key invariant under concurrent requests: 60 threads, each with its own app
context, session and database connection, race for a category with 10 places — exactly
10 confirmed, the other 50 waitlisted at positions 1..50 in arrival order, no gaps, no
repeats (on SQLite and on PostgreSQL, whichever the suite runs on)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import Company, User
from app.booths import services as booths
from app.booths.models import Booking, BoothCategory
from app.extensions import db

THREADS = 60
PLACES = 10


def race(app, jobs, work):
    """Run ``work(*job)`` for every job in its own thread and app context, all released
    at the same moment; returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def run(*job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcome = work(*job)
                db.session.commit()
                with lock:
                    results.append(outcome)
            except Exception as error:  # reported by the test, not lost in the thread
                db.session.rollback()
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    return results, errors


def test_many_concurrent_bookings_never_oversell(app, fair, category, company, now):
    event = fair()
    places = category(event, capacity=PLACES)
    pairs = [company(f"Firma {number:02d} GmbH") for number in range(THREADS)]
    jobs = [(firm.id, user.id) for firm, user in pairs]
    category_id = places.id
    db.session.commit()

    def book(company_id: int, user_id: int):
        booking = booths.book(db.session.get(Company, company_id),
                              db.session.get(BoothCategory, category_id),
                              booths.BookingDetails(), db.session.get(User, user_id), now)
        return booking.id, booking.status, booking.waitlist_position

    results, errors = race(app, jobs, book)
    assert errors == []
    assert len(results) == THREADS
    confirmed = [result for result in results if result[1] == "confirmed"]
    waitlisted = sorted((result for result in results if result[1] == "waitlisted"),
                        key=lambda result: result[2])
    assert len(confirmed) == PLACES
    assert [position for _, _, position in waitlisted] == list(range(1, THREADS - PLACES + 1))
    # First come, first served: ids are handed out under the lock, in arrival order.
    assert [booking_id for booking_id, _, _ in waitlisted] == sorted(
        booking_id for booking_id, _, _ in waitlisted)
    assert max(booking_id for booking_id, _, _ in confirmed) < waitlisted[0][0]

    db.session.expire_all()
    stored = db.session.get(BoothCategory, category_id)
    assert stored.places_taken == PLACES
    assert db.session.execute(
        select(func.count()).select_from(Booking)
        .where(Booking.category_id == category_id, Booking.status == "confirmed")
    ).scalar_one() == PLACES


def test_concurrent_cancellations_and_bookings_keep_the_waitlist_whole(
        app, fair, category, company, book, now):
    """Half of the confirmed companies cancel while newcomers book: every freed place goes
    to the head of the waitlist, and the waitlist stays numbered 1..n."""
    event = fair()
    places = category(event, capacity=PLACES)
    holders = [company(f"Halter {number:02d}") for number in range(PLACES)]
    bookings = [book(firm, user, places) for firm, user in holders]
    early = [company(f"Früh {number:02d}") for number in range(10)]
    for firm, user in early:
        book(firm, user, places)
    late = [company(f"Spät {number:02d}") for number in range(20)]
    category_id = places.id
    jobs = [("cancel", booking.id, user.id) for booking, (_, user)
            in zip(bookings[:5], holders[:5], strict=True)]
    jobs += [("book", firm.id, user.id) for firm, user in late]
    db.session.commit()

    def act(kind: str, target_id: int, user_id: int):
        user = db.session.get(User, user_id)
        later = now + timedelta(seconds=1)
        if kind == "cancel":
            return booths.cancel(db.session.get(Booking, target_id), user, later).status
        return booths.book(db.session.get(Company, target_id),
                           db.session.get(BoothCategory, category_id),
                           booths.BookingDetails(), user, later).status

    results, errors = race(app, jobs, act)
    assert errors == []
    assert results.count("cancelled") == 5
    db.session.expire_all()
    rows = db.session.execute(
        select(Booking).where(Booking.category_id == category_id).order_by(Booking.id)
    ).scalars().all()
    confirmed = [row for row in rows if row.status == "confirmed"]
    waiting = sorted((row for row in rows if row.status == "waitlisted"),
                     key=lambda row: row.waitlist_position)
    assert len(confirmed) == PLACES
    assert [row.waitlist_position for row in waiting] == list(range(1, len(waiting) + 1))
    assert len(waiting) == 10 + 20 - 5
    # The five freed places went to the five earliest waiting companies.
    assert sorted(row.company.name for row in confirmed if row.company.name.startswith(
        "Früh")) == [f"Früh {number:02d}" for number in range(5)]
    assert [row.company.name for row in waiting[:5]] == [f"Früh {n:02d}" for n in range(5, 10)]
