"""Reading events for the full scan: epoch seconds from the database and local days by a
cached offset give exactly what the per-event conversion gives (also around DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.clashes import inputs as clash_inputs

BERLIN = ZoneInfo("Europe/Berlin")


@settings(max_examples=500, deadline=None)
@given(st.integers(int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()),
                   int(datetime(2032, 12, 31, tzinfo=UTC).timestamp())))
def test_local_day_of_epoch_seconds_matches_the_time_zone(seconds):
    day_of = clash_inputs._local_day_of(BERLIN)
    assert day_of(seconds) == datetime.fromtimestamp(seconds, BERLIN).date().toordinal()


def test_local_day_around_the_dst_changes():
    day_of = clash_inputs._local_day_of(BERLIN)
    for moment in (datetime(2027, 3, 28, 1, 59, 59, tzinfo=UTC),   # 03:59:59 CEST
                   datetime(2027, 3, 27, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET
                   datetime(2027, 3, 27, 23, 0, tzinfo=UTC),       # midnight
                   datetime(2027, 10, 30, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST
                   datetime(2027, 10, 30, 22, 0, tzinfo=UTC)):     # midnight
        assert day_of(int(moment.timestamp())) == moment.astimezone(BERLIN).date().toordinal()


def test_load_slots_equals_the_rules_view_of_each_event(app, make_event):
    """Timed, evening, whole-day, DST-day and cancelled events read by ``load_slots``
    as ``slot_of`` sees them one by one."""
    events = [
        make_event("Timed", day=date(2027, 3, 28), start=time(1), end=time(4)),
        make_event("Evening", day=date(2027, 10, 30), start=time(20), end=time(23, 30)),
        make_event("Whole days", day=date(2027, 10, 30), all_day_until=date(2027, 11, 1),
                   status="planned"),
        make_event("Draft", day=date(2027, 6, 12), status="draft", audiences=("public",)),
    ]
    cancelled = make_event("Cancelled", day=date(2027, 6, 12), status="cancelled")
    loaded = {slot.id: slot for slot in clash_inputs.load_slots()}
    assert cancelled.id not in loaded
    for event in events:
        assert loaded[event.id] == clash_inputs.slot_of(event)
