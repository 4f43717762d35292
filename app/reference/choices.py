"""The reference data as choices of select fields, for every area's forms."""

from __future__ import annotations

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.forms import PLEASE_CHOOSE, options
from app.reference.models import District, Industry, Municipality


def municipality_choices() -> list[SelectChoice]:
    """The region's municipalities grouped by district, for an <optgroup> select."""
    rows = db.session.execute(
        select(Municipality, District.name).join(Municipality.district)
        .order_by(District.name, Municipality.name)
    ).all()
    return options([], blank=PLEASE_CHOOSE) + [
        SelectChoice(str(municipality.id), municipality.name, optgroup=district_name)
        for municipality, district_name in rows
    ]


def industry_choices() -> list[SelectChoice]:
    industries = db.session.execute(select(Industry).order_by(Industry.code)).scalars()
    return options((industry.code, industry.label) for industry in industries)
