"""The fast engine finds exactly what the naive pairwise reference finds (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clashes.engine import find, naive_scan, scan
from app.clashes.rules import AUDIENCE_BITS, ClashConfig, Period, Slot, neighbour_pairs
from app.reference.loader import read_rows

BERLIN = ZoneInfo("Europe/Berlin")
DISTRICTS = ("HSK", "OE", "SI", "SO", "MK")
NEIGHBOURS = neighbour_pairs(
    (row["district_code"], row["neighbour_code"])
    for row in read_rows("district_adjacency.csv") if row["neighbour_in_suedwestfalen"] == "yes"
)
# Days around both DST changes of 2027 and a public holiday (Ascension, 6 May 2027).
DAYS = [date(2027, 3, 26) + timedelta(days=n) for n in range(6)] + \
       [date(2027, 10, 29) + timedelta(days=n) for n in range(5)] + \
       [date(2027, 5, 5), date(2027, 5, 6), date(2027, 5, 8)]
HOLIDAYS = {date(2027, 5, 6).toordinal(): "Christi Himmelfahrt"}
TYPES = ("training_fair", "job_fair", "open_day")
STATUSES = ("draft", "planned", "published", "cancelled")


@st.composite
def slots(draw, event_id: int) -> Slot:
    district = draw(st.sampled_from(DISTRICTS))
    venue = DISTRICTS.index(district) * 10 + draw(st.integers(0, 2))
    day = draw(st.sampled_from(DAYS))
    if draw(st.booleans()):  # whole days
        last = day + timedelta(days=draw(st.integers(0, 2)))
        start = datetime.combine(day, time(0), tzinfo=BERLIN)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=BERLIN)
        first_day, last_day = day, last
    else:
        hour = draw(st.integers(0, 22))
        start = datetime.combine(day, time(hour), tzinfo=BERLIN)
        end = start + timedelta(hours=draw(st.integers(1, 30)))
        first_day = start.date()
        last_day = (end.astimezone(BERLIN) - timedelta(microseconds=1)).date()
    audiences = draw(st.integers(1, (1 << len(AUDIENCE_BITS)) - 1))
    return Slot(event_id, draw(st.integers(1, 3)), draw(st.sampled_from(TYPES)),
                draw(st.sampled_from(STATUSES)), venue, district,
                int(start.timestamp()), int(end.timestamp()), first_day.toordinal(),
                last_day.toordinal(), audiences)


@st.composite
def calendars(draw):
    count = draw(st.integers(0, 40))
    events = [draw(slots(event_id)) for event_id in range(1, count + 1)]
    periods = [
        Period(index, (first := draw(st.sampled_from(DAYS)).toordinal()),
               first + draw(st.integers(0, 3)), draw(st.sampled_from([1, 3, 64])))
        for index in range(draw(st.integers(0, 3)))
    ]
    return events, periods, ClashConfig(too_close_days=draw(st.integers(0, 3)))


def _keys(clashes) -> list[str]:
    return sorted(clash.key for clash in clashes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars())
def test_fast_engine_equals_naive_reference(case):
    events, periods, config = case
    fast = scan(events, config, NEIGHBOURS, HOLIDAYS, periods)
    naive = naive_scan(events, config, NEIGHBOURS, HOLIDAYS, periods)
    assert _keys(fast) == _keys(naive)
    assert len(fast) == len(set(_keys(fast)))


@settings(max_examples=100, deadline=None)
@given(calendars())
def test_cancelled_events_never_clash_and_drafts_stay_private(case):
    events, periods, config = case
    by_id = {event.id: event for event in events}
    for clash in scan(events, config, NEIGHBOURS, HOLIDAYS, periods):
        involved = [by_id[clash.event_id]] + ([by_id[clash.other_id]] if clash.other_id else [])
        assert all(event.status != "cancelled" for event in involved)
        if len(involved) == 2 and "draft" in {event.status for event in involved}:
            assert involved[0].organisation_id == involved[1].organisation_id


def test_the_engine_does_not_compare_every_pair(monkeypatch):
    """Events far apart in time are never judged: drafts (judged one by one) only meet
    their organisation's events nearby, and published ones are bucketed by day."""
    import app.clashes.engine as engine

    judged = []
    real = engine.pair_rule

    def counting(a, b, *args):
        judged.append((a.id, b.id))
        return real(a, b, *args)

    monkeypatch.setattr(engine, "pair_rule", counting)
    base = datetime(2027, 1, 4, 10, tzinfo=BERLIN)
    events = []
    for n in range(500):
        start = base + timedelta(days=7 * n)
        events.append(Slot(n + 1, 1, "job_fair", "draft" if n % 2 else "published", 1, "SI",
                           int(start.timestamp()), int(start.timestamp()) + 3600,
                           start.date().toordinal(), start.date().toordinal(), 1))
    assert scan(events, ClashConfig(), NEIGHBOURS) == []
    assert len(judged) == 0  # naive: 124,750 pairs; a week apart nothing is near


def test_compact_result_counts_and_clashes_agree():
    """``find`` gives id pairs per rule; ``Found.clashes`` turns them into keyed clashes
    with the lower id first, as the store expects."""
    day = datetime(2027, 6, 12, 10, tzinfo=BERLIN)
    start = int(day.timestamp())
    ordinal = day.date().toordinal()
    events = [
        Slot(7, 1, "training_fair", "published", 1, "SI", start, start + 3600, ordinal,
             ordinal, 1),
        Slot(3, 2, "training_fair", "planned", 1, "SI", start, start + 7200, ordinal,
             ordinal, 1),
        Slot(5, 2, "training_fair", "published", 20, "OE", start, start + 7200, ordinal,
             ordinal, 1),
    ]
    found = find(events, ClashConfig(), NEIGHBOURS, {ordinal: "Feiertag"},
                 [Period(9, ordinal - 1, ordinal + 1, 1)])
    assert len(found) == 3 + 3 + 3
    assert found.counts()["same_venue"] == 1
    keys = _keys(found.clashes())
    assert "same_venue:3:7:" in keys
    assert "neighbour_district:3:5:" in keys and "neighbour_district:5:7:" in keys
    assert f"public_holiday:5::{day.date().isoformat()}" in keys
    assert "blackout:7::9" in keys
