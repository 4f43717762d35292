"""The organisers' calendar: reserved (planned) and published dates of every organisation.

An organiser who plans a fair looks here for what the others have reserved or published,
before a clash arises. The public never sees reserved dates; drafts stay private to their
organisation and are left out here altogether (this is a page about shared dates).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import Select, select

from app.calendar import filters
from app.calendar import services as calendar
from app.calendar.models import Event, Venue
from app.clashes.rules import SHARED_STATUSES
from app.reference.models import Municipality
from app.time import to_local

# The longest period one page shows, and the most events it lists.
MAX_MONTHS = 36
MAX_EVENTS = 500


def month_end(month: date) -> date:
    return month.replace(day=monthrange(month.year, month.month)[1])


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months ``first``..``last`` spans, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def shared_dates(first_month: date, last_month: date, now: datetime, *,
                 district: str | None = None, status: str | None = None) -> Select:
    """Reserved and published events that touch the months ``first_month``..``last_month``
    and have not ended yet, in time order (optionally of one district or one status)."""
    statuses = (status,) if status in SHARED_STATUSES else SHARED_STATUSES
    query = filters.within(calendar.events_query(), first_month, month_end(last_month))
    query = query.where(Event.status.in_(statuses), Event.ends_at > now)
    if district:
        query = query.where(Event.venue_id.in_(
            select(Venue.id).join(Municipality, Venue.municipality_id == Municipality.id)
            .where(Municipality.district_code == district)))
    return query


def first_day(event: Event) -> date:
    return event.first_day if event.all_day and event.first_day else to_local(
        event.starts_at).date()


@dataclass
class MonthGroup:
    month: date
    events: list[Event]

    @property
    def reserved(self) -> int:
        return sum(1 for event in self.events if event.status == "planned")

    @property
    def published(self) -> int:
        return sum(1 for event in self.events if event.status == "published")


def by_month(events: list[Event], first_month: date) -> list[MonthGroup]:
    """Events grouped by the month of their first day (an event that began before the
    period counts for its first month)."""
    return [MonthGroup(month, list(items)) for month, items in groupby(
        events, key=lambda event: max(first_day(event).replace(day=1), first_month))]
