"""``/api/v1/events``: list, read, create, change, publish and cancel events.

The views translate JSON to ``calendar.services`` calls and back; every rule lives in
the services, shared with the organiser pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import wraps

from flask import Response, jsonify, request, url_for
from flask_babel import force_locale
from flask_smorest import Blueprint
from sqlalchemy import func, select

from app.accounts.models import Organisation, User
from app.api.auth import OPTIONAL_TOKEN, TOKEN, editor, token_user
from app.api.errors import api_abort, documented_errors, protect
from app.api.schemas import (
    MAX_ID,
    CancelInputSchema,
    EventCreateSchema,
    EventListArgsSchema,
    EventListSchema,
    EventPatchSchema,
    EventSchema,
    StatusInputSchema,
)
from app.booths import services as booths
from app.calendar import filters
from app.calendar import services as calendar
from app.calendar.models import Event, Venue
from app.clashes import notifications as clash_notifications
from app.clashes import services as clashes
from app.extensions import db
from app.reference.models import Municipality

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
WRITE_ERRORS = (400, 401, 403, 404, 413, 415, 422)
HARD_CLASH = 409


def in_english(view):
    """The API speaks English: its codes and field names are English, and messages from
    the services should not switch language with a browser session's preference."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale("en"):
            return view(*args, **kwargs)

    return wrapper


# --- reading -----------------------------------------------------------------------------


@blp.get("")
@blp.arguments(EventListArgsSchema, location="query", as_kwargs=True)
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
    try:
        event_filter = filters.EventFilter.from_args(request.args)
    except filters.FilterError as error:
        api_abort(422, "validation_failed", error.message, fields={error.name: [error.message]})
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
@blp.response(200, EventSchema)
@documented_errors(blp, 401, 404)
@blp.doc(security=OPTIONAL_TOKEN)
@in_english
def get_event(event_id: int):
    """One event; 404 for events that do not exist or that you may not see."""
    return _visible_event(event_id, token_user())


# --- writing -----------------------------------------------------------------------------


@blp.post("")
@blp.arguments(EventCreateSchema, description=CREATE_HELP)
@blp.response(201, EventSchema)
@documented_errors(blp, 400, 401, 403, 409, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def create_event(fields: dict):
    """Create an event of your organisation: a draft, or directly `planned`/`published`.

    409 `hard_clash` when it would clash hard with another event (a draft: only with
    your organisation's); send `clash_acknowledgement` to create it anyway.
    """
    user = editor()
    organisation = _organisation_for(user, fields.get("organisation_id"))
    data = calendar.EventData(
        title="", event_type=fields["type"], venue=None, all_day=bool(fields.get("all_day")),
    )
    _merge(data, fields)
    calendar.validate_event_data(data)  # a broken event is a 422 before any clash
    new = clashes.new_hard_findings(None, data, organisation, status=fields["status"])
    note = fields.get("clash_acknowledgement") if new else None
    if new and note is None:
        return _hard_clash(new)
    event = calendar.create_event(organisation, user, data, via="api")
    if fields["status"] != "draft":
        calendar.change_status(event, user, fields["status"], via="api")
    if new:
        clashes.acknowledge(event, user, new, note, via="api")
    clash_notifications.event_saved(event, user, note=note)
    db.session.commit()
    location = url_for("events.get_event", event_id=event.id, _external=True)
    return event, 201, {"Location": location}


@blp.patch("/<int:event_id>")
@blp.arguments(EventPatchSchema, description=PATCH_HELP)
@blp.response(200, EventSchema)
@documented_errors(blp, *WRITE_ERRORS, HARD_CLASH)
@blp.doc(security=TOKEN)
@in_english
def update_event(fields: dict, event_id: int):
    """Change any subset of an event's fields; the others stay as they are.

    A change that subscribers see raises the SEQUENCE of a published event. Cancelled
    events cannot be changed. 409 `hard_clash` when the change (of time, venue,
    audiences or type) would add a hard clash; send `clash_acknowledgement` to save it
    anyway. A hard clash the event already had does not need it again.
    """
    user = editor()
    event = _editable_event(event_id, user)
    data = _data_of(event)
    _merge(data, fields)
    new = []
    if event.status != "cancelled":  # refused below, whatever it would clash with
        calendar.validate_event_data(data)
        new = clashes.new_hard_findings(event, data, status=event.status)
    note = fields.get("clash_acknowledgement") if new else None
    if new and note is None:
        return _hard_clash(new)
    changes = calendar.update_event(event, user, data, via="api")
    if new:
        clashes.acknowledge(event, user, new, note, via="api")
    if changes:
        clash_notifications.event_saved(event, user, note=note)
    db.session.commit()
    return event


@blp.post("/<int:event_id>/status")
@blp.arguments(StatusInputSchema)
@blp.response(200, EventSchema)
@documented_errors(blp, *WRITE_ERRORS, HARD_CLASH)
@blp.doc(security=TOKEN)
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
    event = _editable_event(event_id, user)
    if fields.get("reason") and fields["status"] != "cancelled":
        api_abort(422, fields={"reason": ["A reason is only given for a cancellation."]})
    new = clashes.status_change_hard_findings(event, fields["status"])
    note = fields.get("clash_acknowledgement") if new else None
    if new and note is None:
        return _hard_clash(new)
    calendar.change_status(event, user, fields["status"], reason=fields.get("reason"),
                           via="api")
    if new:
        clashes.acknowledge(event, user, new, note, via="api")
    clash_notifications.event_saved(event, user, note=note)
    booths.event_cancelled(event, actor=user)  # tells exhibitors at once
    db.session.commit()
    return event


@blp.post("/<int:event_id>/cancel")
@blp.arguments(CancelInputSchema, required=False)
@blp.response(200, EventSchema)
@documented_errors(blp, *WRITE_ERRORS)
@blp.doc(security=TOKEN)
@in_english
def cancel_event(fields: dict, event_id: int):
    """Cancel the event (final). It stays visible, marked cancelled, with the reason."""
    user = editor()
    event = _editable_event(event_id, user)
    calendar.change_status(event, user, "cancelled", reason=fields.get("reason"), via="api")
    clash_notifications.event_saved(event, user)  # its clashes are gone
    booths.event_cancelled(event, actor=user)  # tells exhibitors at once
    db.session.commit()
    return event


# --- helpers -----------------------------------------------------------------------------


def _hard_clash(findings: list) -> Response:
    """409 with the hard clashes the change would cause; nothing is kept (a venue given
    by address included)."""
    from app.api.clashes import FindingSchema  # it builds on this module

    listed = FindingSchema(many=True).dump(findings)  # before the rollback expires them
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


def _visible_event(event_id: int, user: User | None) -> Event:
    """The event if ``user`` may see it; the same 404 otherwise (no existence leak)."""
    event = None
    if 1 <= event_id <= MAX_ID:
        event = db.session.execute(
            calendar.events_query().where(Event.id == event_id)
        ).scalar_one_or_none()
    if event is None or not calendar.can_view(user, event):
        api_abort(404, "not_found", "No such event.")
    return event


def _editable_event(event_id: int, user: User) -> Event:
    event = _visible_event(event_id, user)
    if not calendar.can_edit(user, event):
        api_abort(403, "forbidden", "This event belongs to another organisation.")
    return event


def _organisation_for(user: User, organisation_id: int | None) -> Organisation:
    """Organisers create events of their own organisation; admins name one."""
    if user.is_organiser:
        if organisation_id not in (None, user.organisation_id):
            api_abort(403, "forbidden", "You can only create events of your organisation.")
        return user.organisation
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        api_abort(422, fields={"organisation_id": ["Admins must name an existing "
                                                   "organisation."]})
    return organisation


def _data_of(event: Event) -> calendar.EventData:
    """The event's current values, as the form would show them."""
    grade_from, grade_to = event.pupil_grades
    return calendar.EventData(
        title=event.title, event_type=event.event_type, venue=event.venue,
        all_day=event.all_day, first_day=event.first_day, last_day=event.last_day,
        starts_at=event.starts_at, ends_at=event.ends_at,
        description=event.description or "", audiences=event.audience_codes,
        grade_from=grade_from, grade_to=grade_to, industries=event.industry_codes,
        contact_name=event.contact_name, contact_email=event.contact_email,
        contact_phone=event.contact_phone, url=event.url,
    )


def _merge(data: calendar.EventData, fields: Mapping) -> None:
    """Put the given input fields onto ``data``; fields not given keep their value."""
    simple = {"title": "title", "description": "description", "type": "event_type",
              "all_day": "all_day", "start": "starts_at", "end": "ends_at",
              "first_day": "first_day", "last_day": "last_day", "url": "url"}
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
        _merge_audiences(data, fields["audiences"])
    if "contact" in fields:
        contact = fields["contact"] or {"name": None, "email": None, "phone": None}
        for name in ("name", "email", "phone"):
            if name in contact:
                setattr(data, f"contact_{name}", contact[name])
    if "venue_id" in fields or "venue" in fields:
        data.venue = _venue(fields)


def _merge_audiences(data: calendar.EventData, audiences: list[dict]) -> None:
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


def _venue(fields: Mapping) -> Venue:
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
