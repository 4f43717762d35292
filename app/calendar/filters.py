"""The filters that the calendar, the feeds and the API share (repeatable query parameters),
and what the filter forms show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app import signals
from app.calendar.models import Event, EventAudience, Venue
from app.errors import DomainError
from app.extensions import db
from app.reference.codes import AUDIENCES, DISTRICT_CODES, EVENT_TYPES, INDUSTRY_CODES
from app.reference.models import District, Industry, Municipality, Occupation
from app.time import day_span_utc, local_midnight_utc


class FilterError(DomainError):
    """A filter parameter that is not understood; ``field`` names the parameter."""


MAX_FILTER_VALUES = 20


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
        }
        if self.date_from:
            args["from"] = self.date_from.isoformat()
        if self.date_to:
            args["to"] = self.date_to.isoformat()
        return {name: value for name, value in args.items() if value}

    @property
    def is_empty(self) -> bool:
        return not self.to_args()

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
        return within(query, self.date_from, self.date_to)


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



@dataclass
class FilterChoices:
    """Labels for the filter form, read once per request (five districts, seven industries)."""

    districts: dict[str, str]
    industries: dict[str, str]
    occupations: dict[str, str] | None = None
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
        "from": _("Please enter dates like 2027-03-14; the end must not be before the start."),
        "to": _("Please enter dates like 2027-03-14; the end must not be before the start."),
    }
    return messages.get(error.field, _("The filter could not be understood."))
