"""Which events a feed holds, what it is called, its cheap validator, and its caches.

A feed is built in three layers, each exact (the bytes are always those of
``build_calendar(...).to_ical()``, which the tests check):

- ``feed_validator``: the strong ETag from one aggregate over the feed's events and a
  fingerprint of the names they show, without building; its result is remembered while
  the feed data version (a counter that database triggers move on every write to a
  table shaping a feed) stays put, so a 304 costs two primary-key reads;
- ``cached_feed``: a small in-process LRU of rendered feeds keyed by ETag, so a warm
  200 is a dictionary look-up; entries also expire after ``FEED_CACHE_TTL``;
- ``render_feed``: reads, in plain column queries, everything that shapes each VEVENT,
  hashes it into a key, and takes the event's serialised VEVENT from the
  ``feed_event_cache`` table when the key matches; only changed events are loaded as
  objects and serialised by ``icalendar``. The header and VTIMEZONE are built by
  ``icalendar`` every time and the blocks spliced in (``ical.assemble``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import icalendar
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import Select, and_, case, func, or_, select, text, type_coerce
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import NullType

from app.accounts.models import Organisation
from app.booths.models import Booking, BoothSetup, booking_occupations
from app.calendar import ical
from app.calendar.filters import EventFilter, grade_span
from app.calendar.models import Event, EventAudience, Venue, event_industries
from app.calendar.services import events_query
from app.extensions import db
from app.feeds.models import FeedDataVersion, FeedEventCache
from app.reference.codes import AUDIENCES, EVENT_TYPES
from app.reference.models import District, Industry, Municipality, Occupation
from app.time import as_utc, local_zone

logger = logging.getLogger(__name__)

# A cancelled event stays in the feeds this long, so subscribed calendars drop it.
CANCELLED_RETENTION = timedelta(days=30)
# Past events stay this long; older ones leave the feed to keep it small.
PAST_RETENTION = timedelta(days=365)
# Bump when the feed's format changes, so every cached copy is refreshed.
FORMAT_VERSION = "1"
# Part of every stored VEVENT's key: a new builder, icalendar release or format version
# (a deploy) makes every stored VEVENT stale at once.
BUILDER_VERSION = hashlib.sha256(
    f"{FORMAT_VERSION}|{icalendar.__version__}|".encode()
    + Path(ical.__file__).read_bytes()
).hexdigest()[:16]
# The in-process cache of rendered feeds: bounded in entries and bytes; entries expire,
# a bound for anything the ETag would not see.
FEED_CACHE_ENTRIES = 32
FEED_CACHE_BYTES = 64 * 1024 * 1024
FEED_CACHE_TTL = timedelta(minutes=15)
# Remembered validators: how many filters, and how long at most.
VALIDATOR_MEMO_ENTRIES = 256
VALIDATOR_MAX_AGE = timedelta(seconds=60)
# Events loaded as objects per query when their VEVENT must be (re)built.
_BUILD_CHUNK = 500


def _in_feed(now: datetime):
    return and_(
        Event.ends_at > now - PAST_RETENTION,
        or_(
            Event.status == "published",
            and_(Event.status == "cancelled", Event.cancelled_at > now - CANCELLED_RETENTION),
        ),
    )


def feed_events(event_filter: EventFilter, now: datetime) -> Select:
    """Published events, and cancelled ones for 30 days after their cancellation."""
    return event_filter.apply(events_query().where(_in_feed(now)))


def upcoming_feed_events(event_filter: EventFilter, now: datetime, limit: int) -> list[Event]:
    """The next events of a feed (not yet over), for the feed builder's preview."""
    query = feed_events(event_filter, now).where(Event.ends_at > now).limit(limit)
    return list(db.session.execute(query).scalars())


def render_feed(event_filter: EventFilter, now: datetime) -> bytes:
    """The feed as bytes; the web route and the static publisher send the very same.

    Stored VEVENTs whose key still matches are reused; the others are built, and stored
    (in a transaction of their own, so a failed write only costs the next build time).
    """
    base_url = current_app.config["BASE_URL"]
    ids = _feed_ids(event_filter, now)
    keys, years, occupations = vevent_keys(ids, base_url)
    stored = {
        event_id: vevent for event_id, key, vevent in db.session.connection().execute(
            select(FeedEventCache.event_id, FeedEventCache.key, FeedEventCache.vevent)
            .where(FeedEventCache.event_id.in_(ids))
        ).all() if keys.get(event_id) == key
    }
    missing = [event_id for event_id in keys if event_id not in stored]
    built = {}
    for start in range(0, len(missing), _BUILD_CHUNK):
        chunk = missing[start:start + _BUILD_CHUNK]
        for event in db.session.execute(events_query().where(Event.id.in_(chunk))).scalars():
            built[event.id] = ical.event_component(
                event, base_url, occupations=occupations.get(event.id, ())).to_ical()
    if built:
        _store(built, keys)
    header = ical.calendar_header(name=feed_name(event_filter),
                                  description=feed_description(event_filter), years=years)
    blocks = {**stored, **built}
    return ical.assemble(header, (blocks[event_id] for event_id in keys))


def _feed_ids(event_filter: EventFilter, now: datetime) -> Select:
    return event_filter.apply(select(Event.id).where(_in_feed(now)))


def exhibitor_occupations(ids: Select | list[int]) -> dict[int, list[str]]:
    """Event id → the apprenticeships its confirmed exhibitors present, by name.

    What pupils can learn about at a fair: the descriptions name them. Only fairs that
    take exhibitors (as on the event page) and only confirmed bookings count.
    """
    found: dict[int, list[str]] = defaultdict(list)
    for event_id, name in db.session.connection().execute(
        select(Booking.event_id, Occupation.name).distinct()
        .join(booking_occupations, booking_occupations.c.booking_id == Booking.id)
        .join(Occupation, Occupation.id == booking_occupations.c.occupation_id)
        .join(BoothSetup, BoothSetup.event_id == Booking.event_id)
        .where(Booking.status == "confirmed", BoothSetup.takes_exhibitors,
               Booking.event_id.in_(ids))
        .order_by(Booking.event_id, Occupation.name)
    ).all():
        found[event_id].append(name)
    return dict(found)


class FeedPlan(NamedTuple):
    keys: dict[int, str]  # event id → key, in feed order
    years: set[int]
    occupations: dict[int, list[str]]


def vevent_keys(ids: Select, base_url: str) -> FeedPlan:
    """Each event's key, in feed order, the local years its events touch, and the
    occupations on offer at each (``exhibitor_occupations``).

    The key hashes every column that ``ical.event_component`` reads, of the event and of
    its venue, municipality, district, organisation, industries and audiences, plus the
    occupations, the German labels and ``BUILDER_VERSION``: a renamed venue or industry
    changes the key of every event it shapes. A change to ``event_component`` that
    reads something new must add it here (the tests compare against an uncached build).
    The columns are read raw, as the driver gives them (no type conversion), on the session's
    connection: this runs for every event of a feed.
    """
    connection = db.session.connection()
    industries: dict[int, list] = defaultdict(list)
    for event_id, code, name in connection.execute(
        select(event_industries.c.event_id, Industry.code, Industry.name_de)
        .join(Industry, Industry.code == event_industries.c.industry_code)
        .where(event_industries.c.event_id.in_(ids))
    ).all():
        industries[event_id].append((code, name))
    audiences: dict[int, list] = defaultdict(list)
    for event_id, *audience in connection.execute(
        select(EventAudience.event_id, EventAudience.code, EventAudience.grade_from,
               EventAudience.grade_to).where(EventAudience.event_id.in_(ids))
    ).all():
        audiences[event_id].append(tuple(audience))
    occupations = exhibitor_occupations(ids)
    prefix = f"{BUILDER_VERSION}|{base_url}|{ical.german_labels()!r}|"
    rows = connection.execute(
        _events_and_places(ids, Event.id, *Event.__table__.c, *_PLACE_COLUMNS)
        .order_by(Event.starts_at, Event.id)
    ).tuples().all()
    sha256 = hashlib.sha256
    keys = {  # a plain tuple's repr: a Row's shortens long values
        row[0]: sha256(
            f"{prefix}{tuple(row)!r}|{sorted(industries[row[0]])!r}"
            f"|{sorted(audiences[row[0]])!r}|{occupations.get(row[0], [])!r}".encode()
        ).hexdigest()
        for row in rows
    }
    first, last = connection.execute(
        select(func.min(Event.starts_at), func.max(Event.ends_at)).where(Event.id.in_(ids))
    ).one()
    return FeedPlan(keys, ical.event_years([(first, last)] if first else []), occupations)


# What a VEVENT shows of its venue, place, district and organiser.
_PLACE_COLUMNS = (*Venue.__table__.c, *Municipality.__table__.c, District.name,
                  Organisation.name)


def _events_and_places(ids: Select, *columns) -> Select:
    """``columns`` of the events ``ids`` and their places and organisers, read raw (as
    the driver gives them, no type conversion): this runs over every event of a feed."""
    return (
        select(*(type_coerce(column, NullType()) for column in columns))
        .select_from(Event)
        .join(Venue, Venue.id == Event.venue_id)
        .join(Municipality, Municipality.id == Venue.municipality_id)
        .join(District, District.code == Municipality.district_code)
        .join(Organisation, Organisation.id == Event.organisation_id)
        .where(Event.id.in_(ids))
    )


def _store(built: dict[int, bytes], keys: dict[int, str]) -> None:
    """Upsert the freshly built VEVENTs; a failure is logged, never the request's."""
    rows = [{"event_id": event_id, "key": keys[event_id], "vevent": built[event_id]}
            for event_id in sorted(built)]
    table = FeedEventCache.__table__
    try:
        with db.engine.begin() as connection:
            dialect = connection.dialect.name
            if dialect in ("sqlite", "postgresql"):
                if dialect == "sqlite":
                    from sqlalchemy.dialects.sqlite import insert
                else:
                    from sqlalchemy.dialects.postgresql import insert
                statement = insert(table)
                statement = statement.on_conflict_do_update(
                    index_elements=[table.c.event_id],
                    set_={"key": statement.excluded.key, "vevent": statement.excluded.vevent})
                connection.execute(statement, rows)
            else:  # pragma: no cover - the app runs on SQLite and PostgreSQL
                connection.execute(table.delete().where(table.c.event_id.in_(list(built))))
                connection.execute(table.insert(), rows)
    except SQLAlchemyError as error:
        logger.warning("feed_event_cache not updated: %s", error)


class RenderedFeeds:
    """A bounded, thread-safe LRU of rendered feeds keyed by ETag and data version."""

    def __init__(self, entries: int = FEED_CACHE_ENTRIES, size: int = FEED_CACHE_BYTES,
                 ttl: timedelta = FEED_CACHE_TTL) -> None:
        self.entries, self.size, self.ttl = entries, size, ttl.total_seconds()
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, etag: str) -> bytes | None:
        with self._lock:
            item = self._items.get(etag)
            if item is None:
                return None
            if time.monotonic() - item[0] > self.ttl:
                self._drop(etag)
                return None
            self._items.move_to_end(etag)
            return item[1]

    def put(self, etag: str, data: bytes) -> None:
        if len(data) > self.size:
            return
        with self._lock:
            if etag in self._items:
                self._drop(etag)
            self._items[etag] = (time.monotonic(), data)
            self._bytes += len(data)
            while len(self._items) > self.entries or self._bytes > self.size:
                self._drop(next(iter(self._items)))

    def _drop(self, etag: str) -> None:
        self._bytes -= len(self._items.pop(etag)[1])


def feed_cache() -> RenderedFeeds:
    """The current app's cache of rendered feeds (one per process and app)."""
    return current_app.extensions.setdefault("messekalender.rendered_feeds", RenderedFeeds())


def cached_feed(event_filter: EventFilter, now: datetime, validator: Validator) -> bytes:
    """The feed of this validator, rendered at most once while the data stays the same."""
    cache = feed_cache()
    key = validator.etag
    data = cache.get(key)
    if data is None:
        data = render_feed(event_filter, now)
        cache.put(key, data)
    return data


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime | None
    # The feed data version it was read at (None where unknown): while it stays, the
    # validator is remembered.
    version: int | None = None


@dataclass(frozen=True)
class _Remembered:
    validator: Validator
    since: datetime  # the ``now`` it was computed for
    until: datetime  # the first moment an event leaves the feed by the passing of time
    at: float  # time.monotonic() when computed


def feed_validator(event_filter: EventFilter, now: datetime, base_url: str) -> Validator:
    """ETag and Last-Modified without building the feed, usually without any query.

    The ETag hashes, besides the feed's name and description and the builder's version,
    one aggregate over the feed's events (any change an event gets moves
    ``updated_at``; events entering or leaving change the count or the sum of ids) and
    ``reference_fingerprint`` (the venues, organisers and places whose names the
    feed's VEVENTs show, so a renamed venue moves it too). Last-Modified is the
    latest change of any event, or the latest moment an event left the feeds by the
    passing of time: it never goes back when an event leaves a feed, so a client that
    only sends If-Modified-Since is not told "not modified" after an event moved away.

    The aggregate reads every event of the feed, so the result is remembered per filter
    while the feed data version (moved by database triggers on every write to a table
    that shapes a feed) stays the same, until the first event would leave the feed by
    the passing of time, and at most VALIDATOR_MAX_AGE (a bound for a change committed
    between reading the version and the aggregate).
    """
    version = data_version()
    memo = _validators()
    key = (base_url, repr(sorted(event_filter.to_args().items())))
    with _MEMO_LOCK:
        remembered = memo.get(key)
    if (remembered is not None and version is not None
            and remembered.validator.version == version
            and remembered.since <= now < remembered.until
            and time.monotonic() - remembered.at < VALIDATOR_MAX_AGE.total_seconds()):
        return remembered.validator
    count, last_change, id_sum, first_end, first_cancel = db.session.execute(
        select(func.count(Event.id), func.max(Event.updated_at), func.sum(Event.id),
               func.min(Event.ends_at),
               func.min(case((Event.status == "cancelled", Event.cancelled_at))))
        .where(Event.id.in_(_feed_ids(event_filter, now)))
    ).one()
    content = "|".join(str(part) for part in (
        FORMAT_VERSION, BUILDER_VERSION, base_url, sorted(event_filter.to_args().items()),
        feed_name(event_filter), feed_description(event_filter), count,
        as_utc(last_change).isoformat() if last_change else "", id_sum or 0,
        reference_fingerprint(_feed_ids(event_filter, now)),
    ))
    validator = Validator(hashlib.sha256(content.encode()).hexdigest()[:32],
                          _last_modified(now), version)
    leaving = []
    if first_end:
        leaving.append(as_utc(first_end) + PAST_RETENTION)
    if first_cancel:
        leaving.append(as_utc(first_cancel) + CANCELLED_RETENTION)
    until = min(leaving, default=now + VALIDATOR_MAX_AGE)
    with _MEMO_LOCK:
        memo[key] = _Remembered(validator, now, until, time.monotonic())
        memo.move_to_end(key)
        while len(memo) > VALIDATOR_MEMO_ENTRIES:
            memo.popitem(last=False)
    return validator


def _last_modified(now: datetime) -> datetime | None:
    """The latest change of any event, or the latest moment one left the feeds by the
    passing of time (30 days after its cancellation, a year after its end)."""
    changed, cancelled, ended = db.session.execute(select(
        func.max(Event.updated_at),
        func.max(case((Event.cancelled_at <= now - CANCELLED_RETENTION, Event.cancelled_at))),
        func.max(case((Event.ends_at <= now - PAST_RETENTION, Event.ends_at))),
    )).one()
    moments = [as_utc(changed) if changed else None,
               as_utc(cancelled) + CANCELLED_RETENTION if cancelled else None,
               as_utc(ended) + PAST_RETENTION if ended else None]
    return max((moment for moment in moments if moment), default=None)


def reference_fingerprint(ids: Select) -> str:
    """A hash of the venue, place, district and organiser columns that the feed's events
    show, and of the industry and occupation names: these rows carry no change time of
    their own, and there are few of them (one per venue and organiser of the feed)."""
    connection = db.session.connection()
    digest = hashlib.sha256()
    for row in connection.execute(
        _events_and_places(ids, *_PLACE_COLUMNS).distinct()
        .order_by(Venue.id, Organisation.name)
    ):
        digest.update(repr(tuple(row)).encode())
    for table in (Industry.__table__, Occupation.__table__):
        for row in connection.execute(
                select(*(type_coerce(column, NullType()) for column in table.c))
                .order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


_MEMO_LOCK = threading.Lock()


def _validators() -> OrderedDict:
    return current_app.extensions.setdefault("messekalender.feed_validators", OrderedDict())


def data_version() -> int | None:
    """The feed data version, or None where the triggers that keep it are missing."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        exists = current_app.extensions.get("messekalender.feed_data_version_seq")
        if exists is None:
            exists = db.session.execute(
                text("SELECT to_regclass('feed_data_version_seq') IS NOT NULL")).scalar()
            current_app.extensions["messekalender.feed_data_version_seq"] = exists
        if not exists:
            return None
        last, called = db.session.execute(
            text("SELECT last_value, is_called FROM feed_data_version_seq")).one()
        return 2 * last + int(called)
    if dialect == "sqlite":
        return db.session.execute(
            select(FeedDataVersion.version).where(FeedDataVersion.id == 1)).scalar()
    return None


def selection_parts(event_filter: EventFilter, language: str = "de") -> list[str]:
    """The chosen districts, industries, audiences, types, grades and apprenticeships in
    ``language``: German for feed names, the subscriber's language in change notices.
    District names are proper names and stay German."""
    parts = []
    if event_filter.districts:
        names = db.session.execute(
            select(District.name).where(District.code.in_(event_filter.districts))
            .order_by(District.name)
        ).scalars()
        parts.append(", ".join(names))
    if event_filter.industries:
        column = Industry.name_en if language == "en" else Industry.name_de
        names = db.session.execute(
            select(column).where(Industry.code.in_(event_filter.industries)).order_by(column)
        ).scalars()
        parts.append(", ".join(names))
    with force_locale(language):
        if event_filter.audiences:
            parts.append(gettext("for %(audiences)s", audiences=", ".join(
                str(AUDIENCES[c]) for c in event_filter.audiences)))
        if event_filter.types:
            parts.append(", ".join(str(EVENT_TYPES[c]) for c in event_filter.types))
        if event_filter.grades:
            parts.append(gettext("grades %(grades)s", grades=grade_span(event_filter.grades)))
        if event_filter.occupations:
            names = db.session.execute(
                select(Occupation.name).where(Occupation.id.in_(event_filter.occupations))
                .order_by(Occupation.name)
            ).scalars()
            parts.append(gettext("Apprenticeship: %(names)s", names=", ".join(names)))
    return parts


def feed_name(event_filter: EventFilter) -> str:
    """A German name that says what the feed contains, e.g. for the calendar list."""
    parts = selection_parts(event_filter)
    name = "Messekalender Südwestfalen"
    return f"{name}: {' · '.join(parts)}" if parts else name


def feed_description(event_filter: EventFilter) -> str:
    """The feed's German description: what it holds and how changes reach subscribers."""
    what = ("Ausbildungsmessen, Azubi-Speed-Datings, Job- und Fachkräftemessen, Tage der "
            "offenen Tür und Infoabende in Südwestfalen")
    if parts := selection_parts(event_filter):
        scope = f"{what}. Auswahl: {' · '.join(parts)}."
    else:
        scope = (f"{what}: alle Termine aller Veranstalter im Hochsauerlandkreis, im Kreis "
                 f"Olpe, im Kreis Siegen-Wittgenstein, im Kreis Soest und im Märkischen Kreis.")
    return (f"{scope} Neue Termine, Änderungen und Absagen erscheinen von selbst; abgesagte "
            f"Termine bleiben 30 Tage lang mit dem Hinweis „Abgesagt“ sichtbar.")


def google_calendar_url(event: Event, page_url: str) -> str:
    """A link that opens Google Calendar's "add event" form filled with this event."""
    if event.all_day:
        dates = f"{event.first_day:%Y%m%d}/{event.last_day + timedelta(days=1):%Y%m%d}"
    else:
        dates = f"{as_utc(event.starts_at):%Y%m%dT%H%M%SZ}/{as_utc(event.ends_at):%Y%m%dT%H%M%SZ}"
    details = f"{event.description[:500]}\n\n{page_url}".strip()
    query = urlencode({"action": "TEMPLATE", "text": event.title, "dates": dates,
                       "details": details, "location": event.venue.address,
                       "ctz": local_zone().key})
    return f"https://calendar.google.com/calendar/render?{query}"
