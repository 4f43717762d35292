"""``/api/v1/events``: list, read, create, change, publish and cancel events.

The views translate JSON to the event's life cycle (``app.planning.operations``) and
back; every rule lives there and below, shared with the organiser pages.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from flask_smorest import Blueprint
from sqlalchemy import func, select

from app.api.access import editable_event, in_english, organisation_for, visible_event
from app.api.auth import OPTIONAL_TOKEN, TOKEN, editor, protect, token_user
from app.api.clash_schemas import FindingSchema
from app.api.errors import documented_errors
from app.api.event_input import merge_event_fields
from app.api.schemas import (
    CancelInputSchema,
    EventCreateSchema,
    EventListArgsSchema,
    EventListSchema,
    EventPatchSchema,
    EventSchema,
    StatusInputSchema,
)
from app.api.versions import ETAG_HEADER, IF_MATCH, expected_version, with_etag
from app.calendar import filters
from app.calendar import services as calendar
from app.extensions import db
from app.planning import operations
from app.time import now_utc

blp = Blueprint(
    "events", __name__, url_prefix="/api/v1/events",
    description="Training fairs and recruiting events. Reading is public (published and "
    "cancelled events); with a token you also see what your account may see. Changes "
    "need an organiser's (or admin's) token.",
)
protect(blp)

INPUT_HELP = (
    "Timed events take `start`/`end` (ISO 8601; without an offset the time is read as "
    "Europe/Berlin local time). Whole-day events take `all_day: true` with "
    "`first_day`/`last_day` (inclusive). The venue is `venue_id` or `venue` (an address "
    "whose `municipality` is a name or official key). `audiences` are objects "
    "`{code, grade_from, grade_to}`; only `pupils` may carry a grade range. Unknown "
    "fields are refused."
)
CLASH_HELP = (
    " A change that would cause a hard clash the event did not have before (same venue, or "
    "same district for the same audience, at the same time) is refused with 409 "
    "`hard_clash`, listing the clashes in `error.clashes`, and nothing is saved; repeat "
    "it with `clash_acknowledgement` (a note why the event goes ahead) to save it anyway. "
    "A draft clashes only with its own organisation's events; reserving or publishing it "
    "makes the others' count."
)
CREATE_HELP = "A new event; it is a draft unless `status` says otherwise. " + INPUT_HELP \
    + CLASH_HELP
PATCH_HELP = "Only the fields given change; a list (audiences, industries) is replaced " \
    "as a whole. " + INPUT_HELP + CLASH_HELP
READ_ERRORS = (401,)
WRITE_ERRORS = (400, 401, 403, 404, 412, 413, 415, 422)
HARD_CLASH = 409


# --- reading -----------------------------------------------------------------------------


@blp.get("")
@blp.arguments(EventListArgsSchema(), location="query", as_kwargs=True)
@blp.response(200, EventListSchema)
@documented_errors(blp, *READ_ERRORS)
@blp.doc(security=OPTIONAL_TOKEN)
@in_english
def list_events(page: int, per_page: int, **_filters):
    """List events, soonest first, filtered like the calendar pages.

    Without a token: published and cancelled events. Organisers also see every
    organisation's planned events and their own drafts.
    """
    user = token_user()
    event_filter = filters.EventFilter.from_args(request.args)
    query = calendar.visible_events(user, event_filter)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    items = db.session.execute(
        query.limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}


@blp.get("/<int:event_id>")
@blp.response(200, EventSchema, headers=ETAG_HEADER)
@documented_errors(blp, 401, 404)
@blp.doc(security=OPTIONAL_TOKEN)
@in_english
def get_event(event_id: int):
    """One event; 404 for events that do not exist or that you may not see.

    The `ETag` header is the event's version: send it as `If-Match` with a change.
    """
    event = visible_event(event_id, token_user())
    return event, 200, with_etag(event)


# --- writing -----------------------------------------------------------------------------


@blp.post("")
@blp.arguments(EventCreateSchema(), description=CREATE_HELP)
@blp.response(201, EventSchema, headers=ETAG_HEADER)
@documented_errors(blp, 400, 401, 403, 409, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def create_event(fields: dict):
    """Create an event of your organisation: a draft, or directly `planned`/`published`.

    409 `hard_clash` when it would clash hard with another event (a draft: only with
    your organisation's); send `clash_acknowledgement` to create it anyway.
    """
    user = editor()
    organisation = organisation_for(user, fields.get("organisation_id"))
    data = calendar.EventData(
        title="", event_type=fields["type"], venue=None, all_day=bool(fields.get("all_day")),
    )
    merge_event_fields(data, fields)
    event = operations.create_event(
        organisation, user, data, now=now_utc(), status=fields["status"],
        clash_note=fields.get("clash_acknowledgement"), via="api")
    db.session.commit()
    location = url_for("events.get_event", event_id=event.id, _external=True)
    return event, 201, {"Location": location, **with_etag(event)}


@blp.patch("/<int:event_id>")
@blp.arguments(EventPatchSchema(), description=PATCH_HELP)
@blp.response(200, EventSchema, headers=ETAG_HEADER)
@documented_errors(blp, *WRITE_ERRORS, HARD_CLASH)
@blp.doc(security=TOKEN, parameters=[IF_MATCH])
@in_english
def update_event(fields: dict, event_id: int):
    """Change any subset of an event's fields; the others stay as they are.

    A change that subscribers see raises the SEQUENCE of a published event. Cancelled
    events cannot be changed. 409 `hard_clash` when the change (of time, venue,
    audiences or type) would add a hard clash; send `clash_acknowledgement` to save it
    anyway. A hard clash the event already had does not need it again.
    """
    user = editor()
    event = editable_event(event_id, user)
    data = calendar.event_data(event)
    merge_event_fields(data, fields)
    operations.update_event(event, user, data, now=now_utc(),
                            clash_note=fields.get("clash_acknowledgement"), via="api",
                            version=expected_version(event))
    db.session.commit()
    return event, 200, with_etag(event)


@blp.post("/<int:event_id>/status")
@blp.arguments(StatusInputSchema())
@blp.response(200, EventSchema, headers=ETAG_HEADER)
@documented_errors(blp, *WRITE_ERRORS, HARD_CLASH)
@blp.doc(security=TOKEN, parameters=[IF_MATCH])
@in_english
def change_status(fields: dict, event_id: int):
    """Move the event along draft → planned (date reserved) → published → cancelled.

    Allowed: draft ↔ planned, draft/planned → published, any → cancelled (final).
    A draft clashes only with its own organisation's events: reserving or publishing it
    makes the others' count, so it may cause a hard clash. Then the answer is 409
    `hard_clash` with the clashes, and the status stays; send `clash_acknowledgement`
    to go ahead anyway.
    """
    user = editor()
    event = editable_event(event_id, user)
    operations.change_status(event, user, fields["status"], now=now_utc(),
                             reason=fields.get("reason"),
                             clash_note=fields.get("clash_acknowledgement"), via="api",
                             version=expected_version(event))
    db.session.commit()
    return event, 200, with_etag(event)


@blp.post("/<int:event_id>/cancel")
@blp.arguments(CancelInputSchema(), required=False)
@blp.response(200, EventSchema, headers=ETAG_HEADER)
@documented_errors(blp, *WRITE_ERRORS)
@blp.doc(security=TOKEN, parameters=[IF_MATCH])
@in_english
def cancel_event(fields: dict, event_id: int):
    """Cancel the event (final). It stays visible, marked cancelled, with the reason."""
    user = editor()
    event = editable_event(event_id, user)
    operations.cancel_event(event, user, now=now_utc(), reason=fields.get("reason"), via="api",
                            version=expected_version(event))
    db.session.commit()
    return event, 200, with_etag(event)


@blp.errorhandler(operations.HardClash)
def hard_clash(error: operations.HardClash) -> Response:
    """409 with the hard clashes the change would cause; nothing is kept (a venue given
    by address included)."""
    listed = FindingSchema(many=True).dump(error.findings)  # before the rollback expires them
    db.session.rollback()
    response = jsonify({"error": {
        "code": "hard_clash",
        "message": "This would cause a hard clash with another event (see 'clashes'); "
                   "nothing was saved. To go ahead anyway, repeat the request with "
                   "'clash_acknowledgement': a note why the event takes place despite the "
                   "clash.",
        "fields": {"clash_acknowledgement": ["Needed to go ahead despite the hard clash."]},
        "clashes": listed,
    }})
    response.status_code = HARD_CLASH
    return response
