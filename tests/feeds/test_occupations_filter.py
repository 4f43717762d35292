"""The ``occupation`` filter: exactly the events where a confirmed exhibitor presents one
of the occupations, in the calendar (grouped checkboxes in the filter form) and in the feeds."""

from __future__ import annotations

import re

import icalendar
import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.calendar.filters import EventFilter, FilterError
from app.calendar.services import public_events
from app.extensions import db
from app.reference.models import Occupation
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


@pytest.fixture
def fairs(fair, category, company, book):  # noqa: F811  (the imported fixtures)
    """Four fairs: one presenting Industriemechaniker (confirmed), one where that
    exhibitor is only waitlisted, one with another occupation, one without exhibitors."""
    mech = occupation("Industriemechaniker/-in")
    other = occupation("Zerspanungsmechaniker/-in")
    confirmed = fair("Messe Mechanik")
    waitlisted = fair("Messe Warteliste")
    different = fair("Messe Zerspanung")
    fair("Messe ohne Aussteller")
    first, user_1 = company("Erste GmbH")
    second, user_2 = company("Zweite GmbH")
    book(first, user_1, category(confirmed), occupation_ids=[mech.id])
    full = category(waitlisted, capacity=1)
    book(first, user_1, full, occupation_ids=[other.id])
    book(second, user_2, full, occupation_ids=[mech.id])  # waitlisted: does not count
    book(second, user_2, category(different), occupation_ids=[other.id])
    return mech, other


def titles(event_filter: EventFilter) -> list[str]:
    return sorted(e.title for e in db.session.execute(public_events(event_filter)).scalars())


def test_filter_returns_exactly_the_events_with_a_confirmed_exhibitor(fairs):
    mech, other = fairs
    assert titles(EventFilter(occupations=(mech.id,))) == ["Messe Mechanik"]
    assert titles(EventFilter(occupations=(other.id,))) == ["Messe Warteliste",
                                                            "Messe Zerspanung"]
    assert titles(EventFilter(occupations=(mech.id, other.id))) == [
        "Messe Mechanik", "Messe Warteliste", "Messe Zerspanung"]


@pytest.mark.parametrize("raw", ["abc", "-1", "1e3", "99999999", "9999999999"])
def test_bad_occupation_values_are_refused(app, raw):
    with pytest.raises(FilterError):
        EventFilter.from_args(MultiDict([("occupation", raw)]))


def test_parses_and_round_trips(app):
    mech = occupation("Industriemechaniker/-in")
    parsed = EventFilter.from_args(MultiDict([("occupation", str(mech.id))] * 2))
    assert parsed.occupations == (mech.id,)
    assert parsed.to_args()["occupation"] == [str(mech.id)]


def checked_box(html: str, prefix: str, occupation_id: int) -> bool:
    box = re.search(rf'<input[^>]*id="{prefix}-occupation-{occupation_id}"[^>]*>', html)
    return box is not None and "checked" in box.group(0)


def test_calendar_page_filters_and_offers_the_picker(client, fairs):
    mech, _ = fairs
    html = client.get(f"/?occupation={mech.id}").get_data(as_text=True)
    assert "Messe Mechanik" in html
    assert "Messe Zerspanung" not in html and "Messe Warteliste" not in html
    assert checked_box(html, "f", mech.id)
    assert f'<label for="f-occupation-{mech.id}">Industriemechaniker/-in</label>' in html
    # Grouped by industry, no JavaScript needed; the search box is an enhancement.
    assert '<fieldset class="occupation-picker__group">' in html
    assert '<div class="occupation-picker__search" hidden>' in html
    assert "<select" not in html.split('data-occupation-picker')[1].split("</fieldset>")[0]
    bad = client.get("/?occupation=nonsense")
    assert bad.status_code in (200, 400)
    assert "Unknown occupation" in bad.get_data(as_text=True) or \
        "Unbekannter Ausbildungsberuf" in bad.get_data(as_text=True)


def test_every_feed_route_takes_the_filter(client, fairs):
    mech, _ = fairs
    # The fixture's fairs are in Siegen and cross-industry.
    for path in ("/feeds/all.ics", "/feeds/district/SI.ics", "/feeds/industry/CROSS.ics"):
        response = client.get(f"{path}?occupation={mech.id}")
        assert response.status_code == 200, path
        summaries = [str(c["SUMMARY"]) for c in
                     icalendar.Calendar.from_ical(response.data).walk("VEVENT")]
        assert summaries == ["Messe Mechanik"], (path, summaries)
    response = client.get(f"/feeds/all.ics?occupation={mech.id}")
    summaries = [str(c["SUMMARY"]) for c in
                 icalendar.Calendar.from_ical(response.data).walk("VEVENT")]
    assert summaries == ["Messe Mechanik"]
    assert client.get("/feeds/all.ics?occupation=x").status_code == 400


def test_the_feed_builder_makes_an_occupation_feed(client, fairs):
    mech, _ = fairs
    html = client.get(f"/feeds?occupation={mech.id}").get_data(as_text=True)
    assert checked_box(html, "fb", mech.id)
    assert f"/feeds/all.ics?occupation={mech.id}" in html
    assert "Messekalender Südwestfalen: Ausbildung: Industriemechaniker/-in" in html
    feed = icalendar.Calendar.from_ical(client.get(f"/feeds/all.ics?occupation={mech.id}").data)
    assert str(feed["X-WR-CALNAME"]).endswith("Ausbildung: Industriemechaniker/-in")
    assert [str(e["SUMMARY"]) for e in feed.walk("VEVENT")] == ["Messe Mechanik"]
