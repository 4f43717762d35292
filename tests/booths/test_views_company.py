"""The companies' booth pages: booking form, result, "My bookings", cancelling, and the
public exhibitor list on the event page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.booths.models import Booking
from app.extensions import db
from app.reference.models import Occupation
from tests.conftest import login


def bookings_count() -> int:
    return db.session.execute(select(func.count()).select_from(Booking)).scalar_one()


def occupations(limit: int = 2) -> list[Occupation]:
    return list(db.session.execute(select(Occupation).order_by(Occupation.id).limit(limit))
                .scalars())


def test_book_confirmed_then_waitlisted(client, fair, category, company):
    event = fair()
    cat = category(event, capacity=1)
    (_a, a_user), (_b, b_user) = company("Erste GmbH"), company("Zweite GmbH")
    jobs = occupations()
    login(client, a_user)
    form = client.get(f"/booths/events/{event.id}/book")
    assert form.status_code == 200
    assert "Standard 9 m²" in form.text and "250" in form.text
    assert jobs[0].name in form.text  # no profile occupations: all are offered
    done = client.post(f"/booths/events/{event.id}/book", data={
        "category_id": cat.id, "staff_count": "3", "power_needs": "230 V",
        "occupations": [str(jobs[0].id), str(jobs[1].id)], "remarks": "Eckplatz bitte"})
    assert done.status_code == 302
    result = client.get(done.headers["Location"])
    assert "booking-result--confirmed" in result.text
    booking = db.session.execute(select(Booking)).scalar_one()
    assert [o.id for o in booking.occupations] == sorted([jobs[0].id, jobs[1].id],
                                                         key=lambda i: db.session.get(
                                                             Occupation, i).name)
    # the booking form now shows the booking instead of a second form
    again = client.get(f"/booths/events/{event.id}/book")
    assert again.status_code == 302 and f"/booths/bookings/{booking.id}" in again.headers[
        "Location"]

    login(client, b_user)
    form = client.get(f"/booths/events/{event.id}/book")
    assert "is-full" in form.text
    done = client.post(f"/booths/events/{event.id}/book",
                       data={"category_id": cat.id, "staff_count": "2"})
    result = client.get(done.headers["Location"])
    assert "booking-result--waitlisted" in result.text
    assert "1" in result.text
    mine = client.get("/booths/")
    assert "Zweite GmbH" in mine.text and "Erste GmbH" not in mine.text
    assert "booking-status--waitlisted" in mine.text


def test_pending_in_approval_mode(client, fair, category, company):
    event = fair(approval="manual")
    cat = category(event, capacity=3)
    firm, user = company()
    login(client, user)
    done = client.post(f"/booths/events/{event.id}/book",
                       data={"category_id": cat.id, "staff_count": "1"})
    page = client.get(done.headers["Location"])
    assert "booking-result--pending" in page.text


def test_window_closed_and_not_open(client, fair, category, company, now):
    event = fair(opens=timedelta(days=2))
    cat = category(event)
    firm, user = company()
    login(client, user)
    page = client.get(f"/booths/events/{event.id}/book")
    assert "booking-closed" in page.text and 'name="staff_count"' not in page.text
    posted = client.post(f"/booths/events/{event.id}/book",
                         data={"category_id": cat.id, "staff_count": "1"})
    assert posted.status_code == 409
    assert bookings_count() == 0


def test_cancel_promotes_waitlisted(client, fair, category, company, book):
    event = fair()
    cat = category(event, capacity=1)
    (a, a_user), (b, b_user) = company("Erste GmbH"), company("Zweite GmbH")
    first = book(a, a_user, cat)
    second = book(b, b_user, cat)
    assert second.status == "waitlisted"
    login(client, a_user)
    # Without JavaScript the first click only asks; nothing changes yet.
    asked = client.post(f"/booths/bookings/{first.id}/cancel")
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in asked.text
    assert db.session.get(Booking, first.id).status == "confirmed"
    response = client.post(f"/booths/bookings/{first.id}/cancel", data={"confirmed": "1"})
    assert response.status_code == 302
    assert db.session.get(Booking, first.id).status == "cancelled"
    login(client, b_user)
    mine = client.get("/booths/")
    assert "booking-status--confirmed" in mine.text
    assert db.session.get(Booking, second.id).status == "confirmed"


def test_company_cannot_see_or_cancel_others(client, fair, category, company, book):
    event = fair()
    cat = category(event)
    (a, a_user), (_b, b_user) = company("Erste GmbH"), company("Zweite GmbH")
    theirs = book(a, a_user, cat)
    login(client, b_user)
    assert client.get(f"/booths/bookings/{theirs.id}").status_code == 404
    assert client.post(f"/booths/bookings/{theirs.id}/cancel",
                       data={"confirmed": "1"}).status_code == 404
    assert client.get("/booths/bookings/99999999999").status_code == 404
    assert db.session.get(Booking, theirs.id).status == "confirmed"
    assert "Erste GmbH" not in client.get("/booths/").text


def test_anonymous_and_organisers_are_kept_out(client, fair, category, organiser):
    event = fair()
    category(event)
    for url in ("/booths/", f"/booths/events/{event.id}/book", "/booths/bookings/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, organiser)
    assert client.get("/booths/").status_code == 403
    assert client.get(f"/booths/events/{event.id}/book").status_code == 403


def test_hostile_booking_input_stores_nothing(client, fair, category, company):
    event = fair()
    cat = category(event)
    firm, user = company()
    login(client, user)
    url = f"/booths/events/{event.id}/book"
    valid = {"category_id": cat.id, "staff_count": "2", "remarks": "Hallo"}
    for bad in ({"category_id": "987654"}, {"category_id": "abc"}, {"staff_count": "-3"},
                {"staff_count": "999"}, {"remarks": "x" * 5000},
                {"power_needs": "y" * 300}, {"occupations": ["424242"]},
                {"remarks": "nul\x00byte"}):
        response = client.post(url, data=valid | bad)
        assert response.status_code == 422, bad
        assert "field__errors" in response.text, bad
    response = client.post(url, data=valid | {"staff_count": "-3"})
    assert "Hallo" in response.text  # the input comes back
    assert bookings_count() == 0


def test_draft_fair_is_not_found(client, fair, category, company):
    event = fair(status="draft")
    firm, user = company()
    login(client, user)
    assert client.get(f"/booths/events/{event.id}/book").status_code == 404


def test_public_exhibitor_list(client, fair, category, company, book, organiser):
    event = fair(approval="manual")
    cat = category(event, capacity=1)
    (a, a_user), (b, b_user), (c, c_user) = company("Sichtbar GmbH"), \
        company("Wartend GmbH"), company("Warteliste AG")
    jobs = occupations(1)
    shown = book(a, a_user, cat, occupation_ids=[jobs[0].id])
    book(b, b_user, category(event, "Zweite", capacity=1))
    book(c, c_user, cat)
    from app.booths import services as booths

    booths.approve(shown, organiser, shown.created_at)
    db.session.commit()
    page = client.get(f"/events/{event.id}")
    assert page.status_code == 200
    assert "h-exhibitors" in page.text
    assert "Sichtbar GmbH" in page.text and jobs[0].name in page.text
    assert "Wartend GmbH" not in page.text and "Warteliste AG" not in page.text
    assert "@" not in page.text.split('id="h-exhibitors"')[1].split("</section>")[0]
    assert "ausbildung@metallbau.example" not in page.text
    # a company user sees a link to book or to its booking
    login(client, b_user)
    assert "/booths/bookings/" in client.get(f"/events/{event.id}").text


def test_a_cancelled_booking_is_storniert_and_a_cancelled_fair_abgesagt(
        client, fair, category, company, book, organiser, now):
    from app.booths import services as booths
    from app.planning.operations import cancel_event

    kept, dropped = fair("Messe Kreuztal"), fair("Messe Olpe")
    firm, user = company()
    booths.cancel(book(firm, user, category(dropped)), user, now)
    book(firm, user, category(kept))
    cancel_event(kept, organiser, now=now, reason="Halle gesperrt")
    db.session.commit()
    login(client, user)
    page = client.get("/booths/").text
    olpe, kreuztal = page[page.index("Messe Olpe"):], page[page.index("Messe Kreuztal"):]
    assert olpe[:olpe.index("</tr>")].count("Storniert") == 1
    assert "Messe abgesagt" in kreuztal[:kreuztal.index("</tr>")]
    assert "Abgesagt" not in page.replace("Messe abgesagt", "")
