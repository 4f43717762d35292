"""Stand numbers: by form or CSV, once per fair, all or nothing; shown to the company, in
its feed and in the exhibitor lists."""

from __future__ import annotations

import io

import icalendar
import pytest

from app.booths import feed
from app.booths import services as booths
from app.booths.exports import exhibitors_csv
from app.booths.models import Booking
from app.extensions import db
from tests.conftest import login


@pytest.fixture
def exhibitors(fair, category, company, book):
    event = fair()
    place = category(event, capacity=3)
    first = book(*company("Alpha GmbH"), place)
    second = book(*company("Beta AG"), place)
    waiting_place = category(event, "Voll", capacity=0)
    waiting = book(*company("Gamma KG"), waiting_place)
    return event, first, second, waiting


def stands(*bookings) -> list:
    db.session.expire_all()
    return [db.session.get(Booking, booking.id).stand for booking in bookings]


def test_stands_once_per_fair(exhibitors, organiser):
    event, first, second, waiting = exhibitors
    assert booths.set_stands(event, organiser, {first.id: "  Halle 2,   Stand 14 ",
                                                second.id: "Halle 2, Stand 15"}) == 2
    db.session.commit()
    assert stands(first, second) == ["Halle 2, Stand 14", "Halle 2, Stand 15"]
    for bad in ({second.id: "halle 2, stand 14"},            # used twice (any case)
                {waiting.id: "Halle 3"},                    # not confirmed
                {first.id: "x" * 41},                       # too long
                {first.id: "Halle\x002"},                   # control character
                {999999: "Halle 9"}):                       # not of this fair
        with pytest.raises(booths.StandProblems):
            booths.set_stands(event, organiser, bad)
        db.session.rollback()
    assert stands(first, second) == ["Halle 2, Stand 14", "Halle 2, Stand 15"]
    # Swapping two stands in one go is fine: the check sees the end result.
    booths.set_stands(event, organiser, {first.id: "Halle 2, Stand 15",
                                         second.id: "Halle 2, Stand 14"})
    db.session.commit()
    assert stands(first, second) == ["Halle 2, Stand 15", "Halle 2, Stand 14"]
    booths.set_stands(event, organiser, {first.id: ""})
    db.session.commit()
    assert stands(first) == [None]


def test_only_its_organisers_set_stands(exhibitors, make_user, make_organisation, company):
    event, first, *_ = exhibitors
    stranger = make_user("x@hwk.example", "organiser",
                         organisation=make_organisation("HWK", "hwk"))
    _firm, firm_user = company()
    for user in (stranger, firm_user):
        with pytest.raises(booths.BookingDenied):
            booths.set_stands(event, user, {first.id: "A1"})


def test_stands_from_csv(exhibitors, organiser):
    event, first, second, waiting = exhibitors
    data = ("\ufeffcompany;stand\r\nalpha gmbh;Halle 1, Stand 3\r\n\r\n"
            "Beta AG;Halle 1, Stand 4\r\n").encode()
    assert booths.stands_from_csv(event, organiser, data) == 2
    db.session.commit()
    assert stands(first, second) == ["Halle 1, Stand 3", "Halle 1, Stand 4"]
    by_number = f"booking,stand\n{first.id},A 1\n".encode()
    booths.stands_from_csv(event, organiser, by_number)
    db.session.commit()
    assert stands(first) == ["A 1"]


@pytest.mark.parametrize("data", [
    b"company;stand\nAlpha GmbH;B1\nBeta AG;b1\n",          # the same stand twice
    b"company;stand\nAlpha GmbH;B1\nAlpha GmbH;B2\n",       # a booking twice
    b"company;stand\nUnbekannt GmbH;B1\n",                  # no such exhibitor
    b"company;stand\nGamma KG;B1\n",                        # not confirmed
    b"name;platz\nAlpha GmbH;B1\n",                         # no usable header
    b"",                                                    # empty
    "company;stand\nAlpha GmbH;B1\n".encode("utf-16"),      # not UTF-8
    b"booking;stand\nabc;B1\n",                             # no number
    b"company;stand\n" + b"Alpha GmbH;B1\n" * 40000,        # too large
])
def test_bad_csv_stores_nothing(exhibitors, organiser, data):
    event, first, second, _waiting = exhibitors
    with pytest.raises(booths.StandProblems) as error:
        booths.stands_from_csv(event, organiser, data)
    assert error.value.problems
    db.session.rollback()
    assert stands(first, second) == [None, None]


def test_the_stand_is_shown_where_it_matters(client, exhibitors, organiser, company):
    event, first, *_ = exhibitors
    booths.set_stands(event, organiser, {first.id: "Halle 2, Stand 14"})
    db.session.commit()
    assert "Halle 2, Stand 14" in exhibitors_csv(event).decode("utf-8-sig")
    assert "Halle 2, Stand 14" in client.get(f"/events/{event.id}").text
    calendar = icalendar.Calendar.from_ical(feed.render_company_feed(first.company))
    [entry] = calendar.walk("VEVENT")
    assert "Stand: Halle 2, Stand 14" in str(entry["DESCRIPTION"])
    login(client, organiser)
    assert "Halle 2, Stand 14" in client.get(
        f"/manage/events/{event.id}/booths/exhibitors").text
    user = first.company.users[0]
    login(client, user)
    assert "Halle 2, Stand 14" in client.get(f"/booths/bookings/{first.id}").text
    assert "Halle 2, Stand 14" in client.get("/booths/").text


def test_cancelling_frees_the_stand(exhibitors, organiser, now):
    event, first, second, _ = exhibitors
    booths.set_stands(event, organiser, {first.id: "A1"})
    db.session.commit()
    booths.cancel(first, organiser, now, reason="Auf Wunsch.")
    db.session.commit()
    booths.set_stands(event, organiser, {second.id: "A1"})
    db.session.commit()
    assert stands(first, second) == [None, "A1"]


def test_stand_forms(client, exhibitors, organiser):
    event, first, second, waiting = exhibitors
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/stands"
    twice = client.post(url, data={f"stand-{first.id}": "C7", f"stand-{second.id}": "c7"})
    assert twice.status_code == 422
    assert 'value="c7"' in twice.text  # what was typed stays
    assert stands(first, second) == [None, None]
    saved = client.post(url, data={f"stand-{first.id}": "C7", f"stand-{second.id}": "C8",
                                   f"stand-{waiting.id}": ""})
    assert saved.status_code == 422  # the waitlisted booking cannot have one
    saved = client.post(url, data={f"stand-{first.id}": "C7", f"stand-{second.id}": "C8"})
    assert saved.status_code == 302
    assert stands(first, second) == ["C7", "C8"]
    upload = f"/manage/events/{event.id}/booths/stands.csv"
    bad = client.post(upload, data={"file": (io.BytesIO(b"company;stand\nNiemand;D1\n"),
                                             "stands.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "Niemand" not in stands(first)
    missing = client.post(upload, data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    good = client.post(upload, data={"file": (io.BytesIO(b"company;stand\nAlpha GmbH;D1\n"),
                                              "stands.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 302 and stands(first) == ["D1"]
