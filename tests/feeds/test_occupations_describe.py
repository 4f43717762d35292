"""The feed description names the occupations on offer, from confirmed exhibitors only
(through the ``occupations`` hook of ``ical.build_calendar``)."""

from __future__ import annotations

import icalendar
from sqlalchemy import select

from app.booths.feed import exhibitor_occupations
from app.extensions import db
from app.feeds import ical
from app.reference.models import Occupation
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


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
    hook = exhibitor_occupations([event.id, quiet.id])
    assert hook == {event.id: ["Industriemechaniker/-in"]}
    calendar = icalendar.Calendar.from_ical(ical.build_calendar(
        [event, quiet], name="Test", description="Test", base_url="https://example.org",
        occupations=hook).to_ical())
    descriptions = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")}
    assert "Industriemechaniker/-in" in descriptions["Messe Siegen"]
    assert "Zerspanungsmechaniker/-in" not in descriptions["Messe Siegen"]
    assert "Industriemechaniker" not in descriptions["Messe ohne Aussteller"]
