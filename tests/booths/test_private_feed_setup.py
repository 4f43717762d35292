"""Set-up and tear-down in a company's private feed: only for a company that exhibits
(confirmed), and the same bytes on every fetch until something changes; then SEQUENCE
grows and LAST-MODIFIED moves."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from app.booths import feed
from app.booths import services as booths
from app.booths.models import BoothSetup
from app.extensions import db
from app.time import as_utc


def entries(company) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(feed.render_company_feed(company))
    return {str(component["SUMMARY"]): component for component in calendar.walk("VEVENT")}


def set_times(event, organiser, at, *, setup_hours: int = 3, teardown_hours: int = 2):
    """Save the fair's set-up as the organiser's form does, with set-up and tear-down."""
    setup = booths.setup_of(event)
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=setup.opens_at, closes_at=setup.closes_at, approval=setup.approval,
        waitlist_mode=setup.waitlist_mode,
        setup_starts_at=event.starts_at - timedelta(hours=setup_hours),
        teardown_ends_at=event.ends_at + timedelta(hours=teardown_hours)), at)
    db.session.commit()


@pytest.fixture
def fairs(fair, category, company, book, organiser, now):
    """Three fairs with set-up and tear-down; the company is confirmed at the first,
    waitlisted at the second and pending (approval mode) at the third."""
    firm, user = company("Erste GmbH")
    confirmed = fair("Messe Siegen")
    waitlisted = fair("Messe Olpe")
    pending = fair("Messe Arnsberg", approval="manual")
    for event in (confirmed, waitlisted, pending):
        set_times(event, organiser, now)
    book(firm, user, category(confirmed))
    full = category(waitlisted, capacity=1)
    book(*company("Andere GmbH"), full)
    book(firm, user, full)
    book(firm, user, category(pending))
    return firm, confirmed


def test_only_an_exhibiting_company_gets_set_up_and_tear_down(fairs):
    firm, _confirmed = fairs
    assert sorted(entries(firm)) == [
        "Abbau: Messe Siegen", "Aufbau: Messe Siegen",
        "Messe Arnsberg [Angefragt (wartet auf Freigabe)]",
        "Messe Olpe [Warteliste, Platz 1]", "Messe Siegen [Gebucht (bestätigt)]",
    ]


def test_the_entries_do_not_change_between_fetches(fairs, monkeypatch):
    firm, confirmed = fairs
    first = feed.render_company_feed(firm)
    # Even if the clock were asked, a later fetch must give the same bytes.
    monkeypatch.setattr(feed, "now_utc", lambda: as_utc(confirmed.starts_at))
    assert feed.render_company_feed(firm) == first
    setup = entries(firm)["Aufbau: Messe Siegen"]
    saved = db.session.get(BoothSetup, confirmed.id)
    booking_time = max(as_utc(confirmed.updated_at), as_utc(saved.updated_at))
    assert setup["DTSTAMP"].dt == setup["LAST-MODIFIED"].dt
    assert setup["DTSTAMP"].dt >= booking_time.replace(microsecond=0)  # iCalendar: seconds
    assert setup["SEQUENCE"] == confirmed.sequence + saved.sequence


def test_a_moved_set_up_raises_sequence_and_last_modified(fairs, organiser, now):
    firm, confirmed = fairs
    before = entries(firm)
    later = now + timedelta(hours=1)
    set_times(confirmed, organiser, later)  # saved again, nothing moved
    same = entries(firm)
    assert same["Aufbau: Messe Siegen"]["SEQUENCE"] == before["Aufbau: Messe Siegen"]["SEQUENCE"]

    moved_at = now + timedelta(hours=2)
    set_times(confirmed, organiser, moved_at, setup_hours=5)
    after = entries(firm)
    for title in ("Aufbau: Messe Siegen", "Abbau: Messe Siegen"):
        assert after[title]["SEQUENCE"] == before[title]["SEQUENCE"] + 1
        assert after[title]["LAST-MODIFIED"].dt == moved_at
    assert after["Aufbau: Messe Siegen"]["DTSTART"].dt == \
        as_utc(confirmed.starts_at) - timedelta(hours=5)


def test_a_promotion_adds_the_entries(fair, category, company, book, organiser, now):
    event = fair("Messe Siegen")
    set_times(event, organiser, now)
    standard = category(event, capacity=1)
    first_firm, first_user = company("Erste GmbH")
    first = book(first_firm, first_user, standard)
    firm, user = company("Zweite GmbH")
    book(firm, user, standard)
    assert "Aufbau: Messe Siegen" not in entries(firm)
    booths.cancel(first, first_user, now + timedelta(minutes=3))
    db.session.commit()
    promoted = entries(firm)
    assert "Aufbau: Messe Siegen" in promoted
    assert promoted["Aufbau: Messe Siegen"]["DTSTAMP"].dt == now + timedelta(minutes=3)
