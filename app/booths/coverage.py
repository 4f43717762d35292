"""Occupation coverage: which apprenticeship occupations the confirmed exhibitors present,
at one fair and across the region's fairs of a year, grouped by industry — and which of
the region's occupations no fair in a district presents, so that organisers can recruit
companies of the missing sectors.

"The region's occupations" are the recognised occupations of the reference data
(``occupations.csv``: the sectors of the Südwestfalen initiative). An occupation counts
as presented when a confirmed booking of a fair that takes exhibitors names it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select

from app.booths.models import Booking, BoothSetup, booking_occupations
from app.calendar.models import Event, Venue
from app.extensions import db
from app.reference.codes import DISTRICT_CODES
from app.reference.models import Industry, Municipality, Occupation
from app.time import day_span_utc, to_local


@dataclass
class OccupationCount:
    occupation: Occupation
    count: int  # exhibitors (of a fair) or fairs (of the region) presenting it


@dataclass
class IndustryGroup:
    industry: Industry
    presented: list[OccupationCount] = field(default_factory=list)
    missing: list[Occupation] = field(default_factory=list)


def _occupations_by_industry() -> tuple[list[Industry], dict[str, list[Occupation]]]:
    industries = list(db.session.execute(select(Industry).order_by(Industry.code)).scalars())
    occupations: dict[str, list[Occupation]] = defaultdict(list)
    for occupation in db.session.execute(select(Occupation).order_by(Occupation.name)).scalars():
        occupations[occupation.industry_code].append(occupation)
    return industries, occupations


def _grouped(counts: dict[int, int]) -> list[IndustryGroup]:
    """Every industry with its presented occupations (most presented first) and the
    region's occupations nobody presented; industries without occupations are left out."""
    industries, occupations = _occupations_by_industry()
    groups = []
    for industry in industries:
        known = occupations.get(industry.code, [])
        if not known:
            continue
        group = IndustryGroup(industry)
        for occupation in known:
            if counts.get(occupation.id):
                group.presented.append(OccupationCount(occupation, counts[occupation.id]))
            else:
                group.missing.append(occupation)
        group.presented.sort(key=lambda item: (-item.count, item.occupation.name))
        groups.append(group)
    return groups


def _presenting() -> Select:
    """(event id, occupation id, booking id) of confirmed exhibitors of fairs that take
    exhibitors."""
    return (select(Booking.event_id, booking_occupations.c.occupation_id, Booking.id)
            .join(booking_occupations, booking_occupations.c.booking_id == Booking.id)
            .join(BoothSetup, BoothSetup.event_id == Booking.event_id)
            .where(Booking.status == "confirmed", BoothSetup.takes_exhibitors))


def fair_coverage(event: Event) -> list[IndustryGroup]:
    """At one fair: each occupation with the number of exhibitors presenting it."""
    rows = _presenting().where(Booking.event_id == event.id).subquery()
    counts = dict(db.session.execute(
        select(rows.c.occupation_id, func.count(func.distinct(rows.c.id)))
        .group_by(rows.c.occupation_id)).tuples().all())
    return _grouped(counts)


@dataclass
class RegionCoverage:
    year: int
    fairs: int  # published fairs taking exhibitors that year
    groups: list[IndustryGroup]  # counts are fairs presenting the occupation
    # District code → the region's occupations that no fair in that district presents,
    # grouped by industry code; a district without any fair that year maps to None.
    missing_by_district: dict[str, dict[str, list[Occupation]] | None]
    fairs_by_district: dict[str, int]


def region_coverage(year: int) -> RegionCoverage:
    """The region's published fairs of ``year`` (local dates): which occupations how many
    fairs present, and per district which occupations none of its fairs presents."""
    start, end = day_span_utc(date(year, 1, 1), date(year, 12, 31))
    fairs = (select(Event.id.label("event_id"), Municipality.district_code)
             .join(Venue, Venue.id == Event.venue_id)
             .join(Municipality, Municipality.id == Venue.municipality_id)
             .join(BoothSetup, BoothSetup.event_id == Event.id)
             .where(Event.status == "published", BoothSetup.takes_exhibitors,
                    Event.starts_at < end, Event.ends_at > start)).subquery()
    fairs_by_district = dict.fromkeys(DISTRICT_CODES, 0)
    for district, count in db.session.execute(
            select(fairs.c.district_code, func.count()).group_by(fairs.c.district_code)):
        fairs_by_district[district] = count
    presented = _presenting().subquery()
    pairs = db.session.execute(
        select(fairs.c.district_code, presented.c.occupation_id, presented.c.event_id)
        .join(presented, presented.c.event_id == fairs.c.event_id).distinct()).tuples().all()
    fairs_per_occupation: dict[int, set[int]] = defaultdict(set)
    by_district: dict[str, set[int]] = defaultdict(set)
    for district, occupation_id, event_id in pairs:
        fairs_per_occupation[occupation_id].add(event_id)
        by_district[district].add(occupation_id)
    _industries, occupations = _occupations_by_industry()
    missing: dict[str, dict[str, list[Occupation]] | None] = {}
    for district in DISTRICT_CODES:
        if not fairs_by_district[district]:
            missing[district] = None
            continue
        missing[district] = {
            code: [o for o in known if o.id not in by_district[district]]
            for code, known in occupations.items()
            if any(o.id not in by_district[district] for o in known)}
    return RegionCoverage(
        year=year, fairs=sum(fairs_by_district.values()),
        groups=_grouped({occupation: len(events)
                         for occupation, events in fairs_per_occupation.items()}),
        missing_by_district=missing, fairs_by_district=fairs_by_district)


def next_fair_year(now_day: date) -> int:
    """The year of the next published fair that takes exhibitors (organisers plan ahead:
    in December, next spring's fairs matter), else ``now_day``'s year."""
    start, _end = day_span_utc(now_day, now_day)
    first = db.session.execute(
        select(func.min(Event.starts_at)).join(BoothSetup, BoothSetup.event_id == Event.id)
        .where(Event.status == "published", BoothSetup.takes_exhibitors,
               Event.ends_at > start)).scalar()
    return to_local(first).year if first else now_day.year
