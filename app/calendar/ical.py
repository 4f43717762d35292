"""Pure builders from events to ``icalendar`` objects (RFC 5545, RFC 7986).

Feeds are in German whatever the visitor's language: they land in shared school calendars.
Every value is derived from the stored event (DTSTAMP is its last change), so the same
events always give the same bytes — the static publisher relies on that.

Every text property of every builder (feeds, the single-event download, the company
feed, mail attachments) is made with ``text``: whatever a stored value holds, the output
parses back to the same components and properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import NamedTuple

import icalendar
from flask_babel import force_locale

from app.calendar.models import Event
from app.reference.codes import AUDIENCES, EVENT_TYPES
from app.text import lines, one_line
from app.time import local_today, local_zone, to_local

PRODID = "-//Messekalender Südwestfalen//Feeds 1.0//DE"
REFRESH_INTERVAL = timedelta(hours=6)
CROSS = "CROSS"  # the industry code of cross-industry events
_AUDIENCE_ORDER = {code: index for index, code in enumerate(AUDIENCES)}


class _Text(icalendar.vText):
    """``vText`` escaped by RFC 5545 3.3.11 alone. icalendar's own escaping first turns a
    backslash followed by "N" into a line break (its shorthand for authors), so a stored
    "Halle\\Nord" would reach calendars as two lines; stored text means what it says."""

    def to_ical(self) -> bytes:
        escaped = (self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                   .replace("\n", "\\n"))
        return escaped.encode(self.encoding)


def text(value: str | None, *, multiline: bool = False) -> icalendar.vText:
    """A TEXT value (RFC 5545 3.3.11) that is safe whatever is stored.

    Single-line values lose their control characters and line breaks (``one_line``);
    multi-line ones keep their lines (``lines``, which leaves only ``\\n``), escaped as
    ``\\n``; commas, semicolons and backslashes are escaped too (``_Text``). Passing a
    ``vText`` also keeps ``icalendar`` from writing non-standard properties (``NAME``,
    ``X-WR-CALNAME``, ``X-WR-CALDESC``, which default to TEXT by RFC 5545 3.8.8.2)
    unescaped.
    """
    return _Text(lines(value) if multiline else one_line(value))


def build_calendar(
    events: Sequence[Event], *, name: str, description: str, base_url: str,
    occupations: Mapping[int, Sequence[str]] | None = None,
) -> icalendar.Calendar:
    """A whole feed: calendar properties, one VTIMEZONE, one VEVENT per event.

    ``occupations`` (event id → apprenticeships on offer, loaded by the caller in one
    query: ``app.feeds.services.exhibitor_occupations``) go into each event's description.
    """
    occupations = occupations or {}
    calendar = calendar_header(name=name, description=description,
                               years=event_years((event.starts_at, event.ends_at)
                                                 for event in events))
    for event in events:
        calendar.add_component(
            event_component(event, base_url, occupations=occupations.get(event.id, ())))
    return calendar


def calendar_header(*, name: str, description: str, years: Set[int]) -> icalendar.Calendar:
    """The calendar's own properties and its VTIMEZONE (covering ``years``), no events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", text(name))
    calendar.add("x-wr-calname", text(name))
    calendar.add("description", text(description, multiline=True))
    calendar.add("x-wr-caldesc", text(description, multiline=True))
    calendar.add("x-wr-timezone", local_zone().key)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    calendar.add_component(_timezone(years))
    return calendar


def event_years(spans: Iterable[tuple[datetime, datetime]]) -> set[int]:
    """The local years that events' starts and ends fall in (for the VTIMEZONE)."""
    return {to_local(moment).year for span in spans for moment in span}


_END = b"END:VCALENDAR\r\n"


def assemble(header: icalendar.Calendar, vevents: Iterable[bytes]) -> bytes:
    """The bytes ``to_ical()`` gives for ``header`` with these events added.

    Each block is an ``icalendar.Event.to_ical()``; a calendar serialises its
    subcomponents one after the other, each exactly as on its own, so splicing the
    serialised events in before the calendar's END line gives the very same bytes
    without building and folding them again (see ``app.feeds.services.render_feed``).
    """
    head = header.to_ical()
    if not head.endswith(_END):  # pragma: no cover - icalendar's own format
        raise ValueError("unexpected calendar serialisation")
    return b"".join([head[: -len(_END)], *vevents, _END])


def _timezone(years: Set[int]) -> icalendar.Timezone:
    """The local zone as a VTIMEZONE covering every year the feed's events touch.

    Where the zone follows the EU rule (the switches at 01:00 UTC on the last Sundays of
    March and October, as Europe/Berlin does), it is written with yearly RRULEs, the form
    Google, Outlook and Apple write themselves; parsers built on dateutil misread the
    multi-valued RDATEs of the generic form. Other zones get ``Timezone.from_tzid``.
    """
    zone = local_zone()
    years = years or {local_today().year}
    first, last = min(years), max(years)
    winter = datetime(first, 1, 15, tzinfo=zone).utcoffset()
    summer = datetime(first, 7, 15, tzinfo=zone).utcoffset()
    if winter != summer and all(_follows_eu_rule(zone, year, winter, summer)
                                for year in range(first, last + 1)):
        timezone = icalendar.Timezone()
        timezone.add("tzid", zone.key)
        timezone.add("x-lic-location", zone.key)
        for kind, month, before, after in ((icalendar.TimezoneDaylight, 3, winter, summer),
                                           (icalendar.TimezoneStandard, 10, summer, winter)):
            switch = _eu_switch(1970, month)
            rule = kind()
            rule.add("tzname", _eu_switch(first, month).astimezone(zone).tzname())
            rule.add("tzoffsetfrom", before)
            rule.add("tzoffsetto", after)
            rule.add("dtstart", (switch + before).replace(tzinfo=None))
            rule.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
            timezone.add_component(rule)
        return timezone
    return icalendar.Timezone.from_tzid(
        zone.key, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1)
    )


def _eu_switch(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of ``month``."""
    last_day = date(year, month, 31)
    sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
    return datetime.combine(sunday, time(1), tzinfo=UTC)


def _follows_eu_rule(zone, year: int, winter: timedelta, summer: timedelta) -> bool:
    second = timedelta(seconds=1)
    spring, autumn = _eu_switch(year, 3), _eu_switch(year, 10)
    return (
        (spring - second).astimezone(zone).utcoffset() == winter
        and spring.astimezone(zone).utcoffset() == summer
        and (autumn - second).astimezone(zone).utcoffset() == summer
        and autumn.astimezone(zone).utcoffset() == winter
    )


def event_component(
    event: Event, base_url: str, *, occupations: Sequence[str] = ()
) -> icalendar.Event:
    """One VEVENT; the UID never changes and SEQUENCE counts visible changes."""
    page = f"{base_url.rstrip('/')}/events/{event.id}"
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.updated_at)
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("sequence", event.sequence)
    if event.all_day:
        component.add("dtstart", event.first_day)
        component.add("dtend", event.last_day + timedelta(days=1))  # exclusive end
    else:
        component.add("dtstart", to_local(event.starts_at))
        component.add("dtend", to_local(event.ends_at))
    prefix = "Abgesagt: " if event.status == "cancelled" else ""
    component.add("summary", text(prefix + event.title))
    component.add("description", text(describe(event, page, occupations=occupations),
                                      multiline=True))
    component.add("location", text(event.venue.address))
    latitude, longitude = event.venue.coordinates
    component.add("geo", (latitude, longitude))
    component.add("url", page, parameters={"VALUE": "URI"})
    component.add("categories", [text(label) for label in (
        german_labels().types[event.event_type],
        *(industry.name_de for industry in event.industries))])
    component.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    component.add("class", "PUBLIC")
    component.add("transp", "TRANSPARENT")
    return component


class GermanLabels(NamedTuple):
    types: dict[str, str]
    audiences: dict[str, str]


@cache
def german_labels() -> GermanLabels:
    """The German names of event types and audiences, looked up once per process (the
    catalogue only changes with a deploy) instead of twice per event of a feed."""
    with force_locale("de"):
        return GermanLabels({code: str(label) for code, label in EVENT_TYPES.items()},
                            {code: str(label) for code, label in AUDIENCES.items()})


def describe(event: Event, page: str, *, occupations: Sequence[str] = ()) -> str:
    """What a pupil needs to know, in plain German lines.

    ``occupations`` are the apprenticeships the confirmed exhibitors offer; without
    them the line is left out.
    """
    labels = german_labels()
    kind = labels.types[event.event_type]
    audiences = []
    for audience in sorted(event.audiences, key=lambda a: _AUDIENCE_ORDER.get(a.code, 99)):
        label = labels.audiences[audience.code]
        if audience.code == "pupils" and (audience.grade_from or audience.grade_to):
            label += f" (Klasse {_grades(audience.grade_from, audience.grade_to)})"
        audiences.append(label)
    lines = []
    if event.status == "cancelled":
        reason = f": {event.cancellation_reason}" if event.cancellation_reason else ""
        lines += [f"ABGESAGT{reason}", ""]
    town = event.venue.municipality
    lines.append(f"{kind} in {town.name}, {town.district.name}.")
    if audiences:
        lines.append("Für: " + ", ".join(audiences) + ".")
    if industries := _industries(event):
        lines.append(f"Branchen: {industries}.")
    if occupations:
        lines.append("Ausbildungsberufe: " + ", ".join(occupations) + ".")
    lines.append(f"Veranstalter: {event.organisation.name}.")
    if event.description:
        lines += ["", event.description]
    contact = ", ".join(part for part in (event.contact_name, event.contact_email,
                                          event.contact_phone) if part)
    if contact:
        lines += ["", f"Kontakt: {contact}"]
    if event.url:
        lines.append(f"Veranstalter-Website: {event.url}")
    lines += ["", f"Alle Angaben im Messekalender: {page}"]
    return "\n".join(lines)


def _industries(event: Event) -> str:
    """The named industries; the catch-all "cross-industry" reads as "many" to a pupil."""
    names = [industry.name_de for industry in event.industries if industry.code != CROSS]
    cross = len(names) < len(event.industries)
    if not names:
        return "Betriebe aus vielen Branchen" if cross else ""
    return ", ".join(names) + (" und viele weitere" if cross else "")


def _grades(first: int | None, last: int | None) -> str:
    if first and last:
        return f"{first}–{last}" if first != last else str(first)
    return f"ab {first}" if first else f"bis {last}"


@dataclass(frozen=True)
class Appointment:
    """Someone's own time at an event, e.g. a school class's visit slot at a fair: its
    own UID, SEQUENCE and texts (in the recipient's language), the event's place and page."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    sequence: int
    stamp: datetime
    cancelled: bool = False


def appointments_calendar(event: Event, appointments: Sequence[Appointment], *, name: str,
                          base_url: str) -> icalendar.Calendar:
    """A calendar file of appointments at ``event`` (a mail's attachment, a download);
    a cancelled appointment stays in it as STATUS:CANCELLED, so calendars drop it."""
    calendar = calendar_header(name=name, description=name, years=event_years(
        (appointment.starts_at, appointment.ends_at) for appointment in appointments))
    page = f"{base_url.rstrip('/')}/events/{event.id}"
    for appointment in appointments:
        component = icalendar.Event()
        component.add("uid", appointment.uid)
        component.add("dtstamp", appointment.stamp)
        component.add("last-modified", appointment.stamp)
        component.add("sequence", appointment.sequence)
        component.add("dtstart", to_local(appointment.starts_at))
        component.add("dtend", to_local(appointment.ends_at))
        component.add("summary", text(appointment.summary))
        component.add("description", text(appointment.description, multiline=True))
        component.add("location", text(event.venue.address))
        component.add("geo", event.venue.coordinates)
        component.add("url", page, parameters={"VALUE": "URI"})
        component.add("status", "CANCELLED" if appointment.cancelled else "CONFIRMED")
        component.add("class", "PRIVATE")
        component.add("transp", "OPAQUE")
        calendar.add_component(component)
    return calendar
