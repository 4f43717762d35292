"""The ``grade`` filter (Klasse 5–13): parsing and refusals, the matching rule in SQL and
its Python twin (``FilterIndex``) on one table of cases, and the calendar page."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.calendar.filters import (
    EventFilter,
    FilterError,
    FilterIndex,
    covers_grade,
    grade_span,
    presenting_events,
)
from app.calendar.models import Event
from app.calendar.services import events_query, public_events
from app.extensions import db

DAY = date(2027, 3, 10)


def titles(event_filter: EventFilter) -> list[str]:
    return sorted(e.title for e in db.session.execute(public_events(event_filter)).scalars())


@pytest.fixture
def graded(make_event):
    """Events for pupils with closed, open and no ranges, and events not for pupils."""
    make_event("Klasse 8 bis 10", audiences=("pupils",), grade_from=8, grade_to=10, day=DAY)
    make_event("Klasse 5 bis 7", audiences=("pupils",), grade_from=5, grade_to=7, day=DAY,
               town="Olpe", venue="Stadthalle Olpe")
    make_event("Alle Klassen", audiences=("pupils", "parents"), day=DAY, town="Meschede",
               venue="Stadthalle Meschede", event_type="open_day")
    make_event("Ab Klasse 9", audiences=("pupils",), grade_from=9, day=DAY, town="Soest",
               venue="Stadthalle Soest", industries=("METALL",))
    make_event("Bis Klasse 6", audiences=("pupils",), grade_to=6, day=date(2027, 4, 2))
    make_event("Nur Eltern", audiences=("parents",), day=DAY, event_type="info_evening")
    make_event("Oberstufe und Eltern", audiences=("pupils", "parents"), grade_from=11,
               grade_to=13, day=date(2027, 5, 2), town="Lüdenscheid", venue="Kulturhaus")
    make_event("Entwurf Klasse 9", audiences=("pupils",), grade_from=9, grade_to=9, day=DAY,
               status="draft")


# --- parsing --------------------------------------------------------------------------------


def test_grades_are_parsed_sorted_and_without_repeats(app):
    parsed = EventFilter.from_args(MultiDict([("grade", "10"), ("grade", " 8 "), ("grade", "9"),
                                              ("grade", "8"), ("grade", "")]))
    assert parsed.grades == (8, 9, 10)
    assert parsed.to_args() == {"grade": ["8", "9", "10"]}
    assert EventFilter.from_args(MultiDict(parsed.to_args())) == parsed
    assert not parsed.is_empty
    assert parsed.selection == parsed


@pytest.mark.parametrize("raw", ["4", "14", "0", "-9", "abc", "8-10", "8,9", "9.0", "١٠",
                                 "+9", "009", "9" * 40, "Klasse 9"])
def test_grades_outside_5_to_13_or_not_numbers_are_refused(app, raw):
    with pytest.raises(FilterError) as refused:
        EventFilter.from_args(MultiDict([("grade", raw)]))
    assert refused.value.field == "grade"
    assert "from 5 to 13" in refused.value.message


def test_too_many_grades_are_refused(app):
    with pytest.raises(FilterError, match="Too many values for 'grade'"):
        EventFilter.from_args(MultiDict([("grade", "9")] * 21))


def test_grade_span_writes_grades_as_people_do():
    assert grade_span([8, 9, 10]) == "8–10"
    assert grade_span([10, 5, 9, 8]) == "5, 8–10"
    assert grade_span([9]) == "9"
    assert grade_span([5, 7, 9, 11, 12, 13]) == "5, 7, 9, 11–13"


def test_covers_grade_treats_open_ends_and_no_range_as_all_grades():
    assert covers_grade(8, 10, 8) and covers_grade(8, 10, 10)
    assert not covers_grade(8, 10, 7) and not covers_grade(8, 10, 11)
    assert covers_grade(None, None, 5) and covers_grade(None, None, 13)
    assert covers_grade(9, None, 13) and not covers_grade(9, None, 8)
    assert covers_grade(None, 6, 5) and not covers_grade(None, 6, 7)


# --- matching ------------------------------------------------------------------------------


def test_a_grade_matches_ranges_holding_it_and_pupils_without_a_range(graded):
    assert titles(EventFilter(grades=(9,))) == ["Ab Klasse 9", "Alle Klassen", "Klasse 8 bis 10"]
    assert titles(EventFilter(grades=(5, 6))) == ["Alle Klassen", "Bis Klasse 6", "Klasse 5 bis 7"]
    assert titles(EventFilter(grades=(13,))) == ["Ab Klasse 9", "Alle Klassen",
                                                 "Oberstufe und Eltern"]
    # Not for pupils: never, whatever the grade.
    assert "Nur Eltern" not in titles(EventFilter(grades=tuple(range(5, 14))))


def test_grades_combine_with_the_other_filters(graded):
    assert titles(EventFilter(grades=(9,), districts=("SI",))) == ["Klasse 8 bis 10"]
    assert titles(EventFilter(grades=(9,), audiences=("parents",))) == ["Alle Klassen"]
    assert titles(EventFilter(grades=(9,), industries=("METALL",))) == ["Ab Klasse 9"]
    assert titles(EventFilter(grades=(12,), date_from=date(2027, 4, 1))) == [
        "Oberstufe und Eltern"]


CASES = [
    EventFilter(),
    *(EventFilter(grades=(grade,)) for grade in range(5, 14)),
    EventFilter(grades=(5, 13)),
    EventFilter(grades=(8, 9, 10), districts=("OE", "SI")),
    EventFilter(districts=("HSK",)),
    EventFilter(districts=("MK", "SO"), audiences=("pupils",)),
    EventFilter(audiences=("parents",), grades=(12,)),
    EventFilter(types=("open_day", "info_evening")),
    EventFilter(industries=("METALL",)),
    EventFilter(industries=("CROSS",), grades=(7,)),
    EventFilter(date_from=date(2027, 4, 1)),
    EventFilter(date_to=date(2027, 3, 10), grades=(6,)),
    EventFilter(date_from=date(2027, 3, 11), date_to=date(2027, 4, 30)),
]


def test_the_python_twin_agrees_with_the_sql_on_every_case(graded):
    """Change notices match thousands of subscriptions with ``FilterIndex``; it must say
    exactly what ``EventFilter.apply`` says."""
    events = list(db.session.execute(events_query()).scalars())
    index = FilterIndex(events, presenting={})
    for event_filter in CASES:
        sql = set(db.session.execute(event_filter.apply(select(Event.id))).scalars())
        assert index.matching(event_filter) == sql, event_filter


def test_the_python_twin_agrees_on_every_pair_of_single_choices(graded):
    events = list(db.session.execute(events_query()).scalars())
    index = FilterIndex(events, presenting={})
    singles = [EventFilter(districts=("SI",)), EventFilter(audiences=("pupils",)),
               EventFilter(grades=(6,)), EventFilter(grades=(11,)),
               EventFilter(types=("training_fair",)), EventFilter(industries=("CROSS",))]
    for first, second in itertools.combinations(singles, 2):
        combined = EventFilter(**{
            name: getattr(first, name) or getattr(second, name)
            for name in ("districts", "audiences", "grades", "types", "industries")})
        sql = set(db.session.execute(combined.apply(select(Event.id))).scalars())
        assert index.matching(combined) == sql, combined


def test_presenting_events_without_exhibitors_is_empty(graded):
    ids = db.session.execute(select(Event.id)).scalars().all()
    assert presenting_events([1, 2], ids) == {1: set(), 2: set()}


# --- the calendar page ---------------------------------------------------------------------


def test_the_calendar_filters_by_grade_and_says_all_grades(client, graded):
    response = client.get("/?from=2027-01-01&grade=9")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("Klasse 8 bis 10", "Ab Klasse 9", "Alle Klassen"):
        assert shown in html
    for hidden in ("Klasse 5 bis 7", "Bis Klasse 6", "Nur Eltern", "Oberstufe und Eltern",
                   "Entwurf Klasse 9"):
        assert hidden not in html
    assert 'id="f-grade-9" checked' in html and 'id="f-grade-8">' in html
    assert "Schülerinnen und Schüler (alle Klassen)" in html
    assert "Schülerinnen und Schüler (Klasse 8–10)" in html


def test_a_filtered_calendar_offers_to_subscribe_to_the_same_selection(client, graded):
    html = client.get("/?from=2027-01-01&district=OE&audience=pupils&grade=8&grade=9"
                      ).get_data(as_text=True)
    assert ('href="/feeds?district=OE&amp;audience=pupils&amp;grade=8&amp;grade=9">'
            "Diese Auswahl abonnieren</a>") in html
    # Dates alone are no selection to subscribe to.
    assert "Diese Auswahl abonnieren" not in client.get("/?from=2027-01-01").get_data(
        as_text=True)


@pytest.mark.parametrize("query", ["grade=4", "grade=14", "grade=neun", "grade=8-10"])
def test_a_bad_grade_on_the_calendar_is_a_clear_400(client, graded, query):
    response = client.get(f"/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bitte wählen Sie Klassen von 5 bis 13." in html
