"""Blackout calendars: days to avoid (school holidays, exam weeks), read from .ics files.

``parse_ics`` is pure and tolerant: real files come from Outlook (Windows time-zone
names, missing VTIMEZONE), Google (recurring whole-day events) and hand-written tools.
Whatever it cannot use it skips and counts; a file with nothing usable is refused with a
``BlackoutError`` whose message can be shown as it is. No exception from a parser escapes.
``import_calendar`` stores the periods; ``load_shipped_calendars`` loads the .ics files
under ``calendars/blackout/`` (init-db, seed-demo), unchanged files are left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.calendar import ical
from app.clashes.models import BlackoutCalendar, BlackoutPeriod
from app.errors import DomainError
from app.extensions import db
from app.reference.codes import AUDIENCES
from app.time import now_utc

BERLIN = ZoneInfo("Europe/Berlin")
# A recurrence without an end is expanded this far past its start, and never to more
# than MAX_OCCURRENCES occurrences (a daily rule for ever would otherwise never stop).
RECURRENCE_YEARS = 10
MAX_OCCURRENCES = 2000
MAX_PERIOD_DAYS = 366
AUDIENCES_PROPERTY = "X-MESSEKALENDER-AUDIENCES"
DEFAULT_AUDIENCES = ("pupils",)
PRODID = "-//Messekalender Suedwestfalen//Blackout calendars//DE"


class BlackoutError(DomainError):
    """The file cannot be used; the message says why in the user's language."""


@dataclass(frozen=True)
class ParsedPeriod:
    name: str
    first_day: date
    last_day: date


@dataclass
class ParsedCalendar:
    name: str | None
    audiences: tuple[str, ...] | None
    periods: list[ParsedPeriod] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --- reading -----------------------------------------------------------------------------


def parse_ics(data: bytes | str, zone: tzinfo = BERLIN) -> ParsedCalendar:
    """Blackout periods of an .ics file, on local days of ``zone``; BlackoutError if the
    file is not iCalendar or holds no usable event."""
    try:
        import icalendar

        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except UnicodeDecodeError as error:
        raise BlackoutError(str(_l("The file is not UTF-8 text."))) from error
    except Exception as error:  # noqa: BLE001 - icalendar raises many kinds of errors
        raise BlackoutError(str(_l(
            "The file is not a readable iCalendar (.ics) file: %(reason)s",
            reason=str(error)[:200]))) from error
    if not calendars:
        raise BlackoutError(str(_l("The file contains no calendar (BEGIN:VCALENDAR).")))
    result = ParsedCalendar(name=None, audiences=None)
    for calendar in calendars:
        if result.name is None and calendar.get("X-WR-CALNAME"):
            result.name = _text(calendar.get("X-WR-CALNAME"))
        if result.audiences is None and calendar.get(AUDIENCES_PROPERTY):
            codes = [code.strip() for code in _text(calendar.get(AUDIENCES_PROPERTY)).split(",")]
            result.audiences = tuple(code for code in codes if code in AUDIENCES) or None
        _read_events(calendar, zone, result)
    if not result.periods:
        reason = "; ".join(dict.fromkeys(result.skipped)) or str(_l("no events"))
        raise BlackoutError(str(_l(
            "The file contains no event that could be used (%(reason)s).", reason=reason)))
    result.periods = sorted(set(result.periods),  # the same days twice count once
                            key=lambda period: (period.first_day, period.last_day, period.name))
    return result


def _text(value) -> str:
    return str(value).strip()


def _read_events(calendar, zone: tzinfo, result: ParsedCalendar) -> None:
    components = list(calendar.walk("VEVENT"))
    overrides: dict[str, set] = {}
    for component in components:
        if component.get("RECURRENCE-ID") is not None and component.get("UID") is not None:
            recurrence_id = _value(component, "RECURRENCE-ID")
            if recurrence_id is not None:
                overrides.setdefault(_text(component.get("UID")), set()).add(
                    _instant_key(recurrence_id, zone))
    for component in components:
        try:
            _read_event(component, zone, overrides, result)
        except Exception as error:  # noqa: BLE001 - one broken event must not stop the file
            result.skipped.append(str(_l("an event could not be read (%(reason)s)",
                                         reason=str(error)[:120])))


def _value(component, name: str):
    """A date or datetime property, or None when it is missing or unreadable."""
    try:
        prop = component.get(name)
        if prop is None:
            return None
        value = getattr(prop, "dt", None)
        if value is None:
            value = component.decoded(name)
        return value if isinstance(value, date) else None
    except Exception:  # noqa: BLE001
        return None


def _read_event(component, zone: tzinfo, overrides: dict[str, set],
                result: ParsedCalendar) -> None:
    start = _value(component, "DTSTART")
    if start is None:
        result.skipped.append(str(_l("an event without a start (DTSTART)")))
        return
    if _text(component.get("STATUS", "")).upper() == "CANCELLED":
        return
    duration = _duration(component, start)
    name = _text(component.get("SUMMARY", "")) or str(_l("Blackout period"))
    starts = [start]
    if component.get("RRULE") is not None and component.get("RECURRENCE-ID") is None:
        starts = _expand(component, start, zone, result)
        skip = overrides.get(_text(component.get("UID", "")), set())
        starts = [value for value in starts if _instant_key(value, zone) not in skip]
    for value in starts:
        first, last = _local_days(value, value + duration, zone)
        if (last - first).days > MAX_PERIOD_DAYS:
            result.skipped.append(str(_l("an event longer than a year")))
            continue
        result.periods.append(ParsedPeriod(name[:200], first, last))


def _duration(component, start) -> timedelta:
    end = _value(component, "DTEND")
    if end is not None and type(end) is type(start):
        try:
            if end > start:
                return end - start
        except TypeError:  # an aware start and a naive end (or the reverse)
            pass
    try:
        if component.get("DURATION") is not None:
            duration = component.decoded("DURATION")
            if isinstance(duration, timedelta) and duration > timedelta(0):
                return duration
    except Exception:  # noqa: BLE001
        pass
    return timedelta(days=1) if not isinstance(start, datetime) else timedelta(0)


def _expand(component, start, zone: tzinfo, result: ParsedCalendar) -> list:
    """Occurrences of RRULE (plus RDATE, minus EXDATE) in the event's own wall time."""
    is_day = not isinstance(start, datetime)
    tz = None if is_day else start.tzinfo
    wall = datetime.combine(start, time(0)) if is_day else start.replace(tzinfo=None)
    rule = component.get("RRULE")
    rules = rule if isinstance(rule, list) else [rule]
    occurrences: set[datetime] = {wall}  # DTSTART is always the first instance
    for one in rules:
        recur = dict(one)
        until = recur.get("UNTIL")
        if until:
            recur["UNTIL"] = [_wall(until[0], tz)]
        text = one.__class__(recur).to_ical().decode()
        horizon = wall + timedelta(days=365 * RECURRENCE_YEARS)
        for count, occurrence in enumerate(rrulestr(text, dtstart=wall)):
            if occurrence > horizon or count >= MAX_OCCURRENCES:
                break
            occurrences.add(occurrence)
    for name in ("RDATE", "EXDATE"):
        for value in _date_list(component, name):
            moment = _wall(value, tz)
            if name == "RDATE":
                occurrences.add(moment)
            else:
                occurrences.discard(moment)
    ordered = sorted(occurrences)
    if is_day:
        return [moment.date() for moment in ordered]
    return [moment.replace(tzinfo=tz) for moment in ordered]


def _date_list(component, name: str) -> list:
    """Values of RDATE/EXDATE (one or many lines, periods reduced to their start)."""
    values = []
    props = component.get(name)
    if props is None:
        return values
    for prop in props if isinstance(props, list) else [props]:
        try:
            items = list(prop.dts)
        except Exception:  # noqa: BLE001 - e.g. Google's "RDATE:20131210Z": skip that line
            continue
        for item in items:
            value = getattr(item, "dt", None)
            if isinstance(value, tuple):
                value = value[0]
            if isinstance(value, date):
                values.append(value)
    return values


def _wall(value, tz) -> datetime:
    """A date or datetime as naive wall time in ``tz`` (the event's zone)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is not None and tz is not None:
        return value.astimezone(tz).replace(tzinfo=None)
    return value.replace(tzinfo=None)


def _instant_key(value, zone: tzinfo):
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    return value


def _local_days(start, end, zone: tzinfo) -> tuple[date, date]:
    """Inclusive local days from a start and an exclusive end (dates or datetimes)."""
    if not isinstance(start, datetime):
        return start, max(start, end - timedelta(days=1))
    start = start if start.tzinfo else start.replace(tzinfo=zone)
    end = end if end.tzinfo else end.replace(tzinfo=zone)
    first = start.astimezone(zone).date()
    last = (end.astimezone(zone) - timedelta(microseconds=1)).date() if end > start else first
    return first, max(first, last)


# --- writing the shipped NRW calendar ------------------------------------------------------


def school_holidays_ics(rows: Iterable[dict[str, str]], name: str) -> tuple[bytes, list[str]]:
    """An .ics file of whole-day events from rows of ``school_holidays_nrw.csv``.

    Rows without dates (not verified in the source) are left out; their labels are
    returned so that the caller can say so.
    """
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", ical.text(name))
    calendar.add(AUDIENCES_PROPERTY, ical.text("pupils"))
    left_out = []
    for row in rows:
        label = f"{row['name']} {row['school_year']}"
        if not row["first_day"] or not row["last_day"]:
            left_out.append(label)
            continue
        first, last = date.fromisoformat(row["first_day"]), date.fromisoformat(row["last_day"])
        period = icalendar.Event()
        period.add("uid", f"{row['school_year'].replace('/', '-')}-{row['name'].lower()}"
                          "@nrw-schulferien")
        period.add("dtstamp", datetime(2026, 11, 25, tzinfo=UTC))
        period.add("dtstart", first)
        period.add("dtend", last + timedelta(days=1))
        period.add("summary", ical.text(label))
        period.add("transp", "TRANSPARENT")
        calendar.add_component(period)
    return calendar.to_ical(), left_out


# --- storing -------------------------------------------------------------------------------


def import_calendar(name: str, data: bytes, *, source: str,
                    audiences: Iterable[str] | None = None,
                    actor: User | None = None) -> BlackoutCalendar:
    """Store (or replace) the blackout calendar ``name`` from an .ics file's bytes.

    Raises BlackoutError with a readable message for a file it cannot use. Audiences are
    taken from the argument, else from the file, else pupils.
    """
    parsed = parse_ics(data)
    codes = tuple(audiences or parsed.audiences or DEFAULT_AUDIENCES)
    unknown = [code for code in codes if code not in AUDIENCES]
    if unknown:
        raise BlackoutError(str(_l("Unknown audience: %(codes)s", codes=", ".join(unknown))))
    name = (name or parsed.name or "").strip()[:200]
    if not name:
        raise BlackoutError(str(_l("Please give the calendar a name.")))
    calendar = db.session.execute(
        select(BlackoutCalendar).where(BlackoutCalendar.name == name)
    ).scalar_one_or_none() or BlackoutCalendar(name=name)
    calendar.source = source[:300]
    calendar.audiences = list(codes)
    calendar.content_hash = hashlib.sha256(data).hexdigest()
    calendar.imported_by = actor
    calendar.imported_at = now_utc()
    unique = dict.fromkeys(parsed.periods)
    calendar.periods = [BlackoutPeriod(name=p.name, first_day=p.first_day, last_day=p.last_day)
                        for p in unique]
    db.session.add(calendar)
    db.session.flush()
    return calendar


def delete_calendar(calendar: BlackoutCalendar) -> None:
    db.session.delete(calendar)
    db.session.flush()


def load_shipped_calendars(directory: Path | None = None) -> dict[str, int]:
    """Import every .ics under ``BLACKOUT_DIR`` whose content changed (idempotent).

    Returns periods per calendar name. A shipped file that cannot be used is an error of
    the release, so it raises.
    """
    directory = Path(directory or current_app.config["BLACKOUT_DIR"])
    counts = {}
    for path in sorted(directory.glob("*.ics")):
        data = path.read_bytes()
        parsed_name = parse_ics(data).name or path.stem
        existing = db.session.execute(
            select(BlackoutCalendar).where(BlackoutCalendar.name == parsed_name)
        ).scalar_one_or_none()
        if existing is not None and existing.content_hash == hashlib.sha256(data).hexdigest():
            counts[parsed_name] = len(existing.periods)
            continue
        calendar = import_calendar(parsed_name, data, source=f"shipped:{path.name}")
        counts[calendar.name] = len(calendar.periods)
    return counts
