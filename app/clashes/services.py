"""Clash detection and resolution: what the pages, the API, the CLI and the scheduler call.

The rules and the engine are pure (``rules.py``, ``engine.py``); this module feeds them
from the database and keeps the organisers' decisions. Functions flush; callers commit.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holiday_calendars
from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.accounts.models import Organisation, User
from app.calendar.models import Event, EventAudience, Venue
from app.calendar.services import EventData
from app.clashes import engine, rules
from app.clashes.models import BlackoutCalendar, BlackoutPeriod, Clash, ClashAction
from app.clashes.rules import (
    AUDIENCE_BITS,
    BLACKOUT,
    COUNTED_STATUSES,
    HARD,
    NEIGHBOUR_DISTRICT,
    PUBLIC_HOLIDAY,
    RULES,
    SAME_DISTRICT,
    SAME_VENUE,
    SEVERITY,
    TOO_CLOSE,
    TRAINING_FAIR,
    ClashConfig,
    Period,
    Slot,
    audience_mask,
    day_clashes,
    epoch,
    neighbour_pairs,
    pair_clash,
    sql_overlaps,
)
from app.extensions import db
from app.i18n import FORMATTING_LOCALES
from app.reference.codes import AUDIENCES, EVENT_TYPES
from app.reference.models import Municipality, district_neighbours
from app.time import (
    NonexistentLocalTime,
    as_utc,
    day_span_utc,
    local_to_utc,
    local_today,
    local_zone,
    now_utc,
    to_local,
)

LANGUAGES = ("de", "en")
MAX_NOTE = 1000


class ClashError(Exception):
    """A clash action that is not possible; ``message`` is readable as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ClashPermissionError(ClashError):
    """The user may not act on this clash (not an organiser of either event)."""


# --- inputs of the rules -------------------------------------------------------------------


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


def _local_days(starts_at: datetime, ends_at: datetime, first_day: date | None,
                last_day: date | None) -> tuple[int, int]:
    if first_day is not None and last_day is not None:
        return first_day.toordinal(), last_day.toordinal()
    first = to_local(starts_at).date()
    last = (to_local(ends_at) - timedelta(microseconds=1)).date()
    return first.toordinal(), max(first, last).toordinal()


def slot_of(event: Event) -> Slot:
    """The rules' view of a stored event."""
    first, last = _local_days(event.starts_at, event.ends_at, event.first_day, event.last_day)
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
    first, last = _local_days(*times, data.first_day if data.all_day else None,
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


# --- explanations ----------------------------------------------------------------------------

MESSAGES = {
    SAME_VENUE: _l("“%(other)s” (%(organiser)s) takes place at the same venue, %(venue)s, "
                   "at the same time: %(when)s."),
    SAME_DISTRICT: _l("“%(other)s” (%(organiser)s) takes place at the same time in the same "
                      "district (%(district)s) for the same audience (%(audiences)s): "
                      "%(when)s."),
    "same_district_fairs": _l("“%(other)s” (%(organiser)s) is another training fair at the "
                              "same time in the same district (%(district)s): %(when)s."),
    NEIGHBOUR_DISTRICT: _l("“%(other)s” (%(organiser)s) takes place on the same day in the "
                           "neighbouring district %(district)s for the same audience "
                           "(%(audiences)s): %(when)s."),
    TOO_CLOSE: _l("“%(other)s” (%(organiser)s) is an event of the same kind (%(type)s) in "
                  "the same district (%(district)s) %(within_days)s: %(when)s."),
    PUBLIC_HOLIDAY: _l("%(day)s is a public holiday in North Rhine-Westphalia (%(name)s)."),
    BLACKOUT: _l("The event falls into “%(name)s” (%(first)s – %(last)s) of the calendar "
                 "“%(calendar)s”, which affects %(audiences)s."),
}


def _day(day: date, language: str) -> str:
    """A short date ('14.03.2027', '14 Mar 2027'), with Babel's own locale objects: a
    check explains a score of clashes in two languages, Flask-Babel's per-call context
    look-ups would cost more than the check itself."""
    return format_date(day, "medium", locale=FORMATTING_LOCALES.get(language, "de_DE"))


def _when(event_like, language: str) -> str:
    """A short local date (and time) in ``language``."""
    if event_like.all_day:
        first, last = event_like.first_day, event_like.last_day
        if first == last:
            return _day(first, language)
        return f"{_day(first, language)} – {_day(last, language)}"
    locale = FORMATTING_LOCALES.get(language, "de_DE")
    start, end = to_local(event_like.starts_at), to_local(event_like.ends_at)
    return (f"{_day(start.date(), language)}, {format_time(start.time(), 'short', locale=locale)}"
            f"–{format_time(end.time(), 'short', locale=locale)}")


def _labels(codes, table) -> str:
    return ", ".join(str(table[code]) for code in codes if code in table)


def explain(rule: str, subject_audiences: list[str], subject_type: str, other: Event | None,
            period: BlackoutPeriod | None, holiday: date | None, language: str) -> str:
    """The plain-language reason of a clash in ``language``, from the subject event's side:
    it names the other event, its organiser and why."""
    with force_locale(language):
        if rule == PUBLIC_HOLIDAY and holiday is not None:
            return str(MESSAGES[PUBLIC_HOLIDAY] % {
                "day": _day(holiday, language), "name": holiday_name(holiday, language)})
        if rule == BLACKOUT and period is not None:
            shared = [code for code in period.audiences if code in subject_audiences]
            return str(MESSAGES[BLACKOUT] % {
                "name": period.name, "first": _day(period.first_day, language),
                "last": _day(period.last_day, language),
                "calendar": period.calendar.name,
                "audiences": _labels(shared or period.audiences, AUDIENCES)})
        if other is None:
            return str(RULES.get(rule, rule))
        shared = [code for code in other.audience_codes if code in subject_audiences]
        key = rule
        if rule == SAME_DISTRICT and not shared and subject_type == TRAINING_FAIR:
            key = "same_district_fairs"
        return str(MESSAGES[key] % {
            "other": other.title, "organiser": other.organisation.name,
            "venue": other.venue.name, "when": _when(other, language),
            "district": other.venue.municipality.district.name,
            "audiences": _labels(shared, AUDIENCES),
            "type": str(EVENT_TYPES.get(other.event_type, other.event_type)),
            "within_days": within_days(clash_config().too_close_days),
        })


def messages(rule: str, subject_audiences: list[str], subject_type: str,
             other: Event | None = None, period: BlackoutPeriod | None = None,
             holiday: date | None = None) -> dict[str, str]:
    """The explanation in every UI language: ``{"de": ..., "en": ...}``."""
    return {language: explain(rule, subject_audiences, subject_type, other, period, holiday,
                              language) for language in LANGUAGES}


def clash_messages(clash: Clash, for_event: Event | None = None) -> dict[str, str]:
    """A stored clash explained from ``for_event``'s side (default: its first event)."""
    subject = for_event or clash.event
    other = clash.other_event if subject.id == clash.event_id else clash.event
    return messages(clash.rule, subject.audience_codes, subject.event_type,
                    other if clash.other_event_id else None, clash.blackout_period,
                    clash.holiday)


# --- checking a candidate --------------------------------------------------------------------


@dataclass
class Finding:
    """A clash that an event being planned would cause (nothing is stored).

    The explanation (``messages``) is rendered when first asked for: a date search runs
    many checks and needs only whether they are empty.
    """

    rule: str
    severity: str
    other: Event | None = None
    period: BlackoutPeriod | None = None
    holiday: date | None = None
    subject_audiences: list[str] = field(default_factory=list)
    subject_type: str = ""
    _messages: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def messages(self) -> dict[str, str]:
        """``{"de": ..., "en": ...}``: names the other event, its organiser and why."""
        return {language: self.message(language) for language in LANGUAGES}

    @property
    def rule_label(self) -> str:
        return str(RULES[self.rule])

    @property
    def is_hard(self) -> bool:
        return self.severity == HARD

    def message(self, language: str) -> str:
        """The explanation in ``language`` (German if unknown), rendered once: a form
        shows one language, the API both."""
        language = language if language in LANGUAGES else "de"
        if language not in self._messages:
            self._messages[language] = explain(
                self.rule, self.subject_audiences, self.subject_type, self.other,
                self.period, self.holiday, language)
        return self._messages[language]


def check_candidate(data: EventData, organisation: Organisation, *,
                    event_id: int | None = None) -> list[Finding]:
    """The clashes ``data`` would cause for ``organisation`` (hard ones first).

    Reads only the events near the candidate with indexed queries (start-time range
    within the candidate's days widened by the rules' slack, its own and neighbouring
    districts, plain columns) and judges each with the same rules as the full scan; only
    the events that clash are loaded as objects. ``event_id`` is the event being edited,
    left out of the comparison. Returns [] while dates or venue are missing.
    """
    slot = candidate_slot(data, organisation)
    if slot is None:
        return []
    config = clash_config()
    borders = neighbours()
    subject = {"subject_audiences": list(data.audiences), "subject_type": data.event_type}
    clashing = {}
    for other in _nearby_slots(slot, config, borders, exclude=event_id):
        clash = pair_clash(slot, other, config, borders)
        if clash is not None:
            clashing[other.id] = clash.rule
    findings = []
    if clashing:
        events = db.session.execute(_clashing_events_query(),
                                    {"ids": list(clashing)}).unique().scalars()
        findings = [Finding(clashing[event.id], SEVERITY[clashing[event.id]], other=event,
                            **subject) for event in events]
    first, last = date.fromordinal(slot.first_day), date.fromordinal(slot.last_day)
    periods = blackout_periods(first, last)
    for clash in day_clashes(slot, public_holidays(first, last), periods):
        if clash.rule == PUBLIC_HOLIDAY:
            findings.append(Finding(clash.rule, clash.severity,
                                    holiday=date.fromisoformat(clash.subject), **subject))
        else:
            findings.append(Finding(clash.rule, clash.severity, **subject,
                                    period=db.session.get(BlackoutPeriod, int(clash.subject))))
    findings.sort(key=lambda finding: finding.severity != HARD)  # stable: by time within
    return findings


def _event_loading():
    # Everything an explanation names, in one query (an event has few audiences).
    return (joinedload(Event.venue).joinedload(Venue.municipality)
            .joinedload(Municipality.district),
            joinedload(Event.organisation), joinedload(Event.audiences))


def _audience_mask_column():
    """The audience bit mask of ``Event`` as a correlated subquery (codes are unique per
    event, so their sum is their union)."""
    bits = case({code: bit for code, bit in AUDIENCE_BITS.items()},
                value=EventAudience.code, else_=0)
    return (select(func.coalesce(func.sum(bits), 0))
            .where(EventAudience.event_id == Event.id).scalar_subquery())


@lru_cache(maxsize=1)
def _nearby_query() -> Select:
    """The query of :func:`_nearby_slots`, built once with bound parameters: SQLAlchemy
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


@lru_cache(maxsize=1)
def _clashing_events_query() -> Select:
    return (select(Event).where(Event.id.in_(bindparam("ids", expanding=True)))
            .options(*_event_loading()).order_by(Event.starts_at, Event.id))


def _nearby_slots(slot: Slot, config: ClashConfig, borders: frozenset[tuple[str, str]],
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
        first, last = _local_days(starts_at, ends_at, first_day, last_day)
        slots.append(Slot(event_id, organisation_id, event_type, status, venue_id, district,
                          epoch(starts_at), epoch(ends_at), first, last, int(audiences or 0)))
    return slots


def suggest_free_dates(data: EventData, organisation: Organisation, *, window_days: int = 90,
                       keep_weekday: bool = True, limit: int = 5,
                       event_id: int | None = None, today: date | None = None) -> list[date]:
    """The next first days (after the planned one, from tomorrow on, within
    ``window_days``) on which the event would cause no clash and no holiday warning.
    Times of day and length stay as they are; ``keep_weekday`` keeps e.g. Saturdays."""
    times = candidate_times(data)
    if times is None:
        return []
    local_start, local_end = to_local(times[0]), to_local(times[1])
    current = data.first_day if data.all_day else local_start.date()
    length = ((data.last_day - data.first_day) if data.all_day
              else local_end.date() - local_start.date())
    begin = max(current + timedelta(days=1), (today or local_today()) + timedelta(days=1))
    found = []
    for offset in range(window_days):
        day = begin + timedelta(days=offset)
        if keep_weekday and day.weekday() != current.weekday():
            continue
        if data.all_day:
            moved = replace(data, first_day=day, last_day=day + length)
        else:
            try:
                moved = replace(data, starts_at=local_to_utc(day, local_start.time()),
                                ends_at=local_to_utc(day + length, local_end.time()))
            except NonexistentLocalTime:
                continue
        if not check_candidate(moved, organisation, event_id=event_id):
            found.append(day)
            if len(found) >= limit:
                break
    return found


# --- the full scan and the stored state ------------------------------------------------------


@dataclass
class ScanReport:
    """What a scan found and changed."""

    events: int = 0
    found: int = 0
    opened: int = 0
    reopened: int = 0
    gone: int = 0
    open_hard: int = 0
    open_soft: int = 0
    accepted: int = 0


def _fingerprint(clash, slots: dict[int, Slot]) -> str:
    """When and where both events are: a change means one of them moved."""
    parts = [clash.rule, clash.subject]
    for event_id in (clash.event_id, clash.other_id):
        if event_id is not None:
            slot = slots[event_id]
            parts.append(f"{slot.start}-{slot.end}-{slot.venue_id}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def scan_all(now: datetime) -> ScanReport:
    """Find every clash and bring the stored ones up to date.

    New clashes open; a clash found again keeps its decision (accepted/resolved) unless
    one of its events moved, then it opens again; a clash no longer found is resolved
    ("gone"). Every change is recorded as a ClashAction without a user.
    """
    slots = load_slots()
    by_id = {slot.id: slot for slot in slots}
    periods = blackout_periods()
    holidays_by_day: dict[int, str] = {}
    if slots:
        first = date.fromordinal(min(slot.first_day for slot in slots))
        last = date.fromordinal(max(slot.last_day for slot in slots))
        holidays_by_day = public_holidays(first, last)
    found = engine.scan(slots, clash_config(), neighbours(), holidays_by_day, periods)
    report = ScanReport(events=len(slots), found=len(found))

    stored = db.session.execute(
        select(Clash.id, Clash.key, Clash.status, Clash.fingerprint, Clash.active)).all()
    _bring_up_to_date(stored, found, by_id, now, report)
    db.session.flush()
    for severity, status, count in db.session.execute(
        select(Clash.severity, Clash.status, db.func.count())
        .where(Clash.active).group_by(Clash.severity, Clash.status)
    ):
        if status == "open":
            if severity == HARD:
                report.open_hard = count
            else:
                report.open_soft = count
        elif status == "accepted":
            report.accepted += count
    return report


def refresh_event_clashes(event: Event, now: datetime) -> ScanReport:
    """Bring the stored clashes of one event up to date, as the full scan would, right
    after the event was saved: the board shows a new clash at once, and a clash the move
    settled is gone at once, not after the nightly scan.

    It looks for the other events as the candidate check does (indexed, nearby), so a
    clash with an event longer than ``CLASH_MAX_EVENT_DAYS`` is left to the scan.
    """
    slot = slot_of(event)
    slots, found = {slot.id: slot}, []
    if event.status in COUNTED_STATUSES:  # a cancelled event's clashes are all gone
        config, borders = clash_config(), neighbours()
        for other in _nearby_slots(slot, config, borders, exclude=event.id):
            slots[other.id] = other
            if (clash := pair_clash(slot, other, config, borders)) is not None:
                found.append(clash)
        first, last = date.fromordinal(slot.first_day), date.fromordinal(slot.last_day)
        found += day_clashes(slot, public_holidays(first, last), blackout_periods(first, last))
    report = ScanReport(events=1, found=len(found))
    stored = db.session.execute(
        select(Clash.id, Clash.key, Clash.status, Clash.fingerprint, Clash.active)
        .where(or_(Clash.event_id == event.id, Clash.other_event_id == event.id))).all()
    _bring_up_to_date(stored, found, slots, now, report)
    db.session.flush()
    return report


def _bring_up_to_date(stored: Sequence[Row], found: Sequence[rules.Clash],
                      slots: dict[int, Slot], now: datetime, report: ScanReport) -> None:
    """Store what a scan found among the ``stored`` clashes (the scan's whole table, or one
    event's): new clashes open; a clash found again keeps its decision unless one of its
    events moved, then it opens again; a clash of ``stored`` no longer found is gone."""
    stored_by_key = {row.key: row for row in stored}
    seen_ids = []
    for clash in found:
        fingerprint = _fingerprint(clash, slots)
        row = stored_by_key.get(clash.key)
        if row is None:
            record = Clash(
                key=clash.key, rule=clash.rule, severity=clash.severity,
                event_id=clash.event_id, other_event_id=clash.other_id,
                blackout_period_id=int(clash.subject) if clash.rule == BLACKOUT else None,
                holiday=date.fromisoformat(clash.subject) if clash.rule == PUBLIC_HOLIDAY
                else None,
                status="open", active=True, fingerprint=fingerprint,
                first_seen_at=now, last_seen_at=now,
            )
            record.actions.append(ClashAction(action="opened", at=now))
            db.session.add(record)
            report.opened += 1
            continue
        seen_ids.append(row.id)
        moved = row.fingerprint != fingerprint
        if moved or not row.active:
            record = db.session.get(Clash, row.id)
            record.fingerprint = fingerprint
            record.active = True
            if record.status != "open" and (moved or record.decided_by_id is None):
                record.status = "open"
                record.actions.append(ClashAction(action="reopened", at=now))
                report.reopened += 1
    if seen_ids:
        db.session.execute(update(Clash), [{"id": clash_id, "last_seen_at": now}
                                           for clash_id in seen_ids])
    found_keys = {clash.key for clash in found}
    for key, row in stored_by_key.items():
        if row.active and key not in found_keys:
            record = db.session.get(Clash, row.id)
            record.active = False
            if record.status != "resolved":
                record.status = "resolved"
                record.decided_by_id, record.decided_at = None, now
            record.actions.append(ClashAction(action="gone", at=now))
            report.gone += 1


# --- who sees and settles what ---------------------------------------------------------------


def clashes_for(user: User | None, *, status: str | None = None, district: str | None = None,
                event_id: int | None = None, severity: str | None = None,
                include_gone: bool = False) -> Select:
    """The stored clashes ``user`` may see (admins: all; organisers: those of their
    organisation's events), newest events first in time order, filterable."""
    first, second = aliased(Event), aliased(Event)
    query = (
        select(Clash)
        .join(first, Clash.event_id == first.id)
        .outerjoin(second, Clash.other_event_id == second.id)
        .options(
            selectinload(Clash.event).selectinload(Event.venue).selectinload(Venue.municipality),
            selectinload(Clash.event).selectinload(Event.organisation),
            selectinload(Clash.event).selectinload(Event.audiences),
            selectinload(Clash.other_event).selectinload(Event.venue)
            .selectinload(Venue.municipality),
            selectinload(Clash.other_event).selectinload(Event.organisation),
            selectinload(Clash.other_event).selectinload(Event.audiences),
            selectinload(Clash.blackout_period).selectinload(BlackoutPeriod.calendar),
            selectinload(Clash.decided_by),
        )
        .order_by(first.starts_at, Clash.id)
    )
    if user is None or not user.is_authenticated or not (user.is_admin or user.is_organiser):
        return query.where(false())
    if not user.is_admin:
        own = user.organisation_id
        query = query.where(
            or_(first.organisation_id == own, second.organisation_id == own),
            or_(first.status != "draft", first.organisation_id == own),
            or_(second.id.is_(None), second.status != "draft", second.organisation_id == own),
        )
    if not include_gone:
        query = query.where(Clash.active)
    if status:
        query = query.where(Clash.status == status)
    if severity:
        query = query.where(Clash.severity == severity)
    if event_id is not None:
        query = query.where(or_(Clash.event_id == event_id, Clash.other_event_id == event_id))
    if district:
        in_district = (select(Event.id).join(Venue, Event.venue_id == Venue.id)
                       .join(Municipality, Venue.municipality_id == Municipality.id)
                       .where(Municipality.district_code == district))
        query = query.where(or_(Clash.event_id.in_(in_district),
                                and_(Clash.other_event_id.is_not(None),
                                     Clash.other_event_id.in_(in_district))))
    return query


def open_count(user: User | None) -> int:
    """How many open clashes ``user`` sees (the organiser's start page links the board)."""
    query = clashes_for(user, status="open").with_only_columns(Clash.id)
    return db.session.execute(select(db.func.count()).select_from(query.subquery())).scalar_one()


def can_view(user: User | None, clash: Clash) -> bool:
    if user is None or not user.is_authenticated or not user.active:
        return False
    if user.is_admin:
        return True
    if not user.is_organiser or user.organisation_id not in clash.organisation_ids:
        return False
    return all(event.status != "draft" or event.organisation_id == user.organisation_id
               for event in clash.events)


def can_settle(user: User | None, clash: Clash) -> bool:
    """Organisers of one of the two events' organisations, and admins."""
    return can_view(user, clash)


def _decide(clash: Clash, user: User, action: str, note: str | None, now: datetime) -> None:
    if not can_settle(user, clash):
        raise ClashPermissionError(str(_l(
            "Only organisers of the events concerned can settle this clash.")))
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise ClashError(str(_l("The note is too long (at most %(max)s characters).",
                                max=MAX_NOTE)))
    clash.status = action
    clash.note = note
    clash.decided_by = user
    clash.decided_at = now
    record = ClashAction(action=action, user=user, note=note, at=now)
    clash.actions.append(record)
    db.session.flush()
    from app.clashes import notifications  # it builds on this module

    notifications.clash_decided(clash, record)


def accept(clash: Clash, user: User, note: str, *, now: datetime | None = None) -> None:
    """Accept a clash with a note (both events go ahead); it stays accepted across
    re-scans until one of the events moves."""
    if not (note or "").strip():
        raise ClashError(str(_l("Please say in a note why the clash is acceptable.")))
    if not clash.active:
        raise ClashError(str(_l("This clash no longer exists.")))
    _decide(clash, user, "accepted", note, now or now_utc())


def resolve(clash: Clash, user: User, note: str | None = None, *,
            now: datetime | None = None) -> None:
    """Mark a clash as settled (e.g. agreed with the other organiser)."""
    _decide(clash, user, "resolved", note, now or now_utc())


def hard_findings(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == HARD]


# --- acknowledging hard clashes on the event form -------------------------------------------

ACKNOWLEDGED = "clash_acknowledged"


def acknowledge(event: Event, user: User | None, findings: list[Finding], note: str,
                *, now: datetime | None = None, via: str = "web"):
    """Record in the event's audit trail that ``user`` saved it despite hard clashes,
    with their note and which clashes they saw (the scan stores the clashes themselves)."""
    from app.calendar.models import EventChange

    note = (note or "").strip()
    if not note:
        raise ClashError(str(_l("Please say in a note why the event goes ahead despite the "
                                "clash.")))
    if len(note) > MAX_NOTE:
        raise ClashError(str(_l("The note is too long (at most %(max)s characters).",
                                max=MAX_NOTE)))
    change = EventChange(
        event=event, user=user, action=ACKNOWLEDGED, at=now or now_utc(), via=via,
        changes={"note": note, "clashes": [
            {"rule": finding.rule, "other_event_id": finding.other.id if finding.other else None}
            for finding in hard_findings(findings)]},
    )
    db.session.add(change)
    db.session.flush()
    return change


def within_days(days: int) -> str:
    """"within 2 days" with the right plural (the slack is configurable, 1 is possible)."""
    return ngettext("within %(num)d day", "within %(num)d days", days)


# --- which hard clashes a change would add ------------------------------------------------
# Saving needs the organiser's acknowledgement only for a hard clash the event did not
# have before: an unrelated change (a title, a phone number) of an event whose clash was
# already acknowledged does not ask again. The pages and the API share these.

# The fields of the audit trail that change which events an event can clash with.
CLASH_FIELDS = frozenset({"starts_at", "ends_at", "all_day", "venue_id", "audiences",
                          "event_type"})


def stored_data(event: Event) -> EventData:
    """What the clash check needs of a saved event (when, where, for whom, what kind)."""
    return EventData(title=event.title, event_type=event.event_type, venue=event.venue,
                     all_day=event.all_day, first_day=event.first_day,
                     last_day=event.last_day, starts_at=event.starts_at,
                     ends_at=event.ends_at, audiences=event.audience_codes)


def clash_key(finding: Finding) -> tuple[str, int | None]:
    """A hard clash's identity for the comparison: the rule and the other event."""
    return finding.rule, finding.other.id if finding.other is not None else None


def counted_hard_findings(findings: list[Finding], organisation_id: int,
                          status: str | None = None) -> list[Finding]:
    """The hard findings that count for an event of ``organisation_id`` in ``status``.

    ``check_candidate`` looks at an event as a planned one; a draft clashes only with its
    own organisation's events (others do not see it yet) and a cancelled event with none.
    ``status`` None keeps the planned view: the event form warns of what the date will
    clash with once it is reserved.
    """
    if status == "cancelled":
        return []
    hard = hard_findings(findings)
    if status == "draft":
        hard = [finding for finding in hard
                if finding.other is None or finding.other.organisation_id == organisation_id]
    return hard


def new_hard_findings(event: Event | None, data: EventData,
                      organisation: Organisation | None = None, *, status: str | None = None,
                      findings: list[Finding] | None = None) -> list[Finding]:
    """The hard clashes that saving ``data`` would add to those ``event`` has now (all of
    them for a new event): these need an acknowledgement with a note.

    ``status`` is the event's status after the save (see ``counted_hard_findings``; the
    stored event is judged in its own status then, else both in the planned view).
    ``findings`` is ``check_candidate``'s answer for ``data`` if the caller has it.
    """
    organisation = organisation or event.organisation
    event_id = event.id if event is not None else None
    if findings is None:
        findings = check_candidate(data, organisation, event_id=event_id)
    after = counted_hard_findings(findings, organisation.id, status)
    if not after or event is None:
        return after
    before = counted_hard_findings(
        check_candidate(stored_data(event), organisation, event_id=event_id),
        organisation.id, event.status if status is not None else None)
    known = {clash_key(finding) for finding in before}
    return [finding for finding in after if clash_key(finding) not in known]


def acknowledged_keys(event: Event) -> set[tuple[str, int | None]]:
    """The hard clashes acknowledged for ``event`` since it last changed when, where, for
    whom or what kind (a move makes an old acknowledgement void)."""
    from app.calendar.models import EventChange

    changes = db.session.execute(
        select(EventChange.id, EventChange.action, EventChange.changes)
        .where(EventChange.event_id == event.id,
               EventChange.action.in_((ACKNOWLEDGED, "updated")))
        .order_by(EventChange.id.desc())
    ).all()
    keys: set[tuple[str, int | None]] = set()
    for _id, action, values in changes:
        if action == "updated":
            if CLASH_FIELDS & set(values or {}):
                break
            continue
        for clash in (values or {}).get("clashes", []):
            keys.add((clash.get("rule"), clash.get("other_event_id")))
    return keys


def status_change_hard_findings(event: Event, status: str) -> list[Finding]:
    """The hard clashes that moving ``event`` to ``status`` would add: these need an
    acknowledgement with a note.

    A draft sees only its own organisation's events; reserving or publishing it makes the
    others' events count. Clashes acknowledged since its last move (e.g. on the form
    while it was a draft) are not asked for again.
    """
    if status not in rules.SHARED_STATUSES or event.status == "cancelled":
        return []
    findings = check_candidate(stored_data(event), event.organisation, event_id=event.id)
    after = counted_hard_findings(findings, event.organisation_id, status)
    if not after:
        return []
    known = {clash_key(finding) for finding in
             counted_hard_findings(findings, event.organisation_id, event.status)}
    known |= acknowledged_keys(event)
    return [finding for finding in after if clash_key(finding) not in known]
