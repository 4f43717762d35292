"""The one place that knows about time zones: store UTC, show Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# The one date range of the whole service (README "Security", the OpenAPI document): dates
# outside it are typing mistakes, and far-off ones overflow date arithmetic (year 9999 + a
# day). Pages, feeds, the API, forms and the CLI refuse them with a 4xx.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200
DATE_RANGE_TEXT = f"{EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31"


def in_date_range(value: date | datetime) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


class NonexistentLocalTime(ValueError):
    """A wall-clock time that the clocks skip (e.g. 02:30 on the last Sunday of March)."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Berlin"
    return ZoneInfo(name)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive value read from SQLite; convert an aware one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    return as_utc(value).astimezone(local_zone())


def local_to_utc(day: date, clock: time) -> datetime:
    """Interpret a wall-clock time in the local zone; refuse times the DST change skips.

    An ambiguous time (the repeated hour in October) is read as its first occurrence.
    """
    zone = local_zone()
    local = datetime.combine(day, clock, tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(f"{day.isoformat()} {clock.isoformat('minutes')}")
    return local.astimezone(UTC)


def local_midnight_utc(day: date) -> datetime:
    """The instant the local day begins (midnight always exists in Europe/Berlin)."""
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(UTC)


def day_span_utc(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """UTC instants that cover whole local days ``first_day`` to ``last_day`` inclusive."""
    return local_midnight_utc(first_day), local_midnight_utc(last_day + timedelta(days=1))


def local_today() -> date:
    return now_utc().astimezone(local_zone()).date()
