"""Feeds: RFC 5545 output parsed back by two independent parsers, and HTTP caching."""

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import vobject

from app.calendar import services as calendar
from app.extensions import db
from app.feeds import services as feeds_services
from app.text import one_line
from app.time import now_utc

# Fixed dates (2027 and later) meet code that reads the clock: it stands before them.
pytestmark = pytest.mark.usefixtures("fixed_clock")


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.data)


def vevents(feed: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["SUMMARY"]): e for e in feed.walk("VEVENT")}


def test_feed_properties_and_events(client, make_event):
    created = make_event("Ausbildungsmesse Siegen", day=date(2027, 6, 2),
                         audiences=("pupils",), grade_from=9, grade_to=13)
    feed = parse(client.get("/feeds/all.ics"))
    for name in ("PRODID", "VERSION", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME",
                 "DESCRIPTION", "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert name in feed, name
    assert feed["METHOD"] == "PUBLISH" and feed["X-WR-TIMEZONE"] == "Europe/Berlin"
    assert feed["X-PUBLISHED-TTL"].to_ical() == b"PT6H"
    event = vevents(feed)["Ausbildungsmesse Siegen"]
    for name in ("UID", "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND",
                 "DESCRIPTION", "LOCATION", "GEO", "URL", "CATEGORIES", "STATUS"):
        assert name in event, name
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 6, 2, 7, tzinfo=UTC)
    assert "Klasse 9–13" in str(event["DESCRIPTION"])
    assert "Siegerlandhalle" in str(event["LOCATION"])
    assert str(event["URL"]) == f"http://localhost/events/{created.id}"
    assert event["STATUS"] == "CONFIRMED"


def test_every_tzid_has_its_vtimezone_and_uids_are_unique(client, make_event):
    for n in range(5):
        make_event(f"Messe {n}", day=date(2027, 3, 20) + timedelta(days=3 * n))
    data = client.get("/feeds/all.ics").data
    feed = icalendar.Calendar.from_ical(data)
    tzids = {str(c["TZID"]) for c in feed.walk("VTIMEZONE")}
    used = {e[p].params["TZID"] for e in feed.walk("VEVENT") for p in ("DTSTART", "DTEND")}
    assert used and used <= tzids
    uids = [str(e["UID"]) for e in feed.walk("VEVENT")]
    assert len(uids) == len(set(uids)) == 5


def test_lines_are_folded_at_75_octets_with_crlf(client, make_event):
    make_event("Größte Ausbildungsmesse im Sauerland mit sehr langem Titel " * 3,
               description="Über 150 Ausbildungsberufe und 40 duale Studiengänge. " * 10)
    data = client.get("/feeds/all.ics").data
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line


@pytest.mark.parametrize(
    "title",
    [
        "Messe; Berufe, Zukunft",
        "Zeile 1\nSTATUS:CANCELLED\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:Fake",
        "Ärzte & Öfen: Übermorgen ß",
        "<script>alert(1)</script>",
    ],
)
def test_hostile_text_round_trips_and_cannot_inject(client, make_event, title):
    """A title stored with a line break (before single-line fields refused them) comes
    out on one line; the description keeps its lines."""
    make_event(title, description=f"{title}\r\nDTSTART:19700101T000000")
    response = client.get("/feeds/all.ics")
    feed = parse(response)
    events = list(feed.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == one_line(title)
    assert f"{title}\nDTSTART:19700101T000000" in str(events[0]["DESCRIPTION"])
    assert events[0]["STATUS"] == "CONFIRMED"
    parsed = vobject.readOne(response.data.decode())
    assert [e.summary.value for e in parsed.vevent_list] == [one_line(title)]


def test_independent_parser_reads_times_and_whole_days(client, make_event):
    make_event("Zeitumstellung", day=date(2027, 3, 28), start=time(10), end=time(12))
    make_event("Zwei Tage", day=date(2027, 9, 10), all_day_until=date(2027, 9, 11))
    parsed = vobject.readOne(client.get("/feeds/all.ics").data.decode())
    by_title = {e.summary.value: e for e in parsed.vevent_list}
    start = by_title["Zeitumstellung"].dtstart.value
    assert start.astimezone(UTC) == datetime(2027, 3, 28, 8, tzinfo=UTC)
    assert (start.hour, start.minute) == (10, 0)
    assert by_title["Zwei Tage"].dtstart.value == date(2027, 9, 10)
    assert by_title["Zwei Tage"].dtend.value == date(2027, 9, 12)  # exclusive end


def test_10_o_clock_on_the_autumn_clock_change(client, make_event):
    make_event("Herbstmesse", day=date(2027, 10, 31), start=time(10), end=time(12))
    [event] = icalendar.Calendar.from_ical(client.get("/feeds/all.ics").data).walk("VEVENT")
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2027, 10, 31, 9, tzinfo=UTC)
    parsed = vobject.readOne(client.get("/feeds/all.ics").data.decode())
    start = parsed.vevent.dtstart.value
    assert (start.hour, start.minute) == (10, 0)
    assert start.astimezone(UTC) == datetime(2027, 10, 31, 9, tzinfo=UTC)


@pytest.mark.parametrize("path", ["/feeds/district/SI.ics", "/feeds/industry/METALL.ics",
                                  "/feeds/all.ics?audience=pupils", "single"])
def test_every_kind_of_feed_reads_in_a_second_parser(client, make_event, path):
    fair = make_event("Messe Siegen", day=date(2027, 3, 28), start=time(10), end=time(12),
                      industries=("METALL",))
    make_event("Zwei Tage", day=date(2027, 9, 10), all_day_until=date(2027, 9, 11),
               industries=("METALL",))
    data = client.get(f"/events/{fair.id}.ics" if path == "single" else path).data
    feed = icalendar.Calendar.from_ical(data)
    tzids = {str(c["TZID"]) for c in feed.walk("VTIMEZONE")}
    assert {e["DTSTART"].params["TZID"] for e in feed.walk("VEVENT")
            if "TZID" in e["DTSTART"].params} <= tzids
    uids = [str(e["UID"]) for e in feed.walk("VEVENT")]
    assert len(uids) == len(set(uids)) >= 1
    parsed = vobject.readOne(data.decode())
    by_title = {e.summary.value: e for e in parsed.vevent_list}
    start = by_title["Messe Siegen"].dtstart.value
    assert start.astimezone(UTC) == datetime(2027, 3, 28, 8, tzinfo=UTC)
    if path != "single":
        assert by_title["Zwei Tage"].dtend.value == date(2027, 9, 12)


def test_a_304_does_not_build_the_feed(client, make_event, monkeypatch):
    make_event("Messe")
    etag = client.get("/feeds/all.ics").headers["ETag"]

    def must_not_build(*args, **kwargs):
        raise AssertionError("a conditional GET built the feed")

    monkeypatch.setattr(feeds_services, "render_feed", must_not_build)
    monkeypatch.setattr(feeds_services.ical, "build_calendar", must_not_build)
    monkeypatch.setattr(feeds_services.ical, "event_component", must_not_build)
    feeds_services.feed_cache()._items.clear()  # not even a rendered copy is needed
    assert client.get("/feeds/all.ics", headers={"If-None-Match": etag}).status_code == 304


def test_whole_day_events_are_dates_not_midnights(client, make_event):
    make_event("Zwei Tage", day=date(2027, 9, 10), all_day_until=date(2027, 9, 11))
    data = client.get("/feeds/all.ics").data.decode()
    assert "DTSTART;VALUE=DATE:20270910" in data and "DTEND;VALUE=DATE:20270912" in data


def test_sequence_grows_and_cancellation_shows_then_leaves(client, make_event, app):
    event = make_event("Messe Olpe", town="Olpe", venue="Stadthalle Olpe")
    first = vevents(parse(client.get("/feeds/all.ics")))["Messe Olpe"]
    data = _data_of(event)
    data.title = "Messe Olpe (neue Zeit)"
    data.starts_at += timedelta(hours=1)
    calendar.update_event(event, None, data, now=now_utc())
    db.session.commit()
    moved = vevents(parse(client.get("/feeds/all.ics")))["Messe Olpe (neue Zeit)"]
    assert moved["UID"] == first["UID"] and moved["SEQUENCE"] > first["SEQUENCE"]
    calendar.change_status(event, None, "cancelled", reason="Halle gesperrt", now=now_utc())
    db.session.commit()
    cancelled = list(parse(client.get("/feeds/all.ics")).walk("VEVENT"))
    assert len(cancelled) == 1 and cancelled[0]["STATUS"] == "CANCELLED"
    assert cancelled[0]["UID"] == first["UID"] and cancelled[0]["SEQUENCE"] > moved["SEQUENCE"]
    assert "Halle gesperrt" in str(cancelled[0]["DESCRIPTION"])
    event.cancelled_at = now_utc() - timedelta(days=31)
    db.session.commit()
    assert list(parse(client.get("/feeds/all.ics")).walk("VEVENT")) == []


def test_drafts_and_planned_events_never_leak(client, make_event):
    make_event("Entwurf", status="draft")
    make_event("Reserviert", status="planned")
    make_event("Öffentlich", status="published")
    for url in ("/feeds/all.ics", "/feeds/district/SI.ics", "/feeds/industry/CROSS.ics"):
        response = client.get(url)
        assert set(vevents(parse(response))) == {"Öffentlich"}
        assert b"Entwurf" not in response.data and b"Reserviert" not in response.data
    drafts = db.session.execute(
        db.select(calendar.Event).where(calendar.Event.status != "published")).scalars()
    for event in drafts:
        assert client.get(f"/events/{event.id}.ics").status_code == 404


def test_filters_combine(client, make_event):
    make_event("Siegen", town="Siegen", audiences=("pupils",))
    make_event("Meschede", town="Meschede", venue="Berufskolleg", audiences=("parents",),
               industries=("METALL",))
    make_event("Soest", town="Soest", venue="Kreishaus", audiences=("jobseekers",),
               event_type="job_fair")
    assert set(vevents(parse(client.get("/feeds/district/HSK.ics")))) == {"Meschede"}
    both = client.get("/feeds/all.ics?district=HSK&district=SO")
    assert set(vevents(parse(both))) == {"Meschede", "Soest"}
    assert set(vevents(parse(client.get("/feeds/industry/METALL.ics")))) == {"Meschede"}
    narrowed = client.get("/feeds/district/SO.ics?type=job_fair&audience=jobseekers")
    assert set(vevents(parse(narrowed))) == {"Soest"}
    assert set(vevents(parse(client.get("/feeds/all.ics?audience=pupils")))) == {"Siegen"}


def test_single_event_file(client, make_event):
    event = make_event("Einzeltermin")
    response = client.get(f"/events/{event.id}.ics")
    feed = parse(response)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [event.uid]
    assert "attachment" in response.headers["Content-Disposition"]


def test_conditional_get_and_head(client, make_event):
    event = make_event("Messe")
    first = client.get("/feeds/all.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith('W/')
    assert "max-age" in first.headers["Cache-Control"]
    assert client.get("/feeds/all.ics", headers={"If-None-Match": etag}).status_code == 304
    not_modified = client.get("/feeds/all.ics", headers={"If-Modified-Since": modified})
    assert not_modified.status_code == 304 and not_modified.data == b""
    head = client.head("/feeds/all.ics")
    assert head.status_code == 200 and head.headers["ETag"] == etag and head.data == b""
    # A change anywhere in the feed gives a new validator.
    calendar.change_status(event, None, "cancelled", now=now_utc())
    db.session.commit()
    changed = client.get("/feeds/all.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # Another filter is another resource.
    other = client.get("/feeds/all.ics?district=HSK", headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/feeds/district/XX.ics", 404),
        ("/feeds/industry/BANKEN.ics", 404),
        ("/feeds/district/" + "A" * 3000 + ".ics", 404),
        ("/feeds/all.ics?district=XX", 400),
        ("/feeds/all.ics?audience=" + "x" * 5000, 400),
        ("/feeds/all.ics?" + "&".join(["district=HSK"] * 50), 400),
        ("/feeds/all.ics?from=2027-02-30", 400),
        ("/feeds/all.ics?from=%00%ff", 400),
        ("/feeds/district/HSK.ics?district=SO", 400),
    ],
)
def test_bad_requests_get_a_plain_explanation(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "text/plain" or b"<html" in response.data.lower()
    assert len(response.data) > 20


def test_an_unknown_code_is_explained_in_german_by_default(client):
    response = client.get("/feeds/district/XX.ics")
    assert response.get_data(as_text=True) == (
        "Es gibt keinen Kreis „XX“. Bekannte Kreise: HSK, OE, SI, SO, MK.\n")
    client.post("/language", data={"lang": "en"})
    english = client.get("/feeds/industry/BANKEN.ics").get_data(as_text=True)
    assert english.startswith("There is no industry “BANKEN”. Known industries: AUTO,")


def _data_of(event) -> calendar.EventData:
    return calendar.EventData(
        title=event.title, event_type=event.event_type, venue=event.venue,
        all_day=event.all_day, starts_at=event.starts_at, ends_at=event.ends_at,
        first_day=event.first_day, last_day=event.last_day, description=event.description,
        audiences=event.audience_codes, industries=event.industry_codes,
    )



def test_event_page_offers_ics_and_google_calendar(client, make_event):
    event = make_event("Messe am Wechseltag", day=date(2027, 3, 28), start=time(10),
                       end=time(12))
    page = client.get(f"/events/{event.id}").data.decode()
    assert f'href="/events/{event.id}.ics"' in page
    google = html.unescape(re.search(r'href="(https://calendar\.google\.com[^"]+)"', page)[1])
    query = parse_qs(urlsplit(google).query)
    assert query["text"] == ["Messe am Wechseltag"]
    assert query["dates"] == ["20270328T080000Z/20270328T100000Z"]
    assert query["ctz"] == ["Europe/Berlin"]
    assert "Siegerlandhalle" in query["location"][0]
    assert query["details"][0].endswith(f"/events/{event.id}")


def test_whole_day_google_link_uses_dates(client, make_event):
    event = make_event("Zwei Tage", day=date(2027, 9, 10), all_day_until=date(2027, 9, 11))
    page = html.unescape(client.get(f"/events/{event.id}").data.decode())
    assert "dates=20270910%2F20270912" in page
