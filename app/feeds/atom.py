"""Atom feeds of the upcoming events, for news readers and websites' tickers.

The same addresses and filters as the iCal feeds, with ``.atom`` instead of ``.ics``.
An entry is one event that has not ended yet (cancelled ones stay for 30 days, marked
"Abgesagt"), in German like the iCal feeds; its id never changes (built from the event's
UID) and ``updated`` is the event's last change, so a reader shows a changed date as an
update. Built with ``feedgen``; the rendered bytes are kept per filter while the feed
data version stays the same and no event has left the feed by the passing of time.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, request, url_for

from app.calendar.filters import EventFilter
from app.calendar.ical import describe, german_labels
from app.calendar.models import Event
from app.extensions import cache, db
from app.feeds import health
from app.feeds import services as feeds
from app.feeds.views import CACHE_CONTROL, plain, requested_filter
from app.reference.codes import DISTRICT_CODES, INDUSTRY_CODES
from app.time import as_utc, now_utc, to_local

bp = Blueprint("atom", __name__)

MAX_ENTRIES = 100
# A rendered feed is rebuilt at the latest after this, whatever happened.
RENDERED_TTL = timedelta(minutes=15)
TAG_AUTHORITY = "tag:messekalender-suedwestfalen.de,2026:"
# XML 1.0 allows no C0 control characters but tab, newline and carriage return.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str | None) -> str:
    """Text that XML can carry (a description typed with a stray control character)."""
    return _NOT_XML.sub("", value or "")


@bp.get("/feeds/all.atom")
def all_events():
    """Every upcoming public event, narrowed by the query's filters."""
    return _atom()


@bp.get("/feeds/district/<code>.atom")
def district(code: str):
    if code not in DISTRICT_CODES:
        return plain(404, f"Unknown district {code[:20]!r}; known: {', '.join(DISTRICT_CODES)}.")
    return _atom(districts=(code,))


@bp.get("/feeds/industry/<code>.atom")
def industry(code: str):
    if code not in INDUSTRY_CODES:
        return plain(404, f"Unknown industry {code[:20]!r}; known: {', '.join(INDUSTRY_CODES)}.")
    return _atom(industries=(code,))


def _atom(**narrowing: tuple[str, ...]) -> Response:
    event_filter = requested_filter(**narrowing)
    if isinstance(event_filter, Response):
        return event_filter
    now = now_utc()
    data = rendered_atom(event_filter, now)
    response = Response(data, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response = response.make_conditional(request)
    health.record_request(health.feed_key(event_filter, atom=True), response, request)
    return response


def rendered_atom(event_filter: EventFilter, now: datetime) -> bytes:
    """The feed's bytes, from the cache while nothing it shows can have changed."""
    version = feeds.data_version()
    key = "atom:" + hashlib.sha256(repr((
        sorted(event_filter.to_args().items()), current_app.config["BASE_URL"],
        version)).encode()).hexdigest()
    found = cache.get(key) if version is not None else None
    if found is not None and now < found[0]:
        return found[1]
    events = upcoming_entries(event_filter, now)
    data = build_atom(event_filter, events, now)
    if version is not None:
        cache.set(key, (_valid_until(events, now), data),
                  timeout=int(RENDERED_TTL.total_seconds()))
    return data


def upcoming_entries(event_filter: EventFilter, now: datetime) -> list[Event]:
    """The feed's events that have not ended, soonest first."""
    query = feeds.feed_events(event_filter, now).where(Event.ends_at > now).limit(MAX_ENTRIES)
    return list(db.session.execute(query).scalars())


def _valid_until(events: list[Event], now: datetime) -> datetime:
    """The first moment an entry leaves by the passing of time (it ends, or its
    cancellation is 30 days old), at most RENDERED_TTL from now."""
    moments = [now + RENDERED_TTL]
    moments += [as_utc(event.ends_at) for event in events]
    moments += [as_utc(event.cancelled_at) + feeds.CANCELLED_RETENTION
                for event in events if event.status == "cancelled" and event.cancelled_at]
    return min(moments)


def entry_id(event: Event) -> str:
    """A permanent id (RFC 4151 tag URI) from the event's UID, which never changes."""
    return TAG_AUTHORITY + "event:" + event.uid


def build_atom(event_filter: EventFilter, events: list[Event], now: datetime) -> bytes:
    """An Atom 1.0 document (RFC 4287) of ``events``."""
    base_url = current_app.config["BASE_URL"].rstrip("/")
    generator = FeedGenerator()
    generator.id(TAG_AUTHORITY + "feed:" + (
        "&".join(f"{name}={','.join(value) if isinstance(value, list) else value}"
                 for name, value in sorted(event_filter.to_args().items())) or "all"))
    generator.title(xml_text(feeds.feed_name(event_filter)))
    generator.subtitle(xml_text(feeds.feed_description(event_filter)))
    generator.author({"name": "Messekalender Südwestfalen", "uri": base_url + "/"})
    # The canonical address of this selection (the all-feed with its filters).
    generator.link(href=base_url + url_for("atom.all_events", **event_filter.to_args()),
                   rel="self", type="application/atom+xml")
    generator.link(href=base_url + url_for("calendar.index", **event_filter.to_args()),
                   rel="alternate", type="text/html")
    generator.language("de")
    generator.generator("Messekalender Südwestfalen")
    generator.updated(max((as_utc(event.updated_at) for event in events), default=now))
    labels = german_labels()
    for event in events:
        page = f"{base_url}/events/{event.id}"
        entry = generator.add_entry(order="append")
        entry.id(entry_id(event))
        prefix = "Abgesagt: " if event.status == "cancelled" else ""
        entry.title(xml_text(f"{prefix}{event.title} ({_when(event)})"))
        entry.link(href=page, rel="alternate", type="text/html")
        entry.updated(as_utc(event.updated_at))
        entry.published(as_utc(event.published_at or event.created_at))
        entry.summary(xml_text(f"{_when(event)}, {event.venue.municipality.name}: "
                               f"{labels.types[event.event_type]}"))
        entry.content(xml_text(describe(event, page)), type="text")
        entry.category(term=event.event_type, label=labels.types[event.event_type])
        for code in event.industry_codes:
            entry.category(term=code, scheme=base_url + "/open-data#industry")
    return generator.atom_str(pretty=False)


def _when(event: Event) -> str:
    """The date (and time) in German short form, e.g. "14.03.2027, 09:00–15:00 Uhr"."""
    if event.all_day:
        if event.first_day == event.last_day:
            return f"{event.first_day:%d.%m.%Y}"
        return f"{event.first_day:%d.%m.}–{event.last_day:%d.%m.%Y}"
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    if start.date() == end.date():
        return f"{start:%d.%m.%Y}, {start:%H:%M}–{end:%H:%M} Uhr"
    return f"{start:%d.%m.%Y} {start:%H:%M} – {end:%d.%m.%Y} {end:%H:%M} Uhr"
