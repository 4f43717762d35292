"""Which events a feed holds, what it is called, and its cheap cache validator."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, and_, func, or_, select

from app.calendar.codes import AUDIENCES, EVENT_TYPES
from app.calendar.models import Event
from app.calendar.services import EventFilter, events_query
from app.extensions import db
from app.feeds.ical import build_calendar
from app.reference.models import District, Industry
from app.time import as_utc, local_zone

# A cancelled event stays in the feeds this long, so subscribed calendars drop it.
CANCELLED_RETENTION = timedelta(days=30)
# Past events stay this long; older ones leave the feed to keep it small.
PAST_RETENTION = timedelta(days=365)
# Bump when the feed's format changes, so every cached copy is refreshed.
FORMAT_VERSION = "1"


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
    """The feed as bytes; the web route and the static publisher send the very same."""
    events = db.session.execute(feed_events(event_filter, now)).scalars().all()
    return build_calendar(events, name=feed_name(event_filter),
                          description=feed_description(event_filter),
                          base_url=current_app.config["BASE_URL"]).to_ical()


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime | None


def feed_validator(event_filter: EventFilter, now: datetime, base_url: str) -> Validator:
    """ETag and Last-Modified from one aggregate query, without building the feed.

    Any change an event gets moves ``updated_at``; events entering or leaving the feed
    (including by the passing of time) change the count or the sum of ids.
    """
    ids = event_filter.apply(select(Event.id).where(_in_feed(now)))
    count, last_change, id_sum = db.session.execute(
        select(func.count(Event.id), func.max(Event.updated_at), func.sum(Event.id))
        .where(Event.id.in_(ids))
    ).one()
    last_change = as_utc(last_change) if last_change else None
    key = "|".join(str(part) for part in (
        FORMAT_VERSION, base_url, sorted(event_filter.to_args().items()), count,
        last_change.isoformat() if last_change else "", id_sum or 0,
    ))
    return Validator(hashlib.sha256(key.encode()).hexdigest()[:32], last_change)


def _scope(event_filter: EventFilter) -> list[str]:
    """The chosen districts, industries, audiences and types in German, for names."""
    parts = []
    if event_filter.districts:
        names = db.session.execute(
            select(District.name).where(District.code.in_(event_filter.districts))
            .order_by(District.name)
        ).scalars()
        parts.append(", ".join(names))
    if event_filter.industries:
        names = db.session.execute(
            select(Industry.name_de).where(Industry.code.in_(event_filter.industries))
            .order_by(Industry.name_de)
        ).scalars()
        parts.append(", ".join(names))
    with force_locale("de"):
        if event_filter.audiences:
            parts.append("für " + ", ".join(str(AUDIENCES[c]) for c in event_filter.audiences))
        if event_filter.types:
            parts.append(", ".join(str(EVENT_TYPES[c]) for c in event_filter.types))
    return parts


def feed_name(event_filter: EventFilter) -> str:
    """A German name that says what the feed contains, e.g. for the calendar list."""
    parts = _scope(event_filter)
    name = "Messekalender Südwestfalen"
    return f"{name}: {' · '.join(parts)}" if parts else name


def feed_description(event_filter: EventFilter) -> str:
    """The feed's German description: what it holds and how changes reach subscribers."""
    what = ("Ausbildungsmessen, Azubi-Speed-Datings, Job- und Fachkräftemessen, Tage der "
            "offenen Tür und Infoabende in Südwestfalen")
    if parts := _scope(event_filter):
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
