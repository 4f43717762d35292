"""Marshmallow schemas of the API: they validate input and generate the OpenAPI document.

Input schemas check the *shape* (types, lengths, known codes); the business rules (an
event ends after it starts, grades only for pupils, allowed status moves) stay in
``calendar.services`` and come back as ``EventError``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import marshmallow as ma
from flask import url_for
from marshmallow import ValidationError, fields, pre_dump, validates_schema
from marshmallow.validate import Length, OneOf, Range, Regexp

from app.calendar.filters import FILTER_GRADES
from app.reference.codes import (
    AUDIENCES,
    DISTRICT_CODES,
    EVENT_TYPES,
    INDUSTRY_CODES,
    MAX_GRADE,
    MIN_GRADE,
    STATUSES,
)
from app.routing import MAX_DB_INT, MAX_PAGE
from app.text import multiline_error, normalise_line_endings, single_line_error
from app.time import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NonexistentLocalTime,
    as_utc,
    local_to_utc,
    to_local,
)

MAX_ID = MAX_DB_INT  # ids as the routes bound them (app.routing)
MAX_PER_PAGE = 200
# Years outside this range are typing mistakes, and far-off ones overflow datetime maths.
MIN_YEAR, MAX_YEAR = EARLIEST_YEAR, LATEST_YEAR  # the service's one date range (app.time)


class Text(fields.String):
    """Multi-line text: line endings normalised to LF; no other control characters and no
    lone surrogates (PostgreSQL refuses NUL)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValidationError("Not valid UTF-8 text.") from error
        self._check(text)
        return normalise_line_endings(text)

    def _check(self, text: str) -> None:
        if multiline_error(text):
            raise ValidationError("Control characters are not allowed.")


class Line(Text):
    """Single-line text (titles, names, contact details): no line break, TAB or other
    control character."""

    def _check(self, text: str) -> None:
        if single_line_error(text):
            raise ValidationError("One line only: line breaks, tabs and other control "
                                  "characters are not allowed.")


class LocalDateTime(fields.DateTime):
    """ISO 8601 instant: dumped in Europe/Berlin with its offset, loaded as aware UTC.

    A value without an offset is read as Europe/Berlin wall-clock time; a wall-clock
    time that the spring DST change skips is refused.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_local(value).isoformat()

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if isinstance(value, str) and len(value.strip()) <= 10:
            raise ValidationError("Give a date and a time, e.g. 2027-03-28T10:00:00+02:00.")
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValidationError(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
        if parsed.tzinfo is None:
            try:
                return local_to_utc(parsed.date(), parsed.time())
            except NonexistentLocalTime as error:
                raise ValidationError(
                    "This local time does not exist (the clocks skip it for daylight "
                    "saving time)."
                ) from error
        return as_utc(parsed).astimezone(UTC)


class Day(fields.Date):
    """An ISO date (YYYY-MM-DD) within a sensible range of years."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValidationError(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
        return parsed


def event_page_url(event) -> str:
    """The public page of the event (absolute, so API clients can link to it)."""
    return url_for("calendar.event", event_id=event.id, _external=True)


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=Range(1, MAX_ID), **kwargs)


def _clash_acknowledgement() -> Text:
    return Text(validate=[Length(1, 1000), not_blank], metadata={"description": (
        "A note why the event goes ahead despite a hard clash (same venue, or same "
        "district for the same audience, at the same time). Needed only when the change "
        "would cause a hard clash the event did not have before: without it the answer "
        "is 409 `hard_clash` with the clashes and nothing is saved. It is kept in the "
        "event's history.")})


# --- errors ------------------------------------------------------------------------------


class ErrorBodySchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine code, "
                                                  "e.g. `validation_failed`, `not_found`."})
    message = fields.String(required=True, metadata={"description": "Readable message."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per input field; nested fields are dotted, "
                  "e.g. `audiences.0.code` or `venue.municipality`."},
    )
    # The check endpoint's schema (by name: it builds on this module).
    clashes = fields.List(fields.Nested("app.api.clash_schemas.FindingSchema"), metadata={
        "description": "Only with the code `hard_clash` (409): the hard clashes the change "
                       "would cause; repeat it with `clash_acknowledgement` to save anyway."})


class ErrorSchema(ma.Schema):
    """Every error response of the API has this shape."""

    error = fields.Nested(ErrorBodySchema, required=True)


# --- output ------------------------------------------------------------------------------


class AudienceSchema(ma.Schema):
    code = fields.String(required=True, validate=OneOf(list(AUDIENCES)))
    grade_from = fields.Integer(required=True, allow_none=True,
                                metadata={"description": "Pupils only: first school grade."})
    grade_to = fields.Integer(required=True, allow_none=True,
                              metadata={"description": "Pupils only: last school grade."})


class VenueSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    street = fields.String(required=True, allow_none=True)
    postal_code = fields.String(required=True, allow_none=True)
    municipality = fields.String(required=True, attribute="municipality.name")
    municipality_ags = fields.String(required=True, attribute="municipality.ags",
                                     metadata={"description": "Official municipality key."})
    district = fields.String(required=True, attribute="municipality.district_code",
                             validate=OneOf(DISTRICT_CODES))
    latitude = fields.Float(required=True, metadata={
        "description": "The venue's point, else the municipality's reference point."})
    longitude = fields.Float(required=True)

    @pre_dump
    def _coordinates(self, venue, **kwargs):
        latitude, longitude = venue.coordinates
        return {"id": venue.id, "name": venue.name, "street": venue.street,
                "postal_code": venue.postal_code, "municipality": venue.municipality,
                "latitude": latitude, "longitude": longitude}


class RefSchema(ma.Schema):
    """A reference to another object by its id and name (an organisation, a company, a
    booth category, an occupation): one shape, one OpenAPI component ``Ref``."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ContactSchema(ma.Schema):
    name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)


class LinksSchema(ma.Schema):
    html = fields.String(required=True, metadata={"description": "The public event page."})


class EventSchema(ma.Schema):
    """An event as the API returns it."""

    id = fields.Integer(required=True)
    uid = fields.String(required=True, metadata={"description": "iCalendar UID; never changes."})
    title = fields.String(required=True)
    description = fields.String(required=True)
    type = fields.String(required=True, validate=OneOf(list(EVENT_TYPES)))
    status = fields.String(required=True, validate=OneOf(list(STATUSES)))
    all_day = fields.Boolean(required=True)
    start = LocalDateTime(required=True, metadata={
        "description": "Start in Europe/Berlin with offset, e.g. 2027-03-28T10:00:00+02:00; "
        "for whole-day events the local midnight that begins `first_day`."})
    end = LocalDateTime(required=True, metadata={
        "description": "End (exclusive); for whole-day events the midnight after `last_day`."})
    first_day = fields.Date(required=True, allow_none=True,
                            metadata={"description": "Whole-day events only (else null)."})
    last_day = fields.Date(required=True, allow_none=True,
                           metadata={"description": "Whole-day events only, inclusive."})
    audiences = fields.List(fields.Nested(AudienceSchema), required=True)
    industries = fields.List(fields.String(validate=OneOf(INDUSTRY_CODES)), required=True)
    venue = fields.Nested(VenueSchema, required=True)
    organisation = fields.Nested(RefSchema, required=True)
    contact = fields.Nested(ContactSchema, required=True)
    url = fields.String(required=True, allow_none=True)
    admission_free = fields.Boolean(required=True, metadata={
        "description": "The organiser says admission is free."})
    sequence = fields.Integer(required=True, metadata={
        "description": "iCalendar SEQUENCE: grows with every change a subscriber sees."})
    cancellation_reason = fields.String(required=True, allow_none=True)
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)
    links = fields.Nested(LinksSchema, required=True)

    @pre_dump
    def _plain(self, event, **kwargs):
        return {
            "id": event.id, "uid": event.uid, "title": event.title,
            "description": event.description or "", "type": event.event_type,
            "status": event.status, "all_day": event.all_day,
            "start": event.starts_at, "end": event.ends_at,
            "first_day": event.first_day, "last_day": event.last_day,
            "audiences": event.audiences, "industries": event.industry_codes,
            "venue": event.venue, "organisation": event.organisation,
            "contact": {"name": event.contact_name, "email": event.contact_email,
                        "phone": event.contact_phone},
            "url": event.url, "admission_free": bool(event.admission_free),
            "sequence": event.sequence,
            "cancellation_reason": event.cancellation_reason,
            "created_at": event.created_at, "updated_at": event.updated_at,
            "links": {"html": event_page_url(event)},
        }


class EventListSchema(ma.Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Events matching."})
    pages = fields.Integer(required=True)


# --- input -------------------------------------------------------------------------------


def _codes(codes, description: str) -> fields.List:
    """A repeatable code parameter; documented here, checked by ``EventFilter``."""
    return fields.List(fields.String(metadata={"enum": list(codes)}),
                       metadata={"description": description})


class EventListArgsSchema(ma.Schema):
    """Query parameters of the list; the filters are parsed by ``EventFilter.from_args``,
    the same rules as the calendar pages and the feeds. Unknown parameters are ignored."""

    district = _codes(DISTRICT_CODES, "Repeatable: district=HSK&district=SO.")
    industry = _codes(INDUSTRY_CODES, "Repeatable.")
    audience = _codes(AUDIENCES, "Repeatable.")
    type = _codes(EVENT_TYPES, "Repeatable.")
    occupation = fields.List(
        fields.String(metadata={"type": "integer", "minimum": 1}),
        metadata={"description": "Repeatable ids of apprenticeship occupations (as listed "
                  "by `GET /api/v1/occupations`): fairs where a confirmed exhibitor presents "
                  "at least one of them. An unknown id is refused (422)."})
    grade = fields.List(
        fields.String(metadata={"type": "integer", "minimum": FILTER_GRADES[0],
                                "maximum": FILTER_GRADES[-1]}),
        metadata={"description": "Repeatable school grades 5–13 (grade=8&grade=9&grade=10): "
                  "events for pupils whose grade range contains one of them, and events for "
                  "pupils without a grade range (they are for all grades). Other values are "
                  "refused (422)."})
    from_ = fields.String(data_key="from", metadata={
        "format": "date", "description": "Events that touch this local day or later."})
    to = fields.String(metadata={
        "format": "date", "description": "Events that touch this local day or earlier."})
    page = fields.Integer(load_default=1, validate=Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=Range(1, MAX_PER_PAGE))


class AudienceInputSchema(ma.Schema):
    code = fields.String(required=True, validate=OneOf(list(AUDIENCES)))
    grade_from = fields.Integer(strict=True, allow_none=True,
                                validate=Range(MIN_GRADE, MAX_GRADE),
                                metadata={"description": "Pupils only."})
    grade_to = fields.Integer(strict=True, allow_none=True,
                              validate=Range(MIN_GRADE, MAX_GRADE),
                              metadata={"description": "Pupils only."})


class VenueInputSchema(ma.Schema):
    """A venue given by address; an existing venue of that name in that municipality
    is reused."""

    name = Line(required=True, validate=[Length(1, 200), not_blank])
    street = Line(allow_none=True, validate=Length(max=200))
    postal_code = fields.String(allow_none=True, validate=Regexp(r"^[0-9]{5}$"))
    municipality = Line(required=True, validate=[Length(1, 120), not_blank], metadata={
        "description": "Name (e.g. `Siegen`) or 8-digit official key (AGS) of a "
        "municipality of Südwestfalen."})


class ContactInputSchema(ma.Schema):
    name = Line(allow_none=True, validate=Length(max=120))
    email = fields.Email(allow_none=True, validate=Length(max=254))
    phone = Line(allow_none=True, validate=Length(max=40))


_TIME_HELP = (
    "Timed events: ISO 8601 date and time, e.g. `2027-03-28T10:00:00+02:00`. Without an "
    "offset the time is read as Europe/Berlin local time; a local time skipped by the "
    "daylight-saving change (e.g. 02:30 on the last Sunday of March) is refused (422)."
)


class EventPatchSchema(ma.Schema):
    """Fields of an event; in a PATCH every field is optional and only given ones change.

    Timed events take `start`/`end` (ISO 8601; without an offset the time is read as
    Europe/Berlin local time). Whole-day events take `all_day: true` with
    `first_day`/`last_day`. The venue is `venue_id` or `venue` (an address).
    """

    title = Line(validate=Length(1, 200))
    description = Text(validate=Length(max=5000))
    type = fields.String(validate=OneOf(list(EVENT_TYPES)))
    all_day = fields.Boolean()
    start = LocalDateTime(metadata={"description": _TIME_HELP})
    end = LocalDateTime(metadata={"description": "Like `start`; must be after it."})
    first_day = Day(metadata={"description": "Whole-day events: the first local day."})
    last_day = Day(metadata={"description": "Whole-day events: the last day (inclusive)."})
    audiences = fields.List(fields.Nested(AudienceInputSchema),
                            validate=Length(1, len(AUDIENCES)))
    industries = fields.List(fields.String(validate=OneOf(INDUSTRY_CODES)),
                             validate=Length(1, len(INDUSTRY_CODES)))
    venue_id = _id()
    venue = fields.Nested(VenueInputSchema)
    contact = fields.Nested(ContactInputSchema, allow_none=True)
    url = fields.URL(allow_none=True, schemes={"http", "https"}, validate=Length(max=500))
    admission_free = fields.Boolean()
    clash_acknowledgement = _clash_acknowledgement()

    @validates_schema
    def _consistent(self, data: dict, **kwargs) -> None:
        errors: dict[str, list[str]] = {}
        if "venue_id" in data and "venue" in data:
            errors["venue"] = ["Give either venue_id or venue, not both."]
        if data.get("all_day") is True:
            for name in ("start", "end"):
                if name in data:
                    errors[name] = ["Whole-day events take first_day and last_day."]
        if data.get("all_day") is False:
            for name in ("first_day", "last_day"):
                if name in data:
                    errors[name] = ["Timed events take start and end."]
        if errors:
            raise ValidationError(errors)


class EventCreateSchema(EventPatchSchema):
    """A new event; it starts as a draft unless `status` says otherwise."""

    title = Line(required=True, validate=Length(1, 200))
    type = fields.String(required=True, validate=OneOf(list(EVENT_TYPES)))
    audiences = fields.List(fields.Nested(AudienceInputSchema), required=True,
                            validate=Length(1, len(AUDIENCES)))
    industries = fields.List(fields.String(validate=OneOf(INDUSTRY_CODES)), required=True,
                             validate=Length(1, len(INDUSTRY_CODES)))
    status = fields.String(load_default="draft",
                           validate=OneOf(["draft", "planned", "published"]))
    organisation_id = _id(metadata={
        "description": "Admins only: the organisation the event belongs to. Organisers "
        "always create events of their own organisation."})

    @validates_schema
    def _complete(self, data: dict, **kwargs) -> None:
        errors: dict[str, list[str]] = {}
        if "venue_id" not in data and "venue" not in data:
            errors["venue"] = ["Give venue_id or venue."]
        if data.get("all_day"):
            for name in ("first_day", "last_day"):
                if name not in data:
                    errors[name] = ["Missing data for required field."]
        else:
            for name in ("start", "end"):
                if name not in data:
                    errors[name] = ["Missing data for required field."]
        if errors:
            raise ValidationError(errors)


class StatusInputSchema(ma.Schema):
    """Move an event along draft → planned → published → cancelled."""

    status = fields.String(required=True, validate=OneOf(list(STATUSES)))
    reason = Text(allow_none=True, validate=Length(max=1000),
                  metadata={"description": "Only for `cancelled`: shown to visitors."})
    clash_acknowledgement = _clash_acknowledgement()


class CancelInputSchema(ma.Schema):
    reason = Text(allow_none=True, validate=Length(max=1000),
                  metadata={"description": "Shown to visitors with the cancellation."})
