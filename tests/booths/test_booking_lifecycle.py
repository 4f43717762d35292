"""The booking lifecycle through the services: book, wait, cancel, promote, approve,
reject, move, add by hand, registration window, capacity changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booths import services as booths
from app.booths.models import Booking, BoothCategory
from app.extensions import db
from app.reference.models import Occupation
from tests.booths.conftest import outbox_messages


def statuses(category: BoothCategory) -> list[tuple[str, str, int | None]]:
    rows = db.session.execute(
        select(Booking).where(Booking.category_id == category.id).order_by(Booking.id)
    ).scalars()
    return [(row.company.name, row.status, row.waitlist_position) for row in rows]


def consistent(category: BoothCategory) -> None:
    """The stored counter matches the bookings; the waitlist is numbered 1..n."""
    db.session.refresh(category)
    holding = db.session.execute(
        select(func.count()).select_from(Booking).where(
            Booking.category_id == category.id, Booking.status.in_(("confirmed", "pending")))
    ).scalar_one()
    assert category.places_taken == holding <= category.capacity
    positions = [booking.waitlist_position for booking in booths.waitlist(category)]
    assert positions == list(range(1, len(positions) + 1))


def test_book_until_full_then_waitlist(fair, category, company, book):
    event = fair()
    standard = category(event, capacity=2)
    results = []
    for name in ("Alpha GmbH", "Beta AG", "Gamma KG", "Delta GmbH"):
        firm, user = company(name)
        results.append(book(firm, user, standard))
    assert [(b.status, b.waitlist_position) for b in results] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    consistent(standard)
    assert standard.places_free == 0


def test_cancel_promotes_the_first_waitlisted_at_once(fair, category, company, book, now):
    event = fair()
    standard = category(event, capacity=1)
    first_firm, first_user = company("Alpha GmbH")
    first = book(first_firm, first_user, standard)
    waiting = [book(*company(name), standard) for name in ("Beta AG", "Gamma KG", "Delta")]
    booths.cancel(first, first_user, now + timedelta(minutes=1))
    db.session.commit()
    assert statuses(standard) == [
        ("Alpha GmbH", "cancelled", None), ("Beta AG", "confirmed", None),
        ("Gamma KG", "waitlisted", 1), ("Delta", "waitlisted", 2)]
    assert first.cancelled_at == now + timedelta(minutes=1)
    assert first.cancelled_by_id == first_user.id
    consistent(standard)
    [promoted_mail] = outbox_messages(f"booking:{waiting[0].id}:promoted%")
    assert "Beta AG" in promoted_mail.body and promoted_mail.attachment.startswith(b"BEGIN:")


def test_cancelling_a_waitlisted_booking_closes_the_gap(fair, category, company, book, now):
    event = fair()
    standard = category(event, capacity=1)
    book(*company("Alpha"), standard)
    waiting = [(book(firm, user, standard), user)
               for firm, user in (company("Beta"), company("Gamma"), company("Delta"))]
    booking, user = waiting[0]
    booths.cancel(booking, user, now)
    db.session.commit()
    assert [(name, position) for name, status, position in statuses(standard)
            if status == "waitlisted"] == [("Gamma", 1), ("Delta", 2)]
    consistent(standard)


def test_manual_approval_keeps_the_place_until_decided(fair, category, company, book,
                                                       organiser, now):
    event = fair(approval="manual")
    standard = category(event, capacity=1)
    pending = book(*company("Alpha"), standard)
    waiting = book(*company("Beta"), standard)
    assert (pending.status, waiting.status, waiting.waitlist_position) == (
        "pending", "waitlisted", 1)
    booths.approve(pending, organiser, now)
    db.session.commit()
    assert pending.status == "confirmed" and pending.decided_by_id == organiser.id
    consistent(standard)


def test_reject_frees_the_place_for_the_waitlist(fair, category, company, book, organiser,
                                                 now):
    event = fair(approval="manual")
    standard = category(event, capacity=1)
    pending = book(*company("Alpha"), standard)
    waiting = book(*company("Beta"), standard)
    booths.reject(pending, organiser, now, reason="Die Branche ist schon vertreten.")
    db.session.commit()
    assert pending.status == "rejected"
    # In approval mode the promoted booking waits for the organiser too.
    assert (waiting.status, waiting.waitlist_position) == ("pending", None)
    consistent(standard)
    with pytest.raises(booths.BookingError) as caught:
        booths.approve(pending, organiser, now)
    assert caught.value.code == "not_pending"


def test_reject_confirmed_is_refused(fair, category, company, book, organiser, now):
    standard = category(fair(), capacity=1)
    confirmed = book(*company(), standard)
    with pytest.raises(booths.BookingError) as caught:
        booths.reject(confirmed, organiser, now, reason="Die Branche ist schon vertreten.")
    assert caught.value.code == "not_rejectable"


def test_move_to_a_free_category_promotes_in_the_old_one(fair, category, company, book,
                                                         organiser, now):
    event = fair()
    small = category(event, "Klein", capacity=1)
    large = category(event, "Groß", capacity=1)
    moving = book(*company("Alpha"), small)
    waiting = book(*company("Beta"), small)
    booths.move(moving, large, organiser, now)
    db.session.commit()
    assert (moving.category_id, moving.status) == (large.id, "confirmed")
    assert (waiting.status, waiting.waitlist_position) == ("confirmed", None)
    consistent(small)
    consistent(large)


def test_move_into_a_full_category_is_refused_for_a_confirmed_booking(
        fair, category, company, book, organiser, now):
    event = fair()
    small = category(event, "Klein", capacity=1)
    large = category(event, "Groß", capacity=1)
    moving = book(*company("Alpha"), small)
    book(*company("Beta"), large)
    with pytest.raises(booths.BookingError) as caught:
        booths.move(moving, large, organiser, now)
    assert caught.value.code == "full"


def test_move_waitlisted_joins_the_end_of_the_other_waitlist(fair, category, company, book,
                                                             organiser, now):
    event = fair()
    small = category(event, "Klein", capacity=1)
    large = category(event, "Groß", capacity=1)
    book(*company("A"), small)
    first_small = book(*company("B"), small)
    second_small = book(*company("C"), small)
    book(*company("D"), large)
    waiting_large = book(*company("E"), large)
    booths.move(first_small, large, organiser, now)
    db.session.commit()
    assert (first_small.category_id, first_small.waitlist_position) == (large.id, 2)
    assert waiting_large.waitlist_position == 1
    assert second_small.waitlist_position == 1
    consistent(small)
    consistent(large)


def test_move_to_another_fair_is_refused(fair, category, company, book, organiser, now):
    booking = book(*company(), category(fair("Messe A")))
    elsewhere = category(fair("Messe B"))
    with pytest.raises(booths.BookingInvalid):
        booths.move(booking, elsewhere, organiser, now)


def test_add_by_hand_works_outside_the_window(fair, category, company, organiser, now):
    event = fair(opens=timedelta(days=3))
    standard = category(event, capacity=1)
    firm, _ = company("Telefon GmbH")
    booking = booths.add_by_hand(firm, standard, booths.BookingDetails(staff_count=2),
                                 organiser, now)
    db.session.commit()
    assert (booking.status, booking.decided_by_id, booking.created_by_id) == (
        "confirmed", organiser.id, organiser.id)
    other, _ = company("Zweite GmbH")
    second = booths.add_by_hand(other, standard, booths.BookingDetails(), organiser, now)
    assert (second.status, second.waitlist_position) == ("waitlisted", 1)


def test_capacity_increase_promotes_and_decrease_below_taken_is_refused(
        fair, category, company, book, organiser, now):
    event = fair()
    standard = category(event, capacity=1)
    book(*company("A"), standard)
    waiting = book(*company("B"), standard)
    data = booths.CategoryData(name=standard.name, size_m2=9, price_cents=100, capacity=2)
    booths.update_category(standard, organiser, data, now)
    db.session.commit()
    assert waiting.status == "confirmed"
    data.capacity = 1
    with pytest.raises(booths.BookingInvalid) as caught:
        booths.update_category(standard, organiser, data, now)
    assert caught.value.field == "capacity"


def test_details_and_occupations_are_stored(fair, category, company, book):
    standard = category(fair())
    occupations = db.session.execute(select(Occupation).order_by(Occupation.id).limit(2)) \
        .scalars().all()
    firm, user = company()
    booking = book(firm, user, standard, staff_count=3, power_needs="230 V, 2 kW",
                   occupation_ids=[o.id for o in occupations], remarks="Eckstand bitte")
    assert booking.staff_count == 3 and booking.power_needs == "230 V, 2 kW"
    assert {o.id for o in booking.occupations} == {o.id for o in occupations}
    assert booking.remarks == "Eckstand bitte"


@pytest.mark.parametrize(("details", "field"), [
    ({"staff_count": 0}, "staff_count"),
    ({"staff_count": 51}, "staff_count"),
    ({"occupation_ids": [999_999]}, "occupations"),
    ({"remarks": "x" * 2001}, "remarks"),
    ({"power_needs": "x" * 201}, "power_needs"),
])
def test_invalid_details_are_refused(fair, category, company, now, details, field):
    standard = category(fair())
    firm, user = company()
    with pytest.raises(booths.BookingInvalid) as caught:
        booths.book(firm, standard, booths.BookingDetails(**details), user, now)
    assert caught.value.field == field


# --- deadlines ---------------------------------------------------------------------------


def test_nothing_can_be_booked_before_opening(fair, category, company, now):
    event = fair(opens=timedelta(hours=2))
    firm, user = company()
    with pytest.raises(booths.BookingError) as caught:
        booths.book(firm, category(event), booths.BookingDetails(), user, now)
    assert caught.value.code == "not_open_yet"
    opens = booths.setup_of(event).opens_at
    assert str(opens.year) in caught.value.message  # the message says when


def test_nothing_can_be_booked_after_closing(fair, category, company, now):
    event = fair()
    standard = category(event)
    firm, user = company()
    closes = booths.setup_of(event).closes_at
    with pytest.raises(booths.BookingError) as caught:
        booths.book(firm, standard, booths.BookingDetails(), user, closes)
    assert caught.value.code == "closed"
    booking = booths.book(firm, standard, booths.BookingDetails(), user,
                          closes - timedelta(seconds=1))
    assert booking.status == "confirmed"


def test_company_cannot_cancel_after_closing_but_organiser_can(
        fair, category, company, book, organiser):
    event = fair()
    standard = category(event)
    firm, user = company()
    booking = book(firm, user, standard)
    closes = booths.setup_of(event).closes_at
    with pytest.raises(booths.BookingError) as caught:
        booths.cancel(booking, user, closes)
    assert caught.value.code == "closed"
    booths.cancel(booking, organiser, closes + timedelta(hours=1), reason="Auf Wunsch per Telefon.")
    assert booking.status == "cancelled"


def test_unpublished_or_exhibitorless_fairs_cannot_be_booked(
        fair, category, company, make_event, now):
    draft = fair(status="draft")
    firm, user = company()
    with pytest.raises(booths.BookingError) as caught:
        booths.book(firm, category(draft), booths.BookingDetails(), user, now)
    assert caught.value.code == "not_bookable"


def test_setup_rules(make_event, organiser, now):
    event = make_event(organisation=organiser.organisation)
    with pytest.raises(booths.BookingInvalid) as caught:
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=now, closes_at=now - timedelta(hours=1)), now)
    assert caught.value.field == "closes_at"
    with pytest.raises(booths.BookingInvalid):
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=now, closes_at=event.starts_at + timedelta(hours=1)), now)
    with pytest.raises(booths.BookingInvalid) as caught:
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=now, closes_at=event.starts_at, approval="maybe"), now)
    assert caught.value.field == "approval"


# --- one active booking per company and fair --------------------------------------------


def test_one_active_booking_per_company_and_fair(fair, category, company, book, now):
    event = fair()
    small, large = category(event, "Klein"), category(event, "Groß")
    firm, user = company()
    first = book(firm, user, small)
    with pytest.raises(booths.BookingError) as caught:
        booths.book(firm, large, booths.BookingDetails(), user, now)
    assert caught.value.code == "already_booked"
    db.session.rollback()
    booths.cancel(first, user, now)
    db.session.commit()
    again = book(firm, user, large)
    assert again.status == "confirmed"


def test_the_database_refuses_a_second_active_booking(fair, category, company, book):
    from sqlalchemy.exc import IntegrityError

    event = fair()
    small, large = category(event, "Klein"), category(event, "Groß")
    firm, user = company()
    book(firm, user, small)
    db.session.add(Booking(company_id=firm.id, category_id=large.id, event_id=event.id,
                           status="waitlisted", waitlist_position=1, staff_count=1))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_overbooking_and_duplicate_positions(fair, category, company,
                                                                  book):
    from sqlalchemy.exc import IntegrityError

    standard = category(fair(), capacity=1)
    book(*company(), standard)
    standard.places_taken = 2
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    book(*company(), standard)  # waitlisted at 1
    firm, _ = company()
    db.session.add(Booking(company_id=firm.id, category_id=standard.id,
                           event_id=standard.event_id, status="waitlisted",
                           waitlist_position=1, staff_count=1))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
