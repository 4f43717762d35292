"""The feeds name the apprenticeships on offer at a fair: the occupations its confirmed
exhibitors present, and nothing from pending, waitlisted or cancelled bookings. A booking
that changes them must get through every cache: the stored VEVENT, the remembered
validator and the rendered feed."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlalchemy import select

from app.booths import services as booths
from app.calendar import ical
from app.extensions import db
from app.feeds import services as feeds
from app.reference.models import Occupation
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401

FEED = "/feeds/all.ics"


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


def descriptions(data: bytes) -> dict[str, str]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")}


def test_descriptions_name_the_confirmed_exhibitors_occupations(
        app, fair, category, company, book):  # noqa: F811  (the imported fixtures)
    mech = occupation("Industriemechaniker/-in")
    other = occupation("Zerspanungsmechaniker/-in")
    event = fair("Messe Siegen")
    quiet = fair("Messe ohne Aussteller")
    first, user_1 = company("Erste GmbH")
    second, user_2 = company("Zweite GmbH")
    full = category(event, capacity=1)
    book(first, user_1, full, occupation_ids=[mech.id])
    book(second, user_2, full, occupation_ids=[other.id])  # waitlisted: not on offer
    hook = feeds.exhibitor_occupations([event.id, quiet.id])
    assert hook == {event.id: ["Industriemechaniker/-in"]}
    found = descriptions(ical.build_calendar(
        [event, quiet], name="Test", description="Test", base_url="https://example.org",
        occupations=hook).to_ical())
    assert "Ausbildungsberufe: Industriemechaniker/-in." in found["Messe Siegen"]
    assert "Zerspanungsmechaniker/-in" not in found["Messe Siegen"]
    assert "Ausbildungsberufe" not in found["Messe ohne Aussteller"]


def test_a_confirmation_and_a_cancellation_reach_the_feed_past_every_cache(
        app, client, fair, category, company, book, organiser, now):  # noqa: F811
    mech = occupation("Industriemechaniker/-in")
    elektro = occupation("Elektroniker/-in für Betriebstechnik")
    event = fair("Messe Siegen", approval="manual")
    place = category(event, capacity=1)
    first = client.get(FEED)
    assert "Ausbildungsberufe" not in descriptions(first.data)["Messe Siegen"]
    etag = first.headers["ETag"]

    firm, user = company("Erste GmbH")
    pending = book(firm, user, place, occupation_ids=[mech.id, elektro.id])
    assert pending.status == "pending"
    unchanged = client.get(FEED, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304  # a request is no offer yet

    booths.approve(pending, organiser, now)
    db.session.commit()
    changed = client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    text = descriptions(changed.data)["Messe Siegen"]
    assert ("Ausbildungsberufe: Elektroniker/-in für Betriebstechnik, "
            "Industriemechaniker/-in.") in text
    assert changed.data == client.get(FEED).data  # the rendered feed is the new one

    booths.cancel(pending, user, now + timedelta(minutes=1))
    db.session.commit()
    after = client.get(FEED, headers={"If-None-Match": changed.headers["ETag"]})
    assert after.status_code == 200
    assert "Ausbildungsberufe" not in descriptions(after.data)["Messe Siegen"]


def test_a_fair_that_stops_taking_exhibitors_no_longer_names_them(
        app, client, fair, category, company, book, organiser, now):  # noqa: F811
    event = fair("Messe Siegen")
    firm, user = company()
    book(firm, user, category(event), occupation_ids=[occupation("Industriemechaniker/-in").id])
    assert "Industriemechaniker/-in" in descriptions(client.get(FEED).data)["Messe Siegen"]
    setup = booths.setup_of(event)
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=setup.opens_at, closes_at=setup.closes_at, approval=setup.approval,
        takes_exhibitors=False), now + timedelta(minutes=1))
    db.session.commit()
    assert "Ausbildungsberufe" not in descriptions(client.get(FEED).data)["Messe Siegen"]


def test_the_single_event_file_names_them_too(
        app, client, fair, category, company, book):  # noqa: F811
    event = fair("Messe Siegen")
    firm, user = company()
    book(firm, user, category(event), occupation_ids=[occupation("Industriemechaniker/-in").id])
    single = descriptions(client.get(f"/events/{event.id}.ics").data)["Messe Siegen"]
    assert "Ausbildungsberufe: Industriemechaniker/-in." in single
