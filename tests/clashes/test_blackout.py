"""Blackout calendars: real-world .ics files import or are refused with a clear message;
the shipped NRW school holidays match the reference data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clashes.blackout import (
    BlackoutError,
    import_calendar,
    load_shipped_calendars,
    parse_ics,
    school_holidays_ics,
)
from app.clashes.models import BlackoutCalendar, BlackoutPeriod
from app.extensions import db
from app.reference.loader import read_rows
from tests.conftest import project_root

SAMPLES = Path(__file__).parent / "samples"
SHIPPED = project_root() / "calendars" / "blackout" / "schulferien-nrw.ics"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def days(parsed) -> list[tuple[date, date]]:
    return [(period.first_day, period.last_day) for period in parsed.periods]


def test_google_export_with_whole_day_recurrence_and_a_broken_rdate(app):
    parsed = parse_ics(sample("icaljs-google_birthday.ics"))
    assert parsed.name == "Contacts' birthdays and events"
    assert days(parsed) == [(date(2012, 12, 10),) * 2, (date(2013, 12, 10),) * 2,
                            (date(2014, 12, 10),) * 2]


def test_missing_vtimezone_uses_the_named_zone(app):
    parsed = parse_ics(sample("icalendar-issue_722_missing_timezones.ics"))
    # 08:00 in New York is 14:00 in Berlin, the same day; events without DTSTART skipped.
    assert days(parsed) == [(date(2014, 8, 29), date(2014, 8, 29))]
    assert len(parsed.skipped) == 2


def test_outlook_timezone_with_a_windows_name(app):
    parsed = parse_ics(sample("icalendar-issue_237_non_ascii_tzid.ics"))
    assert days(parsed) == [(date(2017, 5, 11), date(2017, 5, 11))]


def test_times_inside_a_dst_transition(app):
    parsed = parse_ics(sample("icalendar-issue_722_timezone_transition_ambiguity.ics"))
    assert len(parsed.periods) == 4


def test_recurrence_with_overrides_exdates_and_rdates(app):
    parsed = parse_ics(sample("icaljs-recur_instances.ics"))
    first_days = {period.first_day for period in parsed.periods}
    # The 10:00 (Los Angeles) instance of 2 Oct 2012 was moved to 15:00: 00:00 in Berlin.
    assert date(2012, 10, 3) in first_days and date(2012, 10, 2) not in first_days
    assert date(2012, 12, 4) not in first_days  # EXDATE
    assert date(2012, 11, 10) in first_days  # RDATE
    assert date(2013, 1, 1) in first_days  # first Tuesday of January (RRULE)
    assert len(parsed.periods) < 200  # an open-ended rule stops at the horizon


@pytest.mark.parametrize("data", [
    b"", b"not a calendar", b"\x89PNG\r\n\x1a\n\x00\x00", b"BEGIN:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nDUE:20270101\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
    b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    b"\xff\xfe\x00B",
])
def test_unusable_files_are_refused_with_a_message(app, data):
    with pytest.raises(BlackoutError) as caught:
        parse_ics(data)
    assert caught.value.message


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.ics")), ids=lambda path: path.name)
def test_every_sample_imports_or_is_refused_cleanly(app, path):
    try:
        calendar = import_calendar(path.stem, path.read_bytes(), source=path.name)
    except BlackoutError as error:
        assert error.message
    else:
        assert calendar.periods and calendar.audiences == ["pupils"]


def test_shipped_nrw_calendar_is_built_from_the_reference_data():
    data, left_out = school_holidays_ics(read_rows("school_holidays_nrw.csv"),
                                         "Schulferien NRW")
    assert SHIPPED.read_bytes() == data
    # Osterferien and Pfingstferien 2029 have no verified dates in the source.
    assert left_out == ["Osterferien 2028/29", "Pfingstferien 2028/29"]


def test_loading_the_shipped_calendars_is_idempotent(app):
    assert load_shipped_calendars() == {"Schulferien NRW": 24}
    ids = db.session.execute(select(BlackoutPeriod.id).order_by(BlackoutPeriod.id)).all()
    assert load_shipped_calendars() == {"Schulferien NRW": 24}
    assert db.session.execute(select(BlackoutPeriod.id).order_by(BlackoutPeriod.id)).all() \
        == ids
    calendar = db.session.execute(select(BlackoutCalendar)).scalar_one()
    assert calendar.audiences == ["pupils"]
    summer = [p for p in calendar.periods if p.name == "Sommerferien 2026/27"][0]
    assert (summer.first_day, summer.last_day) == (date(2027, 7, 19), date(2027, 8, 31))


def test_reimport_replaces_the_periods(app):
    import_calendar("Prüfungswochen Kreis Olpe", sample("icalendar-issue_237_non_ascii_tzid.ics"),
                    source="upload", audiences=["pupils", "teachers"])
    import_calendar("Prüfungswochen Kreis Olpe", sample("icaljs-google_birthday.ics"),
                    source="upload")
    assert db.session.execute(select(func.count()).select_from(BlackoutPeriod)).scalar() == 3


def test_init_db_loads_the_shipped_calendar(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Schulferien NRW (24 periods)" in result.output
    assert runner.invoke(args=["init-db"]).exit_code == 0
