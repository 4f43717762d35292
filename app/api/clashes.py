"""``/api/v1/clashes``: list stored clashes, check a planned event, accept and resolve.

Everything here needs an organiser's (or admin's) token: clashes name events that are
not public yet (date reservations).
"""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range
from sqlalchemy import func, select

from app.accounts.models import User
from app.api.access import editable_event, in_english, organisation_for
from app.api.auth import TOKEN, protect, token_user
from app.api.clash_schemas import (
    RULE_HELP,
    BlackoutRefSchema,
    ClashEventSchema,
    FindingSchema,
    LanguagesSchema,
)
from app.api.errors import api_abort, documented_errors
from app.api.event_input import merge_event_fields
from app.api.schemas import (
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    EventCreateSchema,
    Line,
    LocalDateTime,
    Text,
)
from app.calendar import services as calendar
from app.clashes import board as clash_board
from app.clashes import check as clash_check
from app.clashes import explain as clash_explain
from app.clashes import notes as clash_notes
from app.clashes.models import CLASH_STATUSES, Clash
from app.clashes.rules import RULES
from app.extensions import db
from app.reference.codes import DISTRICT_CODES
from app.time import local_today, now_utc

blp = Blueprint(
    "clashes", __name__, url_prefix="/api/v1/clashes",
    description="Date clashes between events (same venue, same or neighbouring district, "
    "too close, public holidays, school holidays). Organisers see the clashes of their "
    "organisation's events, admins all. Each clash explains itself in German and English.",
)
protect(blp)

MAX_WINDOW = 366


# --- schemas -------------------------------------------------------------------------------


class ActionSchema(ma.Schema):
    action = fields.String(required=True)
    at = LocalDateTime(required=True)
    user = fields.String(required=True, allow_none=True,
                         metadata={"description": "Who; null for the nightly scan."})
    note = fields.String(required=True, allow_none=True)

    @ma.pre_dump
    def _plain(self, action, **kwargs):
        user = action.user
        return {"action": action.action, "at": action.at, "note": action.note,
                "user": (user.name or user.email) if user else None}


class ClashSchema(ma.Schema):
    """A stored clash, seen from your organisation's event (`event`)."""

    id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=OneOf(list(RULES)),
                         metadata={"description": RULE_HELP})
    severity = fields.String(required=True, validate=OneOf(["hard", "soft"]))
    status = fields.String(required=True, validate=OneOf(CLASH_STATUSES))
    active = fields.Boolean(required=True, metadata={
        "description": "False when the last scan no longer found the clash."})
    event = fields.Nested(ClashEventSchema, required=True)
    other_event = fields.Nested(ClashEventSchema, required=True, allow_none=True)
    blackout = fields.Nested(BlackoutRefSchema, required=True, allow_none=True)
    holiday = fields.Date(required=True, allow_none=True)
    explanation = fields.Nested(LanguagesSchema, required=True)
    note = fields.String(required=True, allow_none=True)
    decided_at = LocalDateTime(required=True, allow_none=True)
    actions = fields.List(fields.Nested(ActionSchema), required=True)


class ClashListSchema(ma.Schema):
    items = fields.List(fields.Nested(ClashSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class ClashListArgsSchema(ma.Schema):
    status = fields.String(validate=OneOf(CLASH_STATUSES))
    severity = fields.String(validate=OneOf(["hard", "soft"]))
    district = fields.String(validate=OneOf(DISTRICT_CODES))
    event = fields.Integer(validate=Range(1, MAX_ID), metadata={
        "description": "Only clashes of this event."})
    include_gone = fields.Boolean(load_default=False, metadata={
        "description": "Also clashes the last scan no longer found."})
    page = fields.Integer(load_default=1, validate=Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=Range(1, MAX_PER_PAGE))


class CheckInputSchema(EventCreateSchema):
    """An event as you would create it; title and industries may be left out."""

    class Meta:
        exclude = ("status", "clash_acknowledgement")

    title = Line(validate=Length(1, 200))
    industries = fields.List(fields.String(), validate=Length(0, 7))
    event_id = fields.Integer(strict=True, validate=Range(1, MAX_ID), metadata={
        "description": "The event being edited: it is not compared with itself."})
    suggest_days = fields.Integer(strict=True, validate=Range(1, MAX_WINDOW), metadata={
        "description": "Also suggest free dates within this many days."})
    keep_weekday = fields.Boolean(load_default=True)


class CheckResultSchema(ma.Schema):
    clashes = fields.List(fields.Nested(FindingSchema), required=True)
    hard = fields.Integer(required=True)
    soft = fields.Integer(required=True)
    suggestions = fields.List(fields.Date(), required=True, metadata={
        "description": "Free first days (empty unless `suggest_days` was given)."})


class AcceptInputSchema(ma.Schema):
    note = Text(required=True, validate=Length(1, clash_notes.MAX_NOTE))


class ResolveInputSchema(ma.Schema):
    note = Text(allow_none=True, validate=Length(max=clash_notes.MAX_NOTE))


# --- views ---------------------------------------------------------------------------------


def organiser() -> User:
    """Organisers and admins only."""
    user = token_user()
    if user is None:
        api_abort(401)
    if not (user.is_organiser or user.is_admin):
        api_abort(403, "forbidden", "Only organisers see clashes.")
    return user


@blp.get("")
@blp.arguments(ClashListArgsSchema(), location="query", as_kwargs=True)
@blp.response(200, ClashListSchema)
@documented_errors(blp, 401, 403, 422)
@blp.doc(security=TOKEN)
@in_english
def list_clashes(page: int, per_page: int, include_gone: bool, status=None, severity=None,
                 district=None, event=None):
    """Clashes of your organisation's events (admins: all), earliest event first."""
    user = organiser()
    query = clash_board.clashes_for(user, status=status, severity=severity, district=district,
                                event_id=event, include_gone=include_gone)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    items = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)
                               ).scalars().all()
    return {"items": [_dump(clash, user) for clash in items], "page": page,
            "per_page": per_page, "total": total, "pages": (total + per_page - 1) // per_page}


@blp.post("/check")
@blp.arguments(CheckInputSchema(), description="The event as you would create it.")
@blp.response(200, CheckResultSchema)
@documented_errors(blp, 400, 401, 403, 404, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def check(fields_: dict):
    """The clashes a planned event would cause; nothing is stored.

    With `suggest_days`, also the next free first days (same weekday unless
    `keep_weekday` is false) without any clash or holiday warning.
    """
    user = organiser()
    editing = editable_event(fields_["event_id"], user) if "event_id" in fields_ else None
    organisation = (editing.organisation if editing and user.is_admin
                    and "organisation_id" not in fields_
                    else organisation_for(user, fields_.get("organisation_id")))
    data = calendar.EventData(title=fields_.get("title") or "-", event_type=fields_["type"],
                              venue=None, all_day=bool(fields_.get("all_day")))
    merge_event_fields(data, fields_)
    if not data.industries:
        data.industries = ["CROSS"]
    try:
        calendar.validate_event_data(data)
        findings = clash_check.check_candidate(data, organisation,
                                           event_id=editing.id if editing else None)
        suggestions = []
        if "suggest_days" in fields_:
            suggestions = clash_check.suggest_free_dates(
                data, organisation, window_days=fields_["suggest_days"],
                keep_weekday=fields_["keep_weekday"],
                event_id=editing.id if editing else None, today=local_today())
        result = {
            "clashes": findings, "suggestions": suggestions,
            "hard": sum(1 for finding in findings if finding.is_hard),
            "soft": sum(1 for finding in findings if not finding.is_hard),
        }
        CheckResultSchema().dump(result)  # load lazy attributes before the rollback
    finally:
        db.session.rollback()  # a venue given by address is not kept
    return result


@blp.post("/<int:clash_id>/accept")
@blp.arguments(AcceptInputSchema())
@blp.response(200, ClashSchema)
@documented_errors(blp, 400, 401, 403, 404, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def accept(fields_: dict, clash_id: int):
    """Accept the clash with a note: both events go ahead. It stays accepted until one of
    the two events moves."""
    user = organiser()
    clash = _clash(clash_id, user)
    _settle(clash_board.accept, clash, user, fields_["note"])
    return _dump(clash, user)


@blp.post("/<int:clash_id>/resolve")
@blp.arguments(ResolveInputSchema(), required=False)
@blp.response(200, ClashSchema)
@documented_errors(blp, 400, 401, 403, 404, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def resolve(fields_: dict, clash_id: int):
    """Mark the clash as settled, with an optional note."""
    user = organiser()
    clash = _clash(clash_id, user)
    _settle(clash_board.resolve, clash, user, fields_.get("note"))
    return _dump(clash, user)


# --- helpers -------------------------------------------------------------------------------


def _clash(clash_id: int, user: User) -> Clash:
    """The clash if ``user`` may see it; the same 404 otherwise."""
    clash = db.session.get(Clash, clash_id) if 1 <= clash_id <= MAX_ID else None
    if clash is None or not clash_board.can_view(user, clash):
        api_abort(404, "not_found", "No such clash.")
    return clash


def _settle(action, clash: Clash, user: User, note: str | None) -> None:
    action(clash, user, note, now=now_utc())
    db.session.commit()


def _dump(clash: Clash, user: User) -> dict:
    """The clash from the side of the user's own event (the first event for admins)."""
    event, other = clash.event, clash.other_event
    if (other is not None and not user.is_admin
            and event.organisation_id != user.organisation_id):
        event, other = other, event
    return {
        "id": clash.id, "rule": clash.rule, "severity": clash.severity,
        "status": clash.status, "active": clash.active, "event": event,
        "other_event": other, "blackout": clash.blackout_period, "holiday": clash.holiday,
        "explanation": clash_explain.clash_messages(clash, event), "note": clash.note,
        "decided_at": clash.decided_at, "actions": clash.actions,
    }
