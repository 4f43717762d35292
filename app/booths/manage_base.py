"""What the organisers' booth pages share: their blueprint ("manage_booths"), the guard
that admits the fair's organisers, and the order and labels the pages show."""

from __future__ import annotations

from flask import Blueprint, abort
from sqlalchemy import select

from app.booths import services as booths
from app.booths.labels import labels
from app.booths.models import BoothCategory
from app.calendar.models import Event
from app.calendar.pages import event_to_change
from app.extensions import db
from app.reference.models import Industry

bp = Blueprint("manage_booths", __name__)
bp.context_processor(labels)

INVALID = 422
# Statuses in the order the organisers' pages show them.
STATUS_ORDER = ("pending", "offered", "confirmed", "waitlisted", "applied", "rejected",
                "cancelled", "declined", "expired")
# The setup form's fields that a service error names differently.
SETUP_FIELDS = {"opens_at": "opens_time", "closes_at": "closes_time",
                "setup_starts_at": "setup_time", "teardown_ends_at": "teardown_time",
                "priority_groups": "priority_3"}
CATEGORY_FIELDS = {"price_cents": "price"}
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def managed_event(event_id: int) -> Event:
    """The event if the user runs its booth sign-up: 404 when they may not even see it,
    403 when they see it but belong to another organisation."""
    return event_to_change(event_id, booths.can_manage)


def event_category(event: Event, category_id: int) -> BoothCategory:
    category = db.session.get(BoothCategory, category_id) if 0 < category_id < 2**31 else None
    if category is None or category.event_id != event.id:
        abort(404)
    return category


def industry_labels() -> dict[str, str]:
    return {industry.code: industry.label for industry in db.session.execute(
        select(Industry).order_by(Industry.code)).scalars()}
