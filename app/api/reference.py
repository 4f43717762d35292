"""Reference data an API client needs to build filters: the apprenticeship occupations.

The occupation filter of ``GET /api/v1/events`` (and of the calendar and the feeds) takes
occupation ids; this list is where a client finds them.
"""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from app.api.access import in_english
from app.api.auth import protect
from app.extensions import db
from app.reference.models import Occupation

blp = Blueprint(
    "reference", __name__, url_prefix="/api/v1",
    description="Reference data for filters (public).",
)
protect(blp)


class OccupationSchema(ma.Schema):
    id = fields.Integer(required=True, metadata={
        "description": "The value for the `occupation` filter of `GET /api/v1/events`."})
    name = fields.String(required=True, metadata={
        "description": "German name of the occupation, e.g. `Industriemechaniker/-in`."})
    industry = fields.String(required=True, attribute="industry_code", metadata={
        "description": "Industry code, e.g. `METALL`."})


class OccupationListSchema(ma.Schema):
    items = fields.List(fields.Nested(OccupationSchema), required=True)


@blp.get("/occupations")
@blp.response(200, OccupationListSchema)
@blp.doc(security=[])  # public; a token is not read
@in_english
def list_occupations():
    """The apprenticeship occupations, by name.

    Their ids are the values of the `occupation` filter of `GET /api/v1/events`.
    """
    occupations = db.session.execute(select(Occupation).order_by(Occupation.name)).scalars()
    return {"items": list(occupations)}
