"""The organisers' calendar: reserved (planned) and published dates of every organisation.

An organiser who plans a fair looks here for what the others have reserved or published,
before a clash arises. The public never sees reserved dates; drafts stay private to their
organisation and are left out here altogether (this is a page about shared dates). The
year overview's counts per day and district come from here too.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from app.calendar import filters
from app.calendar import services as calendar
from app.calendar.models import Event, Venue
from app.clashes.inputs import local_days
from app.clashes.models import BlackoutPeriod
from app.clashes.rules import SHARED_STATUSES
from app.extensions import db
from app.reference.models import Municipality
from app.time import day_span_utc, to_local

# The longest period one page shows, and the most events it lists.
MAX_MONTHS = 36
MAX_EVENTS = 500


def planning_year(today: date) -> int:
    """The year organisers are planning: this one, but from December on the next."""
    return today.year + 1 if today.month == 12 else today.year


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


# --- the year overview's data ---------------------------------------------------------------


def year_counts(year: int, own_organisation_id: int | None) -> dict[date, dict[str, int]]:
    """Events per local day and district: planned and published events of everybody, the
    viewer's own organisation's drafts too."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    visible = Event.status.in_(("planned", "published"))
    if own_organisation_id is not None:
        visible = or_(visible, (Event.status == "draft")
                      & (Event.organisation_id == own_organisation_id))
    rows = db.session.execute(
        select(Event.starts_at, Event.ends_at, Event.first_day, Event.last_day,
               Municipality.district_code)
        .join(Venue, Event.venue_id == Venue.id)
        .join(Municipality, Venue.municipality_id == Municipality.id)
        .where(visible, Event.ends_at > day_span_utc(first, first)[0],
               Event.starts_at < day_span_utc(last, last)[1])
    )
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for starts_at, ends_at, first_day, last_day, district in rows:
        start, end = local_days(starts_at, ends_at, first_day, last_day)
        for ordinal in range(max(start, first.toordinal()), min(end, last.toordinal()) + 1):
            counts[date.fromordinal(ordinal)][district] += 1
    return counts


def school_holiday_days(year: int) -> dict[date, str]:
    """Days of blackout periods that affect pupils (school holidays), with their names."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days: dict[date, str] = {}
    periods = db.session.execute(
        select(BlackoutPeriod).join(BlackoutPeriod.calendar)
        .where(BlackoutPeriod.first_day <= last, BlackoutPeriod.last_day >= first)
        .options(selectinload(BlackoutPeriod.calendar))
    ).scalars()
    for period in periods:
        if "pupils" not in (period.calendar.audiences or []):
            continue
        day = max(period.first_day, first)
        while day <= min(period.last_day, last):
            days.setdefault(day, period.name)
            day += timedelta(days=1)
    return days


def reserved_in(year: int) -> list[Event]:
    """The dates reserved (planned, not yet published) in ``year``."""
    return list(db.session.execute(
        calendar.events_query().where(
            Event.status == "planned",
            Event.ends_at > day_span_utc(date(year, 1, 1), date(year, 1, 1))[0],
            Event.starts_at < day_span_utc(date(year, 12, 31), date(year, 12, 31))[1],
        )
    ).scalars())
