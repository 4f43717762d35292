"""The clash rules, as pure functions over plain values (no database, no app).

An event is seen as a :class:`Slot`: UTC instants as integer seconds, local calendar days
as date ordinals (inclusive), audiences as a bit mask. Every decision about a pair of
events is made by :func:`pair_rule`, used both by the fast engine and by the naive
reference, so the two can only differ in which pairs they look at.

The interval rule is written once: :func:`overlaps` (half-open, ``[start, end)``) and its
SQL twin :func:`sql_overlaps`. Whole-day events store the local midnights around their
days as instants, so "overlapping times" between a whole-day and a timed event means
"on a common local day" without a second rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from app.reference.codes import AUDIENCES

SAME_VENUE = "same_venue"
SAME_DISTRICT = "same_district"
NEIGHBOUR_DISTRICT = "neighbour_district"
TOO_CLOSE = "too_close"
PUBLIC_HOLIDAY = "public_holiday"
BLACKOUT = "blackout"

HARD, SOFT = "hard", "soft"
# Pair rules in order of precedence: a pair of events gets only the first rule it breaks.
PAIR_RULES = (SAME_VENUE, SAME_DISTRICT, NEIGHBOUR_DISTRICT, TOO_CLOSE)
DAY_RULES = (PUBLIC_HOLIDAY, BLACKOUT)
SEVERITY = {
    SAME_VENUE: HARD,
    SAME_DISTRICT: HARD,
    NEIGHBOUR_DISTRICT: SOFT,
    TOO_CLOSE: SOFT,
    PUBLIC_HOLIDAY: SOFT,
    BLACKOUT: SOFT,
}
RULES = {
    SAME_VENUE: _l("Same venue at the same time"),
    SAME_DISTRICT: _l("Same district at the same time"),
    NEIGHBOUR_DISTRICT: _l("Neighbouring district on the same day"),
    TOO_CLOSE: _l("Same kind of event close by"),
    PUBLIC_HOLIDAY: _l("Public holiday"),
    BLACKOUT: _l("School holidays or blackout period"),
}
# Statuses that other organisations see in their warnings; drafts only count for
# their own organisation, cancelled events never.
SHARED_STATUSES = ("planned", "published")
COUNTED_STATUSES = ("draft", "planned", "published")

AUDIENCE_BITS = {code: 1 << index for index, code in enumerate(AUDIENCES)}
PUPILS = AUDIENCE_BITS["pupils"]
TRAINING_FAIR = "training_fair"


@dataclass(frozen=True)
class ClashConfig:
    """The configurable part of the rules (app config ``CLASH_*``)."""

    too_close_days: int = 2
    # How far back the candidate check looks for events that began before the
    # candidate's window; longer events are still found by the full scan.
    max_event_days: int = 42

    @classmethod
    def from_mapping(cls, config: Mapping) -> ClashConfig:
        return cls(
            too_close_days=int(config.get("CLASH_TOO_CLOSE_DAYS", cls.too_close_days)),
            max_event_days=int(config.get("CLASH_MAX_EVENT_DAYS", cls.max_event_days)),
        )


@dataclass(frozen=True, slots=True)
class Slot:
    """What the rules need to know about one event."""

    id: int
    organisation_id: int
    event_type: str
    status: str
    venue_id: int
    district: str
    start: int  # UTC, seconds since the epoch
    end: int  # exclusive
    first_day: int  # local date ordinal
    last_day: int  # inclusive
    audiences: int  # bit mask of AUDIENCE_BITS


@dataclass(frozen=True, slots=True)
class Period:
    """A blackout period (school holidays, exam weeks) on local days, inclusive."""

    id: int
    first_day: int
    last_day: int
    audiences: int


@dataclass(frozen=True, slots=True)
class Clash:
    """One clash: a pair of events (``event_id < other_id``) or one event and a day.

    ``subject`` names the day rule's cause: the ISO date of a public holiday or the id of
    a blackout period; it is empty for pair rules.
    """

    rule: str
    event_id: int
    other_id: int | None = None
    subject: str = ""

    @property
    def severity(self) -> str:
        return SEVERITY[self.rule]

    @property
    def key(self) -> str:
        """Stable identity across scans."""
        return f"{self.rule}:{self.event_id}:{self.other_id or ''}:{self.subject}"


# --- the interval rule, once -------------------------------------------------------------


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """Half-open intervals ``[start, end)`` overlap: touching ends do not."""
    return a_start < b_end and b_start < a_end


def sql_overlaps(start_column, end_column, start, end):
    """The same rule as :func:`overlaps` for a query: rows whose
    ``[start_column, end_column)`` overlaps ``[start, end)``."""
    return and_(start_column < end, end_column > start)


# --- building blocks -----------------------------------------------------------------------


def audience_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= AUDIENCE_BITS.get(code, 0)
    return mask


def audience_codes(mask: int) -> list[str]:
    return [code for code, bit in AUDIENCE_BITS.items() if mask & bit]


def epoch(value: datetime) -> int:
    return int(value.timestamp())


def neighbour_pairs(adjacency: Iterable[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """Both directions of every border between two different districts."""
    pairs = set()
    for a, b in adjacency:
        if a != b:
            pairs.add((a, b))
            pairs.add((b, a))
    return frozenset(pairs)


def pair_counts(a: Slot, b: Slot) -> bool:
    """Whether two events may clash at all: never a cancelled one, and a draft only with
    events of its own organisation (drafts are private until planned)."""
    if a.status not in COUNTED_STATUSES or b.status not in COUNTED_STATUSES:
        return False
    if a.status == "draft" and b.organisation_id != a.organisation_id:
        return False
    return not (b.status == "draft" and a.organisation_id != b.organisation_id)


def days_apart_overlap(a: Slot, b: Slot, slack: int) -> bool:
    """Local days of ``a`` and ``b`` come within ``slack`` days (0: a common day)."""
    return overlaps(a.first_day, a.last_day + 1 + slack, b.first_day, b.last_day + 1 + slack)


def pair_rule(a: Slot, b: Slot, config: ClashConfig,
              neighbours: frozenset[tuple[str, str]]) -> str | None:
    """The first pair rule (in precedence order) that ``a`` and ``b`` break, else None."""
    if a.id == b.id or not pair_counts(a, b):
        return None
    same_time = overlaps(a.start, a.end, b.start, b.end)
    if same_time and a.venue_id == b.venue_id:
        return SAME_VENUE
    shared = a.audiences & b.audiences
    same_district = a.district == b.district
    if same_time and same_district and (
        shared or (a.event_type == TRAINING_FAIR and b.event_type == TRAINING_FAIR)
    ):
        return SAME_DISTRICT
    if shared and (a.district, b.district) in neighbours and days_apart_overlap(a, b, 0):
        return NEIGHBOUR_DISTRICT
    if (same_district and a.event_type == b.event_type
            and days_apart_overlap(a, b, config.too_close_days)):
        return TOO_CLOSE
    return None


def pair_clash(a: Slot, b: Slot, config: ClashConfig,
               neighbours: frozenset[tuple[str, str]]) -> Clash | None:
    rule = pair_rule(a, b, config, neighbours)
    if rule is None:
        return None
    low, high = (a.id, b.id) if a.id < b.id else (b.id, a.id)
    return Clash(rule, low, high)


def day_clashes(slot: Slot, public_holidays: Mapping[int, str],
                periods: Iterable[Period]) -> list[Clash]:
    """Clashes of one event with the calendar: a public holiday on one of its days
    (the first such day), and every blackout period that covers one of its days and
    affects one of its audiences (school holidays affect pupils)."""
    if slot.status not in COUNTED_STATUSES:
        return []
    found = []
    for day in range(slot.first_day, slot.last_day + 1):
        if day in public_holidays:
            found.append(Clash(PUBLIC_HOLIDAY, slot.id, None, date.fromordinal(day).isoformat()))
            break
    for period in periods:
        if (period.audiences & slot.audiences
                and overlaps(slot.first_day, slot.last_day + 1,
                             period.first_day, period.last_day + 1)):
            found.append(Clash(BLACKOUT, slot.id, None, str(period.id)))
    return found
