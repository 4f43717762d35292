"""Rendered parts of the public pages, kept while the data they show stays the same.

The event list of the calendar and of ``/embed`` costs far more to render than to look
up, and thousands of visitors ask for the same few lists. A fragment is cached (Flask-
Caching's ``{% cache %}`` tag, per process) under a key of everything that shapes it:
the page, its filters, the language, the local day (lists start today) and the feed data
version — the counter that database triggers move on every write to events, their
audiences and industries, venues, places, organisations and industries. So a cached list
is never older than the data: any write gives every key a new version. Lists filtered by
an apprenticeship depend on exhibitors' bookings, which move no counter: they are not
cached.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from datetime import date
from typing import NamedTuple

from cachelib import SimpleCache
from flask import current_app, render_template
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.calendar.filters import EventFilter, FilterChoices, filter_choices
from app.calendar.models import Event, Venue
from app.calendar.services import PUBLIC_STATUSES
from app.extensions import db
from app.feeds.services import data_version
from app.public.structured_data import event_json_ld

# How long a fragment may stay unused in the cache (the version makes it exact anyway).
FRAGMENT_TTL = 3600
# Event pages' facts kept per process (a few KB each).
EVENT_FACTS_KEPT = 2000


class Fragment(NamedTuple):
    """What ``{% cache fragment.timeout, fragment.key %}`` needs: ``"del"`` renders afresh."""

    timeout: int | str
    key: str


def fragment_key(page: str, event_filter: EventFilter, language: str, today: date,
                 version: int | None, **extra: object) -> Fragment:
    """The cache key of a rendered list, or "render afresh" where no key is exact.
    ``version``: ``data_version()``, read once per request by the caller."""
    if version is None or event_filter.occupations:
        return Fragment("del", f"{page}:uncached")
    parts = repr((page, sorted(event_filter.to_args().items()), language, today.isoformat(),
                  version, sorted(extra.items())))
    return Fragment(FRAGMENT_TTL, f"{page}:{hashlib.sha256(parts.encode()).hexdigest()}")


class EventFacts(NamedTuple):
    """The parts of an event page that only the event's own data shape."""

    json_ld: Markup
    aside: Markup
    about: Markup


def event_facts(event: Event, language: str) -> EventFacts:
    """An event page's facts, rendered once per event, language and data version.

    Kept apart from the lists' cache, so that many small pages and a few large lists
    cannot push each other out. What changes without the data version (exhibitors,
    class visits, the viewer's own booking) is not part of them.
    """
    version = data_version()
    kept = current_app.extensions.get("messekalender.event_facts")
    if kept is None:
        kept = current_app.extensions.setdefault("messekalender.event_facts", SimpleCache(
            threshold=EVENT_FACTS_KEPT, default_timeout=FRAGMENT_TTL))
    key = f"{event.id}:{language}:{version}"
    found = kept.get(key) if version is not None else None
    if found is None:
        json_ld = (htmlsafe_json_dumps(event_json_ld(event), dumps=current_app.json.dumps)
                   if event.is_public else Markup(""))
        found = EventFacts(
            json_ld=json_ld,
            aside=Markup(render_template("calendar/_event_aside.html", event=event,
                                         district=event.venue.municipality.district)),
            about=Markup(render_template("calendar/_event_about.html", event=event)))
        if version is not None:
            kept.set(key, found)
    return found


_CHOICES_LOCK = threading.Lock()


def calendar_choices(language: str, version: int | None) -> FilterChoices:
    """The filter form's labels (districts, industries, occupations) for ``language``,
    read once per data ``version`` (they are reference data)."""
    if version is None:
        return filter_choices()
    memo = current_app.extensions.setdefault("messekalender.filter_choices", {})
    key = (version, language)
    with _CHOICES_LOCK:
        found = memo.get(key)
    if found is None:
        found = filter_choices()
        with _CHOICES_LOCK:
            memo.clear()  # older versions are of no use any more
            memo[key] = found
    return found


def listed(event_filter: EventFilter, *, audiences: bool = True) -> Select:
    """Public events by date with what a list shows (venue, place and, unless not
    needed, audiences): industries and organisers are not loaded, which halves the cost
    of reading a list of 200 events."""
    loads = [selectinload(Event.venue).selectinload(Venue.municipality)]
    if audiences:
        loads.append(selectinload(Event.audiences))
    return event_filter.apply(select(Event).options(*loads)
                              .where(Event.status.in_(PUBLIC_STATUSES))
                              .order_by(Event.starts_at, Event.id))


def upcoming(event_filter: EventFilter, today: date, *, audiences: bool = True) -> Select:
    """Public events from ``today`` on (unless the filter starts elsewhere), by date."""
    starting = event_filter if event_filter.date_from else replace(event_filter,
                                                                   date_from=today)
    return listed(starting, audiences=audiences)


def upcoming_events(event_filter: EventFilter, today: date, limit: int) -> list[Event]:
    query = upcoming(event_filter, today, audiences=False).limit(limit)
    return list(db.session.execute(query).scalars())
