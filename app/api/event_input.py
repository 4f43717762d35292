"""An event's fields as the API takes them (JSON), put onto the calendar's EventData."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from app.api.errors import api_abort
from app.calendar import services as calendar
from app.calendar.models import Venue
from app.extensions import db
from app.reference.models import Municipality


def merge_event_fields(data: calendar.EventData, fields: Mapping) -> None:
    """Put the given input fields onto ``data``; fields not given keep their value."""
    simple = {"title": "title", "description": "description", "type": "event_type",
              "all_day": "all_day", "start": "starts_at", "end": "ends_at",
              "first_day": "first_day", "last_day": "last_day", "url": "url",
              "admission_free": "admission_free"}
    for name, attribute in simple.items():
        if name in fields:
            setattr(data, attribute, fields[name])
    misplaced = ("start", "end") if data.all_day else ("first_day", "last_day")
    if wrong := [name for name in misplaced if name in fields]:
        hint = ("Whole-day events take first_day and last_day." if data.all_day
                else "Timed events take start and end (or set all_day to true).")
        api_abort(422, fields={name: [hint] for name in wrong})
    if "industries" in fields:
        data.industries = list(fields["industries"])
    if "audiences" in fields:
        merge_audiences(data, fields["audiences"])
    if "contact" in fields:
        contact = fields["contact"] or {"name": None, "email": None, "phone": None}
        for name in ("name", "email", "phone"):
            if name in contact:
                setattr(data, f"contact_{name}", contact[name])
    if "venue_id" in fields or "venue" in fields:
        data.venue = venue_from(fields)


def merge_audiences(data: calendar.EventData, audiences: list[dict]) -> None:
    data.audiences = [audience["code"] for audience in audiences]
    data.grade_from = data.grade_to = None
    for index, audience in enumerate(audiences):
        has_grades = (audience.get("grade_from") is not None
                      or audience.get("grade_to") is not None)
        if has_grades and audience["code"] != "pupils":
            api_abort(422, fields={f"audiences.{index}": [
                "A grade range only applies to pupils."]})
        if audience["code"] == "pupils":
            data.grade_from, data.grade_to = audience.get("grade_from"), audience.get("grade_to")


def venue_from(fields: Mapping) -> Venue:
    """An existing venue by id, or one found or created from an address."""
    if "venue_id" in fields:
        venue = db.session.get(Venue, fields["venue_id"])
        if venue is None:
            api_abort(422, fields={"venue_id": ["Unknown venue."]})
        return venue
    given = fields["venue"]
    key = given["municipality"].strip()
    column = Municipality.ags if key.isdigit() else func.lower(Municipality.name)
    municipality = db.session.execute(
        select(Municipality).where(column == (key if key.isdigit() else key.lower()))
    ).scalar_one_or_none()
    if municipality is None:
        api_abort(422, fields={"venue.municipality": [
            "Unknown municipality; give the name or official key (AGS) of a "
            "municipality in Südwestfalen."]})
    return calendar.find_or_create_venue(
        given["name"], municipality, given.get("street"), given.get("postal_code")
    )
