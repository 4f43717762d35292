"""How a clash's parts look in the API: the events taking part, blackout periods and the
findings of a check (shared by the clash endpoints and the events' 409 hard_clash)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields
from marshmallow.validate import OneOf

from app.api.schemas import LocalDateTime
from app.clashes.rules import RULES
from app.reference.codes import DISTRICT_CODES, STATUSES

RULE_HELP = ("`same_venue` and `same_district` are hard; `neighbour_district`, "
              "`too_close`, `public_holiday` and `blackout` are soft.")



class LanguagesSchema(ma.Schema):
    de = fields.String(required=True)
    en = fields.String(required=True)


class ClashEventSchema(ma.Schema):
    """An event taking part in a clash, with what organisers need to talk to each other."""

    id = fields.Integer(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True)
    status = fields.String(required=True, validate=OneOf(list(STATUSES)))
    all_day = fields.Boolean(required=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    first_day = fields.Date(required=True, allow_none=True)
    last_day = fields.Date(required=True, allow_none=True)
    venue = fields.String(required=True)
    municipality = fields.String(required=True)
    district = fields.String(required=True, validate=OneOf(DISTRICT_CODES))
    organisation = fields.String(required=True)
    organisation_id = fields.Integer(required=True)
    contact_name = fields.String(required=True, allow_none=True)
    contact_email = fields.String(required=True, allow_none=True)
    contact_phone = fields.String(required=True, allow_none=True)

    @ma.pre_dump
    def _plain(self, event, **kwargs):
        return {
            "id": event.id, "title": event.title, "type": event.event_type,
            "status": event.status, "all_day": event.all_day, "start": event.starts_at,
            "end": event.ends_at, "first_day": event.first_day, "last_day": event.last_day,
            "venue": event.venue.name, "municipality": event.venue.municipality.name,
            "district": event.venue.municipality.district_code,
            "organisation": event.organisation.name,
            "organisation_id": event.organisation_id, "contact_name": event.contact_name,
            "contact_email": event.contact_email, "contact_phone": event.contact_phone,
        }


class BlackoutRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    calendar = fields.String(required=True, attribute="calendar.name")
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)


class FindingSchema(ma.Schema):
    rule = fields.String(required=True, validate=OneOf(list(RULES)),
                         metadata={"description": RULE_HELP})
    severity = fields.String(required=True, validate=OneOf(["hard", "soft"]))
    other_event = fields.Nested(ClashEventSchema, required=True, allow_none=True,
                                attribute="other")
    blackout = fields.Nested(BlackoutRefSchema, required=True, allow_none=True,
                             attribute="period")
    holiday = fields.Date(required=True, allow_none=True)
    explanation = fields.Nested(LanguagesSchema, required=True, attribute="messages")


