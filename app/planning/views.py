"""The organiser's event pages: list, create, edit, reserve, publish and cancel the
organisation's events, and the form's live clash check. Each save is an operation of
``app.planning.operations``; these views translate forms and show what it says."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.auth import require_organiser
from app.calendar import services as calendar
from app.calendar.models import Event
from app.calendar.pages import event_to_change
from app.clashes import board as clash_board
from app.clashes import check as clash_check
from app.errors import DomainError
from app.extensions import db
from app.forms import put_errors
from app.planning import operations
from app.planning.clash_review import (
    ClashReview,
    StatusConfirmation,
    clash_note,
    mark_missing_acknowledgement,
    only_checking,
    review_clashes,
    status_confirmation,
)
from app.planning.forms import (
    FORM_FIELDS,
    EventForm,
    StatusAcknowledgementForm,
    StatusForm,
    already_marked,
    event_data,
    form_values,
)
from app.reference.codes import AUDIENCES, EVENT_TYPES, STATUSES
from app.reference.models import Municipality
from app.routing import parse_id
from app.time import now_utc
from app.versions import VersionConflict, differing_fields

bp = Blueprint("editing", __name__, url_prefix="/manage")
bp.before_request(require_organiser)

INVALID = 422
STATUS_ORDER = ("draft", "planned", "published", "cancelled")
# The buttons for each move of the status, in the order they are shown.
STATUS_ACTIONS = {
    "planned": _l("Reserve the date"),
    "published": _l("Publish"),
    "draft": _l("Back to draft"),
    "cancelled": _l("Cancel the event"),
}
FIELD_LABELS = {
    "title": _l("Title"), "description": _l("Description"), "event_type": _l("Kind of event"),
    "all_day": _l("Whole day"), "starts_at": _l("Start"), "ends_at": _l("End"),
    "venue_id": _l("Venue"), "url": _l("Web page"), "status": _l("Status"),
    "audiences": _l("Audiences"), "industries": _l("Industries"),
    "contact_name": _l("Contact person"), "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"), "reason": _l("Reason"),
    "admission_free": _l("Admission is free"),
}
ACTION_LABELS = {
    "created": _l("created"), "updated": _l("changed"), "draft": _l("back to draft"),
    "planned": _l("date reserved"), "published": _l("published"), "cancelled": _l("cancelled"),
    clash_check.ACKNOWLEDGED: _l("saved despite a hard clash"),
}
# How a change came in, where not through these pages.
VIA_LABELS = {"api": _l("through the API"), "seed": _l("demo data")}


@bp.context_processor
def labels() -> dict:
    return {"statuses": STATUSES, "event_types": EVENT_TYPES, "audience_labels": AUDIENCES,
            "field_labels": FIELD_LABELS, "action_labels": ACTION_LABELS,
            "via_labels": VIA_LABELS,
            "status_actions": STATUS_ACTIONS}


def editable_event(event_id: int) -> Event:
    """The event if the user may change it: 404 when they may not even see it, else 403."""
    return event_to_change(event_id, calendar.can_edit)


@bp.get("/")
def index():
    """The organisation's events (an admin's: all), grouped by status."""
    query = calendar.events_query()
    if not current_user.is_admin:
        query = query.where(Event.organisation_id == current_user.organisation_id)
    events = db.session.execute(query).scalars().all()
    groups = {status: [event for event in events if event.status == status]
              for status in STATUS_ORDER}
    return render_template("planning/index.html", groups=groups,
                           open_clashes=clash_board.open_count(current_user),
                           status_form=StatusForm(formdata=None),
                           transitions=calendar.TRANSITIONS)


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    """Create a draft event of the user's organisation."""
    if current_user.organisation is None:
        flash(_("Only organisers of an organisation can create events."), "warning")
        return redirect(url_for("editing.index"))
    form = EventForm()
    organisation = current_user.organisation
    if form.is_submitted():
        if only_checking(form):
            return render_form(form, None, review_clashes(form, organisation, None,
                                                          checked=True))
        data = checked_event_data(form)
        if data is not None:
            try:
                event = operations.create_event(
                    organisation, current_user, data, now=now_utc(),
                    clash_note=clash_note(form), judge_as_planned=True)
            except DomainError as error:
                refused(form, error)
            else:
                db.session.commit()
                flash(_("The event “%(title)s” is saved as a draft.", title=event.title),
                      "success")
                return redirect(url_for("editing.edit_event", event_id=event.id))
        return render_form(form, None, review_clashes(form, organisation, None))
    form.audiences.data = ["pupils"]
    return render_form(form, None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int):
    """Change an event; a published event's SEQUENCE grows so subscribers update."""
    event = editable_event(event_id)
    form = EventForm(data=form_values(event) if request.method == "GET" else None)
    review = None
    if form.is_submitted():
        if only_checking(form):
            return render_form(form, event, review_clashes(form, event.organisation, event,
                                                           checked=True))
        data = checked_event_data(form)
        if data is not None:
            try:
                changes = operations.update_event(
                    event, current_user, data, now=now_utc(), clash_note=clash_note(form),
                    judge_as_planned=True, version=form.version.data)
            except VersionConflict:
                return render_conflict(form, event)
            except DomainError as error:
                refused(form, error)
            else:
                db.session.commit()
                if changes:
                    flash(_("Your changes are saved."), "success")
                else:
                    flash(_("Nothing was changed."), "info")
                return redirect(url_for("editing.edit_event", event_id=event.id))
    confirm = None
    if request.method == "GET" and request.args.get("confirm"):
        confirm = status_confirmation(event, request.args["confirm"])
    if event.status != "cancelled":
        review = review_clashes(form, event.organisation, event, with_suggestions=bool(
            form.is_submitted() or request.args.get("suggest") or confirm))
    return render_form(form, event, review, confirm)


def render_conflict(form: EventForm, event: Event):
    """Someone saved the event since this form was opened: nothing is kept; the form comes
    back with the user's values, each field saved differently meanwhile shown with both
    values. Saving again (the form now carries the new version) takes the user's values;
    the link keeps the other's."""
    db.session.rollback()
    conflicts = differing_fields(form, form_values(event))
    form.version.data = event.version
    response, _status = render_form(form, event, conflicts=conflicts)
    return response, 409


def refused(form: EventForm | StatusAcknowledgementForm, error: DomainError) -> None:
    """Nothing is kept; the form says why (a hard clash: what its acknowledgement lacks)."""
    db.session.rollback()
    if isinstance(error, operations.HardClash):
        mark_missing_acknowledgement(form)
    else:
        put_errors(form, error, FORM_FIELDS)


def render_form(form: EventForm, event: Event | None, review: ClashReview | None = None,
                confirm: StatusConfirmation | None = None, conflicts: list | None = None):
    status = INVALID if request.method == "POST" and not (review and review.checked) else 200
    return render_template(
        "planning/event_form.html", form=form, event=event, review=review, conflicts=conflicts,
        status_form=StatusForm(formdata=None), confirm=confirm,
        changes=audit_trail(event) if event else [],
        next_statuses=sorted(calendar.TRANSITIONS[event.status], key=list(STATUS_ACTIONS).index)
        if event else [],
    ), status


@bp.post("/events/<int:event_id>/status")
def change_status(event_id: int):
    """Publish, reserve, move back to draft or cancel an event."""
    event = editable_event(event_id)
    form = StatusAcknowledgementForm()
    back = (url_for("editing.index") if form.back_to.data == "index"
            else url_for("editing.edit_event", event_id=event.id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    confirming = "clash_note" in request.form
    try:
        operations.change_status(event, current_user, form.status.data, now=now_utc(),
                                 reason=form.reason.data or None,
                                 clash_note=clash_note(form) if confirming else None,
                                 version=form.version.data)
    except VersionConflict as error:
        db.session.rollback()
        flash(error.message, "warning")
        return redirect(url_for("editing.edit_event", event_id=event.id))
    except operations.HardClash as error:
        db.session.rollback()
        if not confirming:
            # A plain status button: the edit page shows the clashes and asks to confirm.
            flash(_("“%(title)s” would clash hard with another organisation's event. Please "
                    "confirm that it goes ahead, or choose another date.", title=event.title),
                  "warning")
            return redirect(url_for("editing.edit_event", event_id=event.id,
                                    confirm=form.status.data) + "#status-confirm")
        mark_missing_acknowledgement(form)
        return render_confirmation(event, StatusConfirmation(form.status.data, error.findings,
                                                             form))
    except DomainError as error:
        db.session.rollback()
        if confirming and any(name == "note" for name, _message in error.errors):
            put_errors(form, error, FORM_FIELDS)
            return render_confirmation(event, StatusConfirmation(
                form.status.data, clash_check.status_change_hard_findings(
                    event, form.status.data), form))
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("“%(title)s” is now: %(status)s.", title=event.title,
            status=STATUSES[event.status]), "success")
    return redirect(back)


def render_confirmation(event: Event, confirm: StatusConfirmation):
    """The edit page with the status confirmation marked where it is incomplete."""
    edit_form = EventForm(formdata=None, data=form_values(event))
    return render_form(edit_form, event, review_clashes(edit_form, event.organisation, event),
                       confirm)


def checked_event_data(form: EventForm) -> calendar.EventData | None:
    """Check the form's shape and the business rules together, so that every mistake is
    marked at once; the EventData (with its venue) when all is well, else None."""
    valid = form.validate()
    data = event_data(form)
    try:
        calendar.validate_event_data(data)
    except calendar.EventError as error:
        fresh = [(name, message) for name, message in error.errors
                 if not already_marked(form, name)]
        put_errors(form, calendar.EventError(fresh), FORM_FIELDS)
    if not valid or form.errors:
        return None
    municipality = db.session.get(Municipality, int(form.municipality.data))
    if municipality is None:
        form.municipality.errors.append(_("Please choose the town or municipality."))
        return None
    data.venue = calendar.find_or_create_venue(
        form.venue_name.data, municipality, form.venue_street.data or None
    )
    return data


def audit_trail(event: Event) -> list:
    """The event's changes, newest first."""
    return sorted(event.changes, key=lambda change: change.id, reverse=True)


@bp.post("/events/clash-check", endpoint="clash_check")
def live_clash_check():
    """The clashes the event form's current values would cause (JSON with the rendered
    warnings); nothing is stored. CSRF-protected like every POST (X-CSRFToken header)."""
    event = None
    event_id = parse_id(request.form.get("event_id"))
    if event_id:
        event = db.session.get(Event, event_id)
        if event is None or not calendar.can_edit(current_user, event):
            abort(404)
    organisation = event.organisation if event else current_user.organisation
    if organisation is None:
        return jsonify(hard=0, soft=0, html="")
    form = EventForm(meta={"csrf": False})
    review = review_clashes(form, organisation, event)
    html = render_template("clashes/_review.html", review=review, form=form, live=True)
    inline = render_template("clashes/_inline.html", review=review)
    result = jsonify(hard=len(review.hard), soft=len(review.findings) - len(review.hard),
                     suggestions=[day.isoformat() for day in review.suggestions], html=html,
                     inline=inline)
    db.session.rollback()
    return result
