"""Timed waitlist offers: a freed place is offered to the head of the waitlist, accepted
or declined, reminded of, and ends exactly once — also when a company accepts while the
scheduler expires it, and with two schedulers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import jobs
from app.booths import services as booths
from app.booths.models import Booking, BoothCategory
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.booths.conftest import outbox_messages


def reload(booking: Booking) -> Booking:
    return db.session.get(Booking, booking.id, populate_existing=True)


def consistent(category: BoothCategory) -> None:
    """The counter equals the bookings that hold a place; the waitlist is 1..n."""
    db.session.expire_all()
    held = db.session.execute(
        select(func.count()).select_from(Booking).where(
            Booking.category_id == category.id,
            Booking.status.in_(("confirmed", "pending", "offered")))).scalar_one()
    assert db.session.get(BoothCategory, category.id).places_taken == held
    positions = sorted(db.session.execute(
        select(Booking.waitlist_position).where(Booking.category_id == category.id,
                                                Booking.status == "waitlisted")).scalars())
    assert positions == list(range(1, len(positions) + 1))


@pytest.fixture
def full(fair, category, company, book, now):
    """A fair that offers freed places for 48 hours, one place, taken, and two waiting."""
    event = fair(waitlist_mode="offer", offer_hours=48)
    place = category(event, capacity=1)
    holder = company("Alpha GmbH")
    first = book(*holder, place)
    second_company, second_user = company("Beta AG")
    second = book(second_company, second_user, place)
    third_company, third_user = company("Gamma KG")
    third = book(third_company, third_user, place)
    return {"event": event, "place": place, "first": first, "holder": holder[1],
            "second": second, "second_user": second_user, "third": third,
            "third_user": third_user}


def free_the_place(full, now):
    booths.cancel(full["first"], full["holder"], now)
    db.session.commit()


def test_a_freed_place_is_offered_with_a_deadline(full, now):
    free_the_place(full, now)
    second = reload(full["second"])
    assert second.status == "offered"
    assert second.offer_expires_at == now + timedelta(hours=48)
    assert reload(full["third"]).waitlist_position == 1
    consistent(full["place"])
    [mail] = outbox_messages(f"booking:{second.id}:offered:%")
    assert "annehmen oder ablehnen" in mail.body.lower() or "accept" in mail.body.lower()
    assert f"/booths/bookings/{second.id}" in mail.body


def test_accept_before_the_deadline_confirms(full, now):
    free_the_place(full, now)
    booths.accept_offer(full["second"], full["second_user"], now + timedelta(hours=47))
    db.session.commit()
    assert reload(full["second"]).status == "confirmed"
    assert reload(full["second"]).offer_expires_at is None
    consistent(full["place"])
    assert booths.expire_offers(now + timedelta(hours=49)) == 0


def test_accept_after_the_deadline_is_refused(full, now):
    free_the_place(full, now)
    with pytest.raises(booths.BookingError) as refused:
        booths.accept_offer(full["second"], full["second_user"], now + timedelta(hours=48))
    assert refused.value.code == "offer_expired"
    db.session.rollback()
    assert reload(full["second"]).status == "offered"


def test_only_the_company_answers_its_offer(full, now):
    free_the_place(full, now)
    for intruder in (full["third_user"], full["holder"]):
        with pytest.raises(booths.BookingDenied):
            booths.accept_offer(full["second"], intruder, now)
        db.session.rollback()
    with pytest.raises(booths.BookingError):
        booths.accept_offer(full["third"], full["third_user"], now)  # not offered
    db.session.rollback()


def test_decline_passes_the_place_on(full, now):
    free_the_place(full, now)
    booths.decline_offer(full["second"], full["second_user"], now + timedelta(hours=1))
    db.session.commit()
    assert reload(full["second"]).status == "declined"
    third = reload(full["third"])
    assert third.status == "offered"
    assert third.offer_expires_at == now + timedelta(hours=49)
    consistent(full["place"])
    assert outbox_messages(f"booking:{full['second'].id}:declined:%")


def test_an_expired_offer_passes_on_exactly_once(full, now):
    free_the_place(full, now)
    assert booths.expire_offers(now + timedelta(hours=47, minutes=59)) == 0
    deadline = now + timedelta(hours=48)
    assert booths.expire_offers(deadline) == 1
    db.session.commit()
    assert booths.expire_offers(deadline + timedelta(minutes=1)) == 0
    db.session.commit()
    assert reload(full["second"]).status == "expired"
    assert reload(full["third"]).status == "offered"
    assert len(outbox_messages(f"booking:{full['second'].id}:offer_expired:%")) == 1
    assert len(outbox_messages(f"booking:{full['third'].id}:offered:%")) == 1
    consistent(full["place"])


def test_reminder_once_before_the_deadline(full, now):
    free_the_place(full, now)
    second = full["second"]
    assert booths.remind_offers(now + timedelta(hours=35)) == 0  # 13 hours left
    assert booths.remind_offers(now + timedelta(hours=36)) == 1
    assert booths.remind_offers(now + timedelta(hours=40)) == 0
    db.session.commit()
    [mail] = outbox_messages(f"booking:{second.id}:offer_reminder:%")
    assert mail.language == "de"


def test_short_offers_are_reminded_at_half_time(fair, category, company, book, now):
    event = fair(waitlist_mode="offer", offer_hours=6)
    place = category(event, capacity=1)
    holder = company()
    first = book(*holder, place)
    second = book(*company(), place)
    booths.cancel(first, holder[1], now)
    db.session.commit()
    assert booths.remind_offers(now + timedelta(hours=2, minutes=59)) == 0
    assert booths.remind_offers(now + timedelta(hours=3)) == 1
    assert reload(second).offer_reminded_at is not None


def test_confirm_mode_still_promotes_at_once(fair, category, company, book, now):
    event = fair(waitlist_mode="confirm")
    place = category(event, capacity=1)
    holder = company()
    first = book(*holder, place)
    second = book(*company(), place)
    booths.cancel(first, holder[1], now)
    db.session.commit()
    assert reload(second).status == "confirmed"


def test_the_job_expires_and_offers(app, full, now, monkeypatch):
    free_the_place(full, now)
    monkeypatch.setattr(jobs, "now_utc", lambda: now + timedelta(hours=50))
    assert jobs.booth_offers_job(app) >= 1
    assert reload(full["second"]).status == "expired"
    assert reload(full["third"]).status == "offered"


def _in_thread(app, work) -> list:
    """Run ``work()`` in a new thread with its own app context and session."""
    results: list = []

    def run():
        with app.app_context():
            try:
                results.append(work())
                db.session.commit()
            except booths.BookingError as error:
                db.session.rollback()
                results.append(error.code)
            finally:
                db.session.remove()
    thread = threading.Thread(target=run)
    return [thread, results]


def test_two_schedulers_expire_an_offer_once(app, full, now):
    free_the_place(full, now)
    deadline = now + timedelta(hours=48)
    barrier = threading.Barrier(2)

    def expire():
        barrier.wait(timeout=10)
        return booths.expire_offers(deadline)
    runs = [_in_thread(app, expire) for _ in range(2)]
    for thread, _ in runs:
        thread.start()
    for thread, _ in runs:
        thread.join(timeout=60)
    assert sorted(results[0] for _, results in runs) == [0, 1]
    db.session.expire_all()
    assert reload(full["second"]).status == "expired"
    assert reload(full["third"]).status == "offered"
    assert db.session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.key.like(f"booking:{full['third'].id}:offered:%"))).scalar_one() == 1
    consistent(full["place"])


@pytest.mark.parametrize("accept_at", [timedelta(hours=47, minutes=59, seconds=59),
                                       timedelta(hours=48)])
def test_accepting_while_it_expires(app, full, now, accept_at):
    """The company clicks "accept" at the moment the scheduler expires the offer: one of
    them wins under the lock, never both; the place is counted once."""
    free_the_place(full, now)
    second_id, user_id = full["second"].id, full["second_user"].id
    barrier = threading.Barrier(2)

    def accept():
        from app.accounts.models import User

        barrier.wait(timeout=10)
        return booths.accept_offer(db.session.get(Booking, second_id),
                                   db.session.get(User, user_id), now + accept_at).status

    def expire():
        barrier.wait(timeout=10)
        return booths.expire_offers(now + timedelta(hours=48))
    accepting, expiring = _in_thread(app, accept), _in_thread(app, expire)
    for thread, _ in (accepting, expiring):
        thread.start()
    for thread, _ in (accepting, expiring):
        thread.join(timeout=60)
    second = reload(full["second"])
    third = reload(full["third"])
    if second.status == "confirmed":
        assert accepting[1] == ["confirmed"] and expiring[1] == [0]
        assert third.status == "waitlisted"
    else:
        assert second.status == "expired" and expiring[1] == [1]
        assert accepting[1][0] in ("offer_expired", "not_offered")
        assert third.status == "offered"
    if accept_at >= timedelta(hours=48):
        assert second.status == "expired"  # the deadline is the deadline
    consistent(full["place"])
