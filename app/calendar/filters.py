"""The filters that the calendar, the feeds and the API share (repeatable query parameters),
and what the filter forms show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select

from app import signals
from app.calendar.models import Event, EventAudience, Venue
from app.errors import DomainError
from app.extensions import db
from app.reference.codes import AUDIENCES, DISTRICT_CODES, EVENT_TYPES, INDUSTRY_CODES
from app.reference.models import District, Industry, Municipality, Occupation
from app.time import (
    DATE_RANGE_TEXT,
    as_utc,
    day_span_utc,
    in_date_range,
    local_midnight_utc,
)


class FilterError(DomainError):
    """A filter parameter that is not understood; ``field`` names the parameter."""


MAX_FILTER_VALUES = 20
# The grades a school asks for (Klasse 5–13): where careers guidance starts, to the Abitur.
FILTER_GRADES = tuple(range(5, 14))


@dataclass(frozen=True)
class EventFilter:
    """The filters shared by the calendar, the feeds and the API (repeatable parameters)."""

    districts: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    # Occupation ids: fairs where a confirmed exhibitor presents one of them.
    occupations: tuple[int, ...] = ()
    # School grades (5–13): events for pupils whose grade range holds one of them, or
    # for pupils without a range (all grades); see ``covers_grade``.
    grades: tuple[int, ...] = ()

    @classmethod
    def from_args(cls, args, *, date_names: tuple[str, str] = ("from", "to")) -> EventFilter:
        """Parse request arguments (a MultiDict); raise FilterError on anything unknown."""
        values = {}
        for name, attribute, allowed in (
            ("district", "districts", DISTRICT_CODES),
            ("industry", "industries", INDUSTRY_CODES),
            ("audience", "audiences", tuple(AUDIENCES)),
            ("type", "types", tuple(EVENT_TYPES)),
        ):
            given = [value.strip() for value in args.getlist(name) if value.strip()]
            if len(given) > MAX_FILTER_VALUES:
                raise FilterError(f"Too many values for '{name}'.", field=name)
            unknown = [value for value in given if value not in allowed]
            if unknown:
                raise FilterError(
                    f"Unknown {name} code {unknown[0][:40]!r}; known codes: "
                    f"{', '.join(allowed)}.", field=name)
            values[attribute] = tuple(dict.fromkeys(given))
        values["occupations"] = _occupation_ids(args.getlist("occupation"))
        values["grades"] = _grades(args.getlist("grade"))
        for name, attribute in zip(date_names, ("date_from", "date_to"), strict=True):
            raw = (args.get(name) or "").strip()
            if not raw:
                values[attribute] = None
                continue
            try:
                values[attribute] = date.fromisoformat(raw[:10]) if len(raw) <= 10 else None
            except ValueError:
                values[attribute] = None
            if values[attribute] is None:
                raise FilterError(f"'{name}' must be a date like 2027-03-14.", field=name)
            if not in_date_range(values[attribute]):
                raise FilterError(f"'{name}' must be a date from {DATE_RANGE_TEXT}.",
                                  field=name)
        if values["date_from"] and values["date_to"] and values["date_to"] < values["date_from"]:
            raise FilterError(f"'{date_names[1]}' is before '{date_names[0]}'.",
                              field=date_names[1])
        return cls(**values)

    def to_args(self) -> dict[str, list[str] | str]:
        """Back to query parameters, for links that keep the filter."""
        args: dict[str, list[str] | str] = {
            "district": list(self.districts), "industry": list(self.industries),
            "audience": list(self.audiences), "type": list(self.types),
            "occupation": [str(occupation) for occupation in self.occupations],
            "grade": [str(grade) for grade in self.grades],
        }
        if self.date_from:
            args["from"] = self.date_from.isoformat()
        if self.date_to:
            args["to"] = self.date_to.isoformat()
        return {name: value for name, value in args.items() if value}

    @property
    def is_empty(self) -> bool:
        return not self.to_args()

    @property
    def selection(self) -> EventFilter:
        """The filter without its dates: what a feed or a change notice subscribes to."""
        return replace(self, date_from=None, date_to=None)

    def apply(self, query: Select) -> Select:
        if self.districts:
            query = query.join(Event.venue).join(Venue.municipality).where(
                Municipality.district_code.in_(self.districts)
            )
        if self.industries:
            query = query.where(Event.industries.any(Industry.code.in_(self.industries)))
        if self.audiences:
            query = query.where(Event.audiences.any(EventAudience.code.in_(self.audiences)))
        if self.types:
            query = query.where(Event.event_type.in_(self.types))
        if self.occupations:
            query = query.where(Event.id.in_(events_presenting(self.occupations)))
        if self.grades:
            query = query.where(Event.audiences.any(and_(
                EventAudience.code == "pupils",
                or_(*(_range_holds(grade) for grade in self.grades)))))
        return within(query, self.date_from, self.date_to)


def covers_grade(grade_from: int | None, grade_to: int | None, grade: int) -> bool:
    """Whether a pupils' grade range holds ``grade``; an open end (or no range at all:
    the event is for every grade) holds every grade on that side."""
    return (grade_from is None or grade_from <= grade) and (grade_to is None or grade <= grade_to)


def _range_holds(grade: int):
    """``covers_grade`` in SQL, for one audience row."""
    return and_(or_(EventAudience.grade_from.is_(None), EventAudience.grade_from <= grade),
                or_(EventAudience.grade_to.is_(None), EventAudience.grade_to >= grade))


def _grades(raw: list[str]) -> tuple[int, ...]:
    """``grade`` parameters: school grades 5–13, sorted (FilterError otherwise)."""
    given = [value.strip() for value in raw if value.strip()]
    if len(given) > MAX_FILTER_VALUES:
        raise FilterError("Too many values for 'grade'.", field="grade")
    for value in given:
        if not (value.isascii() and value.isdigit() and len(value) <= 2
                and int(value) in FILTER_GRADES):
            raise FilterError(f"'grade' takes school grades from {FILTER_GRADES[0]} to "
                              f"{FILTER_GRADES[-1]}, not {value[:20]!r}.", field="grade")
    return tuple(sorted({int(value) for value in given}))


def grade_span(grades: Iterable[int]) -> str:
    """Grades as people write them: ``8–10``, ``5, 8–10``, ``9``."""
    runs: list[list[int]] = []
    for grade in sorted(set(grades)):
        if runs and grade == runs[-1][-1] + 1:
            runs[-1].append(grade)
        else:
            runs.append([grade])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def _occupation_ids(raw: list[str]) -> tuple[int, ...]:
    """``occupation`` parameters: ids of known occupations (FilterError otherwise)."""
    given = [value.strip() for value in raw if value.strip()]
    if len(given) > MAX_FILTER_VALUES:
        raise FilterError("Too many values for 'occupation'.", field="occupation")
    if not all(value.isdigit() and len(value) <= 9 for value in given):
        raise FilterError("'occupation' takes occupation ids (numbers).", field="occupation")
    ids = tuple(dict.fromkeys(int(value) for value in given))
    if ids:
        known = set(db.session.execute(select(Occupation.id).where(Occupation.id.in_(ids)))
                    .scalars())
        if unknown := [value for value in ids if value not in known]:
            raise FilterError(f"Unknown occupation id {unknown[0]}.", field="occupation")
    return ids


def events_presenting(occupation_ids: tuple[int, ...]) -> Select:
    """Ids of events where an exhibitor presents one of the occupations. The booths area
    keeps the exhibitors and sits above this one, so it answers through a signal."""
    answers = [query for _receiver, query in
               signals.events_presenting_occupations.send(None, occupation_ids=occupation_ids)]
    if len(answers) != 1:
        raise RuntimeError("exactly one area must answer events_presenting_occupations")
    return answers[0]


def within(query: Select, first_day: date | None, last_day: date | None) -> Select:
    """Events that touch the local days ``first_day``..``last_day`` (half-open overlap)."""
    if first_day:
        query = query.where(Event.ends_at > local_midnight_utc(first_day))
    if last_day:
        query = query.where(Event.starts_at < day_span_utc(last_day, last_day)[1])
    return query


class FilterIndex:
    """Many filters over one set of loaded events, in Python, with the rules of
    ``EventFilter.apply``: an inverted index per filter group, so one filter costs a few
    set operations (the change notices match thousands of subscriptions at once).

    ``presenting`` maps an occupation id to the ids of events where it is presented
    (``presenting_events`` asks the booths area); the tests check this twin against the
    SQL of ``apply`` on one table of cases.
    """

    def __init__(self, events: Iterable[Event], presenting: Mapping[int, set[int]]):
        self.events = {event.id: event for event in events}
        self.every = frozenset(self.events)
        self.presenting = presenting
        self.by: dict[str, dict[object, set[int]]] = {
            "district": {}, "industry": {}, "audience": {}, "type": {}, "grade": {}}
        for event in self.events.values():
            self._add("district", event.venue.district_code, event.id)
            self._add("type", event.event_type, event.id)
            for code in event.industry_codes:
                self._add("industry", code, event.id)
            for audience in event.audiences:
                self._add("audience", audience.code, event.id)
                if audience.code == "pupils":
                    for grade in FILTER_GRADES:
                        if covers_grade(audience.grade_from, audience.grade_to, grade):
                            self._add("grade", grade, event.id)

    def _add(self, group: str, value: object, event_id: int) -> None:
        self.by[group].setdefault(value, set()).add(event_id)

    def _any(self, group: str, values: Iterable[object]) -> set[int]:
        found: set[int] = set()
        for value in values:
            found |= self.by[group].get(value, set())
        return found

    def matching(self, event_filter: EventFilter) -> set[int]:
        """The ids of the indexed events that ``event_filter`` lets through."""
        found = set(self.every)
        for group, values in (("district", event_filter.districts),
                              ("industry", event_filter.industries),
                              ("audience", event_filter.audiences),
                              ("type", event_filter.types), ("grade", event_filter.grades)):
            if values:
                found &= self._any(group, values)
        if event_filter.occupations:
            presented: set[int] = set()
            for occupation in event_filter.occupations:
                presented |= self.presenting.get(occupation, set())
            found &= presented
        if event_filter.date_from or event_filter.date_to:
            start = local_midnight_utc(event_filter.date_from) if event_filter.date_from else None
            end = (day_span_utc(event_filter.date_to, event_filter.date_to)[1]
                   if event_filter.date_to else None)
            found = {event_id for event_id in found
                     if (start is None or as_utc(self.events[event_id].ends_at) > start)
                     and (end is None or as_utc(self.events[event_id].starts_at) < end)}
        return found


def presenting_events(occupation_ids: Iterable[int], event_ids: Iterable[int]
                      ) -> dict[int, set[int]]:
    """Occupation id → which of ``event_ids`` present it (one query per occupation)."""
    ids = list(event_ids)
    return {occupation: set(db.session.execute(
                select(Event.id).where(Event.id.in_(ids),
                                       Event.id.in_(events_presenting((occupation,))))
            ).scalars())
            for occupation in sorted(set(occupation_ids))}



@dataclass
class FilterChoices:
    """Labels for the filter form, read once per request (five districts, seven industries)."""

    districts: dict[str, str]
    industries: dict[str, str]
    occupations: dict[str, str] | None = None
    grades: tuple[int, ...] = FILTER_GRADES
    # The same occupations by industry label, for the grouped checkboxes of the picker.
    occupation_groups: dict[str, dict[str, str]] | None = None


def filter_choices() -> FilterChoices:
    districts = {d.code: d.name for d in db.session.execute(select(District)).scalars()}
    industries = {i.code: i.label
                  for i in db.session.execute(select(Industry).order_by(Industry.code)).scalars()}
    ordered = {code: districts.get(code, code) for code in DISTRICT_CODES}
    rows = db.session.execute(select(Occupation).order_by(Occupation.name)).scalars().all()
    occupations = {str(o.id): o.name for o in rows}
    groups: dict[str, dict[str, str]] = {}
    for occupation in sorted(rows, key=lambda o: (industries.get(o.industry_code, ""), o.name)):
        label = industries.get(occupation.industry_code, occupation.industry_code)
        groups.setdefault(label, {})[str(occupation.id)] = occupation.name
    return FilterChoices(districts=ordered, industries=industries, occupations=occupations,
                         occupation_groups=groups)


def filter_message(error: FilterError) -> str:
    """The filter's own message is for integrators; people get one in their language."""
    messages = {
        "district": _("Unknown district. Please choose districts from the list."),
        "industry": _("Unknown industry. Please choose industries from the list."),
        "audience": _("Unknown audience. Please choose audiences from the list."),
        "type": _("Unknown event type. Please choose event types from the list."),
        "occupation": _("Unknown occupation. Please choose occupations from the list."),
        "grade": _("Please choose grades from 5 to 13."),
        "from": _("Please enter dates like 2027-03-14; the end must not be before the start."),
        "to": _("Please enter dates like 2027-03-14; the end must not be before the start."),
    }
    return messages.get(error.field, _("The filter could not be understood."))
