"""The interval rule, once in Python and once in SQL, checked against one table of cases."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from app.calendar.models import Event
from app.clashes.rules import overlaps, sql_overlaps
from app.extensions import db
from app.time import local_to_utc

DAY = date(2027, 6, 9)

# (a_start, a_end, b_start, b_end, overlap?) in local hours of one day, half-open.
CASES = [
    (10, 12, 12, 14, False),  # b starts when a ends
    (10, 12, 8, 10, False),  # b ends when a starts
    (10, 12, 11, 13, True),
    (10, 12, 9, 11, True),
    (10, 12, 10, 12, True),  # identical
    (10, 12, 9, 13, True),  # b contains a
    (10, 12, 10, 11, True),  # same start, inside
    (10, 12, 11, 12, True),  # same end, inside
    (10, 12, 13, 14, False),
    (10, 12, 8, 9, False),
]


@pytest.mark.parametrize(("a_start", "a_end", "b_start", "b_end", "expected"), CASES)
def test_python_rule(a_start, a_end, b_start, b_end, expected):
    assert overlaps(a_start, a_end, b_start, b_end) is expected
    assert overlaps(b_start, b_end, a_start, a_end) is expected


def test_sql_rule_agrees_with_the_python_rule(make_event):
    events = {
        index: make_event(f"Fall {index}", day=DAY, start=time(a_start), end=time(a_end),
                          venue=f"Halle {index}")
        for index, (a_start, a_end, *_) in enumerate(CASES)
    }
    for index, (_, _, b_start, b_end, expected) in enumerate(CASES):
        start, end = local_to_utc(DAY, time(b_start)), local_to_utc(DAY, time(b_end))
        found = set(db.session.execute(
            select(Event.id).where(sql_overlaps(Event.starts_at, Event.ends_at, start, end))
        ).scalars())
        assert (events[index].id in found) is expected, CASES[index]
        python = {event.id for event in events.values()
                  if overlaps(event.starts_at, event.ends_at, start, end)}
        assert python == found
