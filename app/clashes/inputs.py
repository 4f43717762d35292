"""The inputs of the clash rules, read from the database: the rules' view of events
(slots), the events near a candidate, district borders, public holidays and blackout
periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holiday_calendars
from flask import current_app
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
)

from app.accounts.models import Organisation
from app.calendar.models import Event, EventAudience, Venue
from app.calendar.services import EventData
from app.clashes.models import BlackoutCalendar, BlackoutPeriod
from app.clashes.rules import (
    AUDIENCE_BITS,
    COUNTED_STATUSES,
    ClashConfig,
    Period,
    Slot,
    audience_mask,
    epoch,
    neighbour_pairs,
    sql_overlaps,
)
from app.extensions import db
from app.reference.models import Municipality, district_neighbours
from app.time import (
    as_utc,
    day_span_utc,
    local_zone,
    to_local,
)


def clash_config() -> ClashConfig:
    return ClashConfig.from_mapping(current_app.config)


def neighbours() -> frozenset[tuple[str, str]]:
    """District borders from the reference data (both directions), read once per app:
    the reference data does not change while it runs, and every check needs them."""
    cached = current_app.extensions.get("clash_neighbours")
    if cached:
        return cached
    rows = db.session.execute(
        select(district_neighbours.c.district_code, district_neighbours.c.neighbour_code)
    ).all()
    pairs = neighbour_pairs((a, b) for a, b in rows)
    if pairs:
        current_app.extensions["clash_neighbours"] = pairs
    return pairs


@lru_cache(maxsize=64)
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holiday_calendars.country_holidays(
        "DE", subdiv="NW", years=year, language="en_US" if language == "en" else "de"))


def public_holidays(first_day: date, last_day: date) -> dict[int, str]:
    """NRW public holidays between two days, keyed by date ordinal (German names)."""
    found = {}
    for year in range(first_day.year, last_day.year + 1):
        for day, name in _holidays(year, "de").items():
            if first_day <= day <= last_day:
                found[day.toordinal()] = name
    return found


def holiday_name(day: date, language: str) -> str:
    return _holidays(day.year, language).get(day, "")


def blackout_periods(first_day: date | None = None, last_day: date | None = None) -> list[Period]:
    """Blackout periods (optionally those touching the given days) for the rules."""
    query = select(BlackoutPeriod.id, BlackoutPeriod.first_day, BlackoutPeriod.last_day,
                   BlackoutCalendar.audiences).join(BlackoutPeriod.calendar)
    if first_day is not None and last_day is not None:
        # Inclusive days: the half-open rule on [first_day, last_day + 1).
        query = query.where(BlackoutPeriod.first_day <= last_day,
                            BlackoutPeriod.last_day >= first_day)
    return [Period(pid, first.toordinal(), last.toordinal(), audience_mask(codes or []))
            for pid, first, last, codes in db.session.execute(query)]


def local_days(starts_at: datetime, ends_at: datetime, first_day: date | None,
                last_day: date | None) -> tuple[int, int]:
    if first_day is not None and last_day is not None:
        return first_day.toordinal(), last_day.toordinal()
    first = to_local(starts_at).date()
    last = (to_local(ends_at) - timedelta(microseconds=1)).date()
    return first.toordinal(), max(first, last).toordinal()


def slot_of(event: Event) -> Slot:
    """The rules' view of a stored event."""
    first, last = local_days(event.starts_at, event.ends_at, event.first_day, event.last_day)
    return Slot(event.id, event.organisation_id, event.event_type, event.status,
                event.venue_id, event.venue.municipality.district_code,
                epoch(event.starts_at), epoch(event.ends_at), first, last,
                audience_mask(event.audience_codes))


def candidate_times(data: EventData) -> tuple[datetime, datetime] | None:
    """UTC instants of the data's schedule (whole days: the local midnights), if complete."""
    if data.all_day:
        if data.first_day is None or data.last_day is None or data.last_day < data.first_day:
            return None
        return day_span_utc(data.first_day, data.last_day)
    if data.starts_at is None or data.ends_at is None or data.ends_at <= data.starts_at:
        return None
    return as_utc(data.starts_at), as_utc(data.ends_at)


def candidate_slot(data: EventData, organisation: Organisation) -> Slot | None:
    """The rules' view of an event being planned; it sees what a planned event sees
    (others' planned and published events, its own organisation's drafts)."""
    times = candidate_times(data)
    if times is None or data.venue is None or data.venue.municipality is None:
        return None
    first, last = local_days(*times, data.first_day if data.all_day else None,
                              data.last_day if data.all_day else None)
    return Slot(0, organisation.id, data.event_type, "planned",
                data.venue.id if data.venue.id is not None else -1,
                data.venue.municipality.district_code, epoch(times[0]), epoch(times[1]),
                first, last, audience_mask(data.audiences))


def _epoch_seconds(column):
    """Whole seconds since the epoch, computed by the database: no datetime per row."""
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _local_day_of(zone) -> Callable[[int], int]:
    """Local date ordinal of an epoch second; the zone's offset is looked up once per
    quarter hour (offsets change only at quarter hours)."""
    offsets: dict[int, int] = {}
    unix_day = date(1970, 1, 1).toordinal()

    def day_of(seconds: int) -> int:
        quarter = seconds // 900
        offset = offsets.get(quarter)
        if offset is None:
            moment = datetime.fromtimestamp(quarter * 900, zone)
            offset = offsets[quarter] = int(moment.utcoffset().total_seconds())
        return (seconds + offset) // 86400 + unix_day

    return day_of


def load_slots() -> list[Slot]:
    """Every event that can clash (not cancelled), read with two plain queries of the
    needed columns only (instants as epoch seconds, computed by the database)."""
    audiences: dict[int, int] = defaultdict(int)
    bits = AUDIENCE_BITS
    for event_id, code in db.session.execute(
        select(EventAudience.event_id, EventAudience.code)
    ):
        audiences[event_id] |= bits.get(code, 0)
    rows = db.session.execute(
        select(Event.id, Event.organisation_id, Event.event_type, Event.status, Event.venue_id,
               Municipality.district_code, _epoch_seconds(Event.starts_at),
               _epoch_seconds(Event.ends_at), Event.first_day, Event.last_day)
        .join(Venue, Event.venue_id == Venue.id)
        .join(Municipality, Venue.municipality_id == Municipality.id)
        .where(Event.status.in_(COUNTED_STATUSES))
    )
    day_of = _local_day_of(local_zone())
    slots = []
    for (event_id, organisation_id, event_type, status, venue_id, district, start, end,
         first_day, last_day) in rows:
        if first_day is not None and last_day is not None:
            first, last = first_day.toordinal(), last_day.toordinal()
        else:
            first = day_of(start)
            last = max(first, day_of(end - 1))
        slots.append(Slot(event_id, organisation_id, event_type, status, venue_id, district,
                          start, end, first, last, audiences[event_id]))
    return slots


def _audience_mask_column():
    """The audience bit mask of ``Event`` as a correlated subquery (codes are unique per
    event, so their sum is their union)."""
    bits = case({code: bit for code, bit in AUDIENCE_BITS.items()},
                value=EventAudience.code, else_=0)
    return (select(func.coalesce(func.sum(bits), 0))
            .where(EventAudience.event_id == Event.id).scalar_subquery())


@lru_cache(maxsize=1)
def _nearby_query() -> Select:
    """The query of :func:`nearby_slots`, built once with bound parameters: SQLAlchemy
    then computes its cache key once, not on every check."""
    days = sql_overlaps(Event.starts_at, Event.ends_at, bindparam("days_start"),
                        bindparam("days_end"))
    return (
        select(Event.id, Event.organisation_id, Event.event_type, Event.status, Event.venue_id,
               Municipality.district_code, Event.starts_at, Event.ends_at, Event.first_day,
               Event.last_day, _audience_mask_column())
        .join(Venue, Event.venue_id == Venue.id)
        .join(Municipality, Venue.municipality_id == Municipality.id)
        .where(
            Event.status.in_(COUNTED_STATUSES),
            sql_overlaps(Event.starts_at, Event.ends_at, bindparam("window_start"),
                         bindparam("window_end")),
            # Bounds the index range; events longer than this are found by the full scan.
            Event.starts_at >= bindparam("earliest"),
            Municipality.district_code.in_(bindparam("districts", expanding=True)),
            # On the days around only the same kind of event in the same district counts
            # (too close); every other rule needs a common local day.
            or_(days, and_(Municipality.district_code == bindparam("district"),
                           Event.event_type == bindparam("event_type"))),
            Event.id != bindparam("exclude"),
        )
    )


def nearby_slots(slot: Slot, config: ClashConfig, borders: frozenset[tuple[str, str]],
                  exclude: int | None) -> list[Slot]:
    """Events that could clash with ``slot``: its days widened by the too-close slack,
    its own and its neighbouring districts, counted statuses (columns only)."""
    slack = config.too_close_days
    window_start, window_end = day_span_utc(date.fromordinal(slot.first_day - slack),
                                            date.fromordinal(slot.last_day + slack))
    days_start, days_end = day_span_utc(date.fromordinal(slot.first_day),
                                        date.fromordinal(slot.last_day))
    districts = {slot.district} | {b for a, b in borders if a == slot.district}
    # On the session's connection: a Core query needs none of the ORM's statement handling.
    rows = db.session.connection().execute(_nearby_query(), {
        "window_start": window_start, "window_end": window_end,
        "earliest": window_start - timedelta(days=config.max_event_days),
        "days_start": days_start, "days_end": days_end, "districts": sorted(districts),
        "district": slot.district, "event_type": slot.event_type,
        "exclude": exclude if exclude is not None else 0,
    })
    slots = []
    for (event_id, organisation_id, event_type, status, venue_id, district, starts_at,
         ends_at, first_day, last_day, audiences) in rows:
        first, last = local_days(starts_at, ends_at, first_day, last_day)
        slots.append(Slot(event_id, organisation_id, event_type, status, venue_id, district,
                          epoch(starts_at), epoch(ends_at), first, last, int(audiences or 0)))
    return slots
