"""Whatever text is stored, every iCalendar builder writes exactly the components and
properties it means, and the text comes back (property-based, with hypothesis).

Single-line fields refuse control characters at every entry (tests/test_single_line.py),
but rows stored before that may hold anything: here the hostile text is written straight
into the database, then each builder's output — the feeds (``/feeds/all.ics``, assembled
from stored VEVENTs), the single-event download, a company's private feed (with set-up
and tear-down), the mail attachment, the class visits' appointments and the static
publisher — is read by ``icalendar`` and by the strict reader of ``ical_strict`` (any line
break splits a line; unescaped TEXT is refused). Data is placed relative to the clock, so
the test holds on any date.
"""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar.parser import unescape_backslash

from app.booths import feed
from app.booths.messages import event_ics
from app.booths.models import BoothSetup
from app.calendar import ical
from app.calendar import services as calendar
from app.extensions import db
from app.feeds.publish import publish_feeds
from app.text import lines, one_line
from app.time import now_utc
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401
from tests.calendar.ical_strict import parse as strict_parse

EXAMPLES = 60
# Characters that break naive writers and readers, mixed into arbitrary text. NUL is left
# out: PostgreSQL cannot store it (and every entry refuses it).
NASTY = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\t",
         "\x01", "\x1f", "\x7f", "\x9b", ",", ";", ":", "\\", "\\n", '"', " ",
         "BEGIN:VEVENT", "END:VEVENT", "UID:evil@example.org", "END:VCALENDAR"]
hostile = st.lists(
    st.one_of(st.sampled_from(NASTY),
              st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)),
    min_size=1, max_size=8,
).map("".join).filter(lambda text: len(text) <= 80)
# A backslash before "N" is icalendar's shorthand for a line break; stored text keeps it.
BACKSLASH_N = example(title="Halle\\Nord", text="C:\\Neu\nZeile", name="\\N")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture
def stored(fair, category, company, book, make_event):  # noqa: F811  (imported fixtures)
    """A fair booked by a company (with set-up and tear-down) and a cancelled event; the
    company's feed path. Returns a function that stores hostile texts into all of them."""
    firm, user = company("Erste GmbH")
    event = fair("Messe Siegen")
    setup = db.session.get(BoothSetup, event.id)
    setup.setup_starts_at = event.starts_at - timedelta(hours=3)
    setup.teardown_ends_at = event.ends_at + timedelta(hours=2)
    booth = category(event)
    book(firm, user, booth)
    cancelled = make_event("Abgesagt", organisation=event.organisation, town="Olpe",
                           venue="Stadthalle Olpe")
    calendar.change_status(cancelled, None, "cancelled", reason="Grund", now=now_utc())
    token = feed.create_feed(user)
    db.session.commit()

    def store(title: str, text: str, name: str) -> None:
        event.title = cancelled.title = title
        event.description = cancelled.cancellation_reason = text
        event.contact_name = name
        event.venue.name = cancelled.venue.name = name
        event.organisation.name = name
        firm.name = name
        booth.name = name
        for changed in (event, cancelled):  # as the services do: the feeds' ETag moves
            changed.updated_at += timedelta(milliseconds=1)
        db.session.commit()

    return store, event, cancelled, firm, f"/feeds/company/{token}.ics"


def page(event) -> str:
    return f"http://localhost/events/{event.id}"


def description(event) -> str:
    return lines(ical.describe(event, page(event)))


def check_calendar(data: bytes, expected: dict[str, dict[str, str]],
                   calendar_properties: dict[str, str]) -> None:
    """Both readers find exactly one VEVENT per expected UID with exactly these texts, and
    the calendar's own properties."""
    strict = strict_parse(data)
    assert strict.name == "VCALENDAR"
    assert sorted(c.name for c in strict.components) == \
        ["VEVENT"] * len(expected) + ["VTIMEZONE"] * (len(strict.components) - len(expected))
    by_uid = {vevent.one("UID"): vevent for vevent in strict.walk("VEVENT")}
    assert set(by_uid) == set(expected)
    lenient = icalendar.Calendar.from_ical(data)
    assert not lenient.errors and all(not c.errors for c in lenient.walk())
    lenient_by_uid = {str(vevent["UID"]): vevent for vevent in lenient.walk("VEVENT")}
    assert set(lenient_by_uid) == set(expected)
    for name, value in calendar_properties.items():
        assert strict.one(name) == value
        read = lenient[name]
        if isinstance(read, icalendar.vUnknown):  # icalendar does not know NAME, X-WR-*
            read = unescape_backslash(str(read))
        assert str(read) == value
    for uid, texts in expected.items():
        for name, value in texts.items():
            assert by_uid[uid].one(name) == value, (uid, name)
            assert str(lenient_by_uid[uid][name]) == value, (uid, name)


def feed_texts(event, cancelled) -> dict[str, dict[str, str]]:
    return {
        event.uid: {"SUMMARY": one_line(event.title), "DESCRIPTION": description(event),
                    "LOCATION": one_line(event.venue.address)},
        cancelled.uid: {"SUMMARY": one_line("Abgesagt: " + cancelled.title),
                        "DESCRIPTION": description(cancelled)},
    }


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@SETTINGS
def test_public_feed(client, stored, title, text, name):
    store, event, cancelled, *_ = stored
    store(title, text, name)
    data = client.get("/feeds/all.ics").data
    check_calendar(data, feed_texts(event, cancelled),
                   {"X-WR-CALNAME": "Messekalender Südwestfalen"})


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@settings(SETTINGS, max_examples=EXAMPLES // 4)  # it writes all 13 feeds each time
def test_static_publisher(stored, tmp_path_factory, title, text, name):
    store, event, cancelled, *_ = stored
    store(title, text, name)
    directory = tmp_path_factory.mktemp("published")
    publish_feeds(directory, event.updated_at)
    check_calendar((directory / "all.ics").read_bytes(), feed_texts(event, cancelled), {})


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@SETTINGS
def test_single_event_download(client, stored, title, text, name):
    store, event, *_ = stored
    store(title, text, name)
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    check_calendar(response.data, {event.uid: {"SUMMARY": one_line(title),
                                               "DESCRIPTION": description(event)}},
                   {"NAME": one_line(title), "X-WR-CALNAME": one_line(title),
                    "X-WR-CALDESC": lines(title), "DESCRIPTION": lines(title)})


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@SETTINGS
def test_company_feed(client, stored, title, text, name):
    store, event, _cancelled, _firm, path = stored
    store(title, text, name)
    response = client.get(path)
    assert response.status_code == 200
    status = "Gebucht (bestätigt)"
    check_calendar(response.data, {
        event.uid: {
            "SUMMARY": f"{one_line(title)} [{status}]",
            "DESCRIPTION": lines(f"Ihre Buchung: {status} – {name}\n\n") + description(event),
        },
        f"setup-{event.uid}": {"SUMMARY": f"Aufbau: {one_line(title)}",
                               "DESCRIPTION": lines(f"Aufbau für {title} ({name}).")},
        f"teardown-{event.uid}": {"SUMMARY": f"Abbau: {one_line(title)}",
                                  "DESCRIPTION": lines(f"Abbau für {title} ({name}).")},
    }, {"NAME": one_line(f"{name}: Messen"),
        "X-WR-CALDESC": lines(f"Die gebuchten Messen von {name} (privat).")})


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@SETTINGS
def test_mail_attachment(stored, title, text, name):
    store, event, *_ = stored
    store(title, text, name)
    check_calendar(event_ics(event), {event.uid: {"SUMMARY": one_line(title),
                                                  "DESCRIPTION": description(event)}},
                   {"NAME": one_line(title)})


@given(title=hostile, text=hostile, name=hostile)
@BACKSLASH_N
@SETTINGS
def test_appointments_calendar(stored, title, text, name):
    """The class visits' file (mail attachment and download): the appointment's own texts
    (school and teacher names typed by teachers) and the stored event's."""
    store, event, *_ = stored
    store(title, text, name)
    appointment = ical.Appointment(
        uid="class-visit-1@example.org", starts_at=event.starts_at, ends_at=event.ends_at,
        summary=f"Klassenbesuch: {title} ({name})", description=f"{name}\n{text}",
        sequence=0, stamp=event.updated_at)
    data = ical.appointments_calendar(event, [appointment], name=title,
                                      base_url="http://localhost").to_ical()
    check_calendar(data, {appointment.uid: {
        "SUMMARY": one_line(appointment.summary), "DESCRIPTION": lines(appointment.description),
        "LOCATION": one_line(event.venue.address)}},
        {"NAME": one_line(title), "X-WR-CALDESC": lines(title)})


@given(text=st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"])))
@settings(max_examples=200, deadline=None, database=None)
def test_clean_text_comes_back_unchanged(text):
    """Text without control characters or line breaks is never altered on output."""
    assert one_line(text) == text
    assert lines(text) == text
    assert str(ical.text(text)) == text


@given(text=st.text(st.characters(codec="utf-8")))
@settings(max_examples=300, deadline=None, database=None)
def test_one_line_leaves_no_line_break(text):
    cleaned = one_line(text)
    assert len(cleaned.splitlines()) <= 1
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", cleaned)
    assert "\r" not in lines(text) and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", lines(text))
