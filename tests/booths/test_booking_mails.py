"""What companies are told, and how: cancellation by the organiser or by the company,
a move to another category, a cancelled fair, dates as people read them (whole-day fairs
are dates, not midnights), reminders by the real distance, a promotion in approval mode.
Each test reads the outbox rows: recipient, language, subject and body."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
import pytest

from app.booths import scheduled
from app.booths import services as booths
from app.booths.models import Booking, BoothCategory
from app.calendar import services as calendar
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.time import now_utc
from tests.api.conftest import bearer, token_for  # noqa: F401
from tests.booths.conftest import outbox_messages
from tests.conftest import login

# Fixed dates (2027 and later) meet code that reads the clock: it stands before them.
pytestmark = pytest.mark.usefixtures("fixed_clock")


def mails(booking: Booking, kind: str = "%") -> list[OutboxMessage]:
    return outbox_messages(f"booking:{booking.id}:{kind}:%")


def one(booking: Booking, kind: str) -> OutboxMessage:
    [message] = mails(booking, kind)
    return message


def reload(booking: Booking) -> Booking:
    return db.session.get(Booking, booking.id, populate_existing=True)


CONTACT = {"contact_name": "Anna Beispiel", "contact_email": "messe@ihk-siegen.example"}


# --- cancelling a booking -------------------------------------------------------------------


def test_organiser_cancelling_tells_the_company_in_its_language(
        fair, category, company, book, organiser, now):
    event = fair("Ausbildungsmesse Siegen", **CONTACT)
    standard = category(event, capacity=1)
    firm, user = company("Alpha GmbH", language="en")
    booking = book(firm, user, standard)
    waiting = book(*company("Beta AG"), standard)
    booths.cancel(booking, organiser, now, reason="Die Halle ist kleiner als geplant.")
    db.session.commit()

    message = one(booking, "cancelled_by_organiser")
    assert (message.recipient, message.language) == (user.email, "en")
    assert message.subject == "Booking cancelled by the organiser: Ausbildungsmesse Siegen"
    assert ("The organiser of Ausbildungsmesse Siegen (IHK Siegen) has cancelled the booking "
            "of Alpha GmbH (Standard 9 m²)") in message.body
    assert "Anna Beispiel, messe@ihk-siegen.example" in message.body
    assert message.attachment_name == "event.ics"
    assert mails(booking, "cancelled") == []  # no receipt as if the company had cancelled
    assert len(mails(waiting, "promoted")) == 1


def test_company_cancelling_gets_a_receipt_naming_who(fair, category, company, book,
                                                      make_user, now):
    event = fair("Ausbildungsmesse Olpe")
    firm, user = company("Gamma KG")
    colleague = make_user("kollegin@gamma.example", "company", company=firm, language="en")
    booking = book(firm, user, category(event))
    booths.cancel(booking, user, now)
    db.session.commit()

    by_recipient = {m.recipient: m for m in mails(booking, "cancelled")}
    assert set(by_recipient) == {user.email, colleague.email}
    german = by_recipient[user.email]
    assert german.subject == "Buchung storniert: Ausbildungsmesse Olpe"
    assert f"wurde auf Wunsch von {user.email} storniert" in german.body
    english = by_recipient[colleague.email]
    assert english.language == "en"
    assert f"has been cancelled, as {user.email} asked." in english.body
    assert mails(booking, "cancelled_by_organiser") == []


# --- moving a booking -----------------------------------------------------------------------


def test_a_move_names_old_and_new_category_and_price(fair, category, company, book,
                                                     organiser, now):
    event = fair("Messe Siegen", **CONTACT)
    standard = category(event, "Standard 9 m²", capacity=2, price_cents=25000)
    corner = category(event, "Eckstand 12 m²", capacity=2, price_cents=39950, size_m2=12)
    firm, user = company("Delta GmbH")
    english = company("Epsilon Ltd", language="en")
    booking = book(firm, user, standard)
    other = book(*english, standard)

    booths.move(booking, corner, organiser, now)
    booths.move(other, corner, organiser, now + timedelta(seconds=1))
    db.session.commit()

    german = one(booking, "moved")
    assert german.recipient == user.email
    assert german.subject == "Buchung in eine andere Kategorie verschoben: Messe Siegen"
    assert ("von der Kategorie Standard 9 m² (250 €) in die Kategorie Eckstand 12 m² "
            "(399,50\u00a0€) verschoben") in german.body
    assert "Der Stand in der Kategorie Eckstand 12 m² ist bestätigt." in german.body
    assert "messe@ihk-siegen.example" in german.body
    message = one(other, "moved")
    assert message.language == "en"
    assert ("from the category Standard 9 m² (€250) to Eckstand 12 m² (€399.50)"
            in message.body)
    assert "The booth in Eckstand 12 m² is confirmed." in message.body

    # Moved back: news again, with the categories the other way round.
    booths.move(booking, standard, organiser, now + timedelta(minutes=5))
    db.session.commit()
    back = mails(booking, "moved")[-1]
    assert "von der Kategorie Eckstand 12 m² (399,50\u00a0€) in die Kategorie Standard 9 m²" \
        in back.body


def test_a_waitlisted_move_says_where_it_stands(fair, category, company, book, organiser,
                                                now):
    event = fair("Messe Olpe")
    small = category(event, "Klein", capacity=1, price_cents=10000)
    large = category(event, "Groß", capacity=1, price_cents=0)
    book(*company("Hält Klein GmbH"), small)
    book(*company("Hält Groß GmbH"), large)
    waiting = book(*company("Wartet GmbH", language="en"), small)
    booths.move(waiting, large, organiser, now)
    db.session.commit()
    assert reload(waiting).waitlist_position == 1
    message = one(waiting, "moved")
    assert "from the category Klein (€100) to Groß (€0)" in message.body
    assert ("All booths of Groß are taken: Wartet GmbH is on its waitlist at position 1"
            in message.body)
    assert mails(waiting, "waitlisted")[1:] == []  # only the first "waitlisted" from booking


# --- the fair is cancelled ------------------------------------------------------------------


@pytest.fixture
def cancelled_setup(fair, category, company, book, make_user):
    """A fair with two categories: Standard (one confirmed, two waitlisted), Ecke (one
    confirmed); a German and an English company user."""
    event = fair("Ausbildungsmesse Kreuztal", **CONTACT)
    standard = category(event, "Standard", capacity=1)
    corner = category(event, "Ecke", capacity=1)
    german_firm, german = company("Zeta GmbH")
    english_firm, english = company("Eta Ltd", language="en")
    bookings = [book(german_firm, german, standard), book(english_firm, english, standard),
                book(*company("Theta KG"), standard), book(*company("Iota AG"), corner)]
    return event, (standard, corner), bookings, (german, english)


def test_cancelling_the_fair_cancels_every_booking_and_tells_each_company(
        cancelled_setup, organiser, now):
    event, categories, bookings, (german, english) = cancelled_setup
    assert [b.status for b in bookings] == ["confirmed", "waitlisted", "waitlisted",
                                            "confirmed"]
    calendar.change_status(event, organiser, "cancelled", reason="Die Halle ist gesperrt.",
                           now=now)
    queued = booths.event_cancelled(event, now)
    db.session.commit()
    assert queued == 4

    for booking in bookings:
        booking = reload(booking)
        assert (booking.status, booking.waitlist_position) == ("cancelled", None)
        assert booking.cancelled_at == now and booking.cancelled_by_id == organiser.id
    for category in categories:
        db.session.refresh(category)
        assert category.places_taken == 0

    first = one(bookings[0], "fair_cancelled")
    assert (first.recipient, first.language) == (german.email, "de")
    assert first.subject == "Messe abgesagt: Ausbildungsmesse Kreuztal"
    assert "Der Veranstalter (IHK Siegen) hat Ausbildungsmesse Kreuztal am" in first.body
    assert "Begründung des Veranstalters: Die Halle ist gesperrt." in first.body
    assert "Anna Beispiel" in first.body
    ics = icalendar.Calendar.from_ical(first.attachment)
    [vevent] = ics.walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"  # an imported entry is updated to cancelled

    second = one(bookings[1], "fair_cancelled")
    assert (second.recipient, second.language) == (english.email, "en")
    assert second.subject == "Fair cancelled: Ausbildungsmesse Kreuztal"
    assert "Reason given by the organiser: Die Halle ist gesperrt." in second.body
    # Nobody was promoted into the freed places, and nothing is sent twice.
    assert all(mails(booking, "promoted") == [] for booking in bookings)
    assert booths.event_cancelled(event, now) == 0
    assert scheduled.due_fair_cancellations(now) == 0
    # No reminder for a cancelled fair.
    assert scheduled.due_reminders(event.starts_at - timedelta(days=6)) == 0


def test_cancelling_the_fair_on_the_page_tells_the_exhibitors_at_once(
        client, cancelled_setup, organiser, now):
    event, _categories, bookings, _users = cancelled_setup
    login(client, organiser)
    response = client.post(f"/manage/events/{event.id}/status",
                           data={"status": "cancelled", "reason": "Zu wenige Anmeldungen"})
    assert response.status_code == 302
    db.session.expire_all()
    for booking in bookings:
        booking = reload(booking)
        assert booking.status == "cancelled" and booking.cancelled_by_id == organiser.id
        assert "Zu wenige Anmeldungen" in one(booking, "fair_cancelled").body
    assert scheduled.due_fair_cancellations(now) == 0  # nothing left for the job


def test_the_booth_job_settles_a_fair_cancelled_another_way(cancelled_setup, organiser, now):
    """A fair cancelled in a shell or by a script: the job settles it (who cancelled is
    taken from the event's history)."""
    event, _categories, bookings, _users = cancelled_setup
    calendar.change_status(event, organiser, "cancelled", reason="Zu wenige Anmeldungen",
                           now=now)
    db.session.commit()
    assert scheduled.due_fair_cancellations(now) == 4
    db.session.commit()
    for booking in bookings:
        booking = reload(booking)
        assert booking.status == "cancelled" and booking.cancelled_by_id == organiser.id
        assert "Zu wenige Anmeldungen" in one(booking, "fair_cancelled").body
    assert scheduled.due_fair_cancellations(now) == 0


def test_cancelling_the_fair_through_the_api_tells_the_exhibitors_at_once(
        client, cancelled_setup, organiser, token_for):  # noqa: F811
    event, _categories, bookings, _users = cancelled_setup
    response = client.post(f"/api/v1/events/{event.id}/cancel", json={"reason": "Hallenbrand"},
                           headers=bearer(token_for(organiser)))
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert all("Hallenbrand" in one(booking, "fair_cancelled").body for booking in bookings)


def test_a_fair_cancelled_after_it_ended_cancels_quietly(fair, category, company, book,
                                                         organiser, now):
    event = fair("Vergangene Messe")
    booking = book(*company(), category(event))
    calendar.change_status(event, organiser, "cancelled", now=now_utc())
    db.session.commit()
    assert scheduled.due_fair_cancellations(event.ends_at + timedelta(days=1)) == 0
    db.session.commit()
    assert reload(booking).status == "cancelled"
    assert mails(booking, "fair_cancelled") == []


def test_no_booking_by_hand_at_a_cancelled_fair(fair, category, company, organiser, now):
    event = fair()
    standard = category(event)
    calendar.change_status(event, organiser, "cancelled", now=now_utc())
    firm, _user = company()
    with pytest.raises(booths.BookingError) as refused:
        booths.add_by_hand(firm, standard, booths.BookingDetails(), organiser, now)
    assert refused.value.code == "not_bookable"


def test_other_status_changes_leave_bookings_alone(fair, category, company, book, now):
    event = fair()
    booking = book(*company(), category(event))
    assert booths.event_cancelled(event, now) == 0
    assert reload(booking).status == "confirmed"


# --- dates in mails -------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "expected", "midnight"), [
    ("de", "am Samstag, 14. Juni 2031 ist bestätigt.", "00:00"),
    ("en", "on Saturday, 14 June 2031 is confirmed.", "12:00:00"),
])
def test_a_whole_day_fair_is_a_date_not_midnight(fair, category, company, book,
                                                 language, expected, midnight):
    event = fair("Tag der Ausbildung", day=date(2031, 6, 14), all_day_until=date(2031, 6, 14))
    booking = book(*company(language=language), category(event))
    message = one(booking, "confirmed")
    assert expected in message.body
    assert midnight not in message.body and "Sommerzeit" not in message.body


def test_a_timed_fair_shows_its_hours_in_local_time(fair, category, company, book):
    event = fair("Abendmesse", day=date(2031, 1, 10))  # 09:00–14:00 Berlin, winter
    german = book(*company(), category(event, capacity=2))
    english = book(*company(language="en"), db.session.get(BoothCategory, german.category_id))
    assert "am Freitag, 10. Januar 2031, 09:00–14:00 Uhr" in one(german, "confirmed").body
    body = one(english, "confirmed").body
    assert "Friday, 10 January 2031" in body and "09:00" in body and "14:00" in body


def test_a_multi_day_fair_names_both_days(fair, category, company, book):
    event = fair("Zweitägige Messe", day=date(2031, 6, 13), all_day_until=date(2031, 6, 14))
    booking = book(*company(), category(event))
    body = one(booking, "confirmed").body
    assert "13." in body and "14. Juni 2031" in body and "00:00" not in body


# --- reminders ------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "before", "subject"), [
    ("de", timedelta(days=7) - timedelta(minutes=5), "Erinnerung: Messe Siegen in 7 Tagen"),
    ("en", timedelta(days=7) - timedelta(minutes=5), "Reminder: Messe Siegen in 7 days"),
    ("de", timedelta(days=1), "Erinnerung: Messe Siegen morgen"),
    ("en", timedelta(days=1), "Reminder: Messe Siegen tomorrow"),
    ("en", timedelta(days=2), "Reminder: Messe Siegen in 2 days"),
    ("de", timedelta(hours=2), "Erinnerung: Messe Siegen heute"),
])
def test_a_reminder_names_the_real_distance(fair, category, company, book, language,
                                            before, subject):
    event = fair("Messe Siegen")
    booking = book(*company(language=language), category(event))
    assert scheduled.due_reminders(event.starts_at - before) == 1
    db.session.commit()
    message = one(booking, "reminder")
    assert (message.subject, message.language) == (subject, language)


def test_a_booking_placed_after_the_reminder_point_gets_no_reminder(
        fair, category, company, book, organiser, now):
    event = fair("Messe Siegen")
    standard = category(event, capacity=1)
    early = book(*company("Früh GmbH"), standard)
    firm, _user = company("Spät GmbH")
    late = booths.add_by_hand(firm, category(event, "Ecke", capacity=1), booths.BookingDetails(),
                              organiser, event.starts_at - timedelta(days=2))
    db.session.commit()
    assert one(late, "confirmed")  # the confirmation tells the date two days ahead
    assert scheduled.due_reminders(event.starts_at - timedelta(days=1)) == 1
    db.session.commit()
    assert len(mails(early, "reminder")) == 1
    assert mails(late, "reminder") == []


# --- promotion in approval mode -------------------------------------------------------------


def test_a_promotion_in_approval_mode_says_it_awaits_approval(fair, category, company,
                                                              book, organiser, now):
    event = fair("Messe Siegen", approval="manual")
    standard = category(event, capacity=1)
    first = book(*company("Alpha GmbH"), standard)
    waiting = book(*company("Beta AG", language="en"), standard)
    booths.reject(first, organiser, now, reason="Die Branche ist schon vertreten.")
    db.session.commit()
    assert reload(waiting).status == "pending"
    message = one(waiting, "promoted")
    assert "now holds a booth" not in message.body
    assert "has moved up from the waitlist and now awaits the organiser's approval" \
        in message.body
    assert "Status: Awaiting approval." in message.body


def test_a_promotion_with_automatic_confirmation_holds_a_booth(fair, category, company,
                                                               book, now):
    event = fair("Messe Siegen")
    standard = category(event, capacity=1)
    firm, user = company("Alpha GmbH")
    first = book(firm, user, standard)
    waiting = book(*company("Beta AG"), standard)
    booths.cancel(first, user, now)
    db.session.commit()
    body = one(waiting, "promoted").body
    assert "hat jetzt einen Stand. Status: Bestätigt." in body
