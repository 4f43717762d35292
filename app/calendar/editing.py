"""Organiser pages: list, create, edit, publish and cancel the organisation's events."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, timedelta
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.views import page_helpers
from app.booths import services as booths
from app.calendar import services as calendar
from app.calendar.forms import EventForm, StatusForm
from app.calendar.models import Event, Venue
from app.clashes import notifications as clash_notifications
from app.clashes import services as clashes
from app.clashes.forms import StatusAcknowledgementForm
from app.extensions import db
from app.forms import put_errors
from app.i18n import format_day
from app.reference.codes import AUDIENCES, EVENT_TYPES, STATUSES
from app.reference.models import Municipality
from app.time import NonexistentLocalTime, local_to_utc, to_local

bp = Blueprint("editing", __name__, url_prefix="/manage")
bp.context_processor(page_helpers)

INVALID = 422
STATUS_ORDER = ("draft", "planned", "published", "cancelled")
# The service's field names where the form calls them differently.
FORM_FIELDS = {"starts_at": "start_time", "ends_at": "end_time", "venue": "venue_name"}
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
}
ACTION_LABELS = {
    "created": _l("created"), "updated": _l("changed"), "draft": _l("back to draft"),
    "planned": _l("date reserved"), "published": _l("published"), "cancelled": _l("cancelled"),
    clashes.ACKNOWLEDGED: _l("saved despite a hard clash"),
}
# How a change came in, where not through these pages.
VIA_LABELS = {"api": _l("through the API"), "seed": _l("demo data")}


@bp.before_request
@login_required
def require_organiser():
    """Only organisers and admins manage events (anonymous visitors are sent to log in)."""
    if not (current_user.is_organiser or current_user.is_admin):
        abort(403)


@bp.context_processor
def labels() -> dict:
    return {"statuses": STATUSES, "event_types": EVENT_TYPES, "audience_labels": AUDIENCES,
            "field_labels": FIELD_LABELS, "action_labels": ACTION_LABELS,
            "via_labels": VIA_LABELS,
            "status_actions": STATUS_ACTIONS}


def editable_event(event_id: int) -> Event:
    """The event if the user may change it: 404 when they may not even see it, else 403."""
    event = db.get_or_404(Event, event_id)
    if not calendar.can_view(current_user, event):
        abort(404)
    if not calendar.can_edit(current_user, event):
        abort(403)
    return event


@bp.get("/")
def index():
    """The organisation's events (an admin's: all), grouped by status."""
    query = calendar.events_query()
    if not current_user.is_admin:
        query = query.where(Event.organisation_id == current_user.organisation_id)
    events = db.session.execute(query).scalars().all()
    groups = {status: [event for event in events if event.status == status]
              for status in STATUS_ORDER}
    return render_template("calendar/manage/index.html", groups=groups,
                           open_clashes=clashes.open_count(current_user),
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
    review = None
    if form.is_submitted():
        if only_checking(form):
            return render_form(form, None, review_clashes(form, organisation, None,
                                                          checked=True))
        data = checked_event_data(form)
        if data is not None:
            findings = clashes.check_candidate(data, organisation)
            review = ClashReview(findings, needs_ack=bool(clashes.new_hard_findings(
                None, data, organisation, findings=findings)), complete=True)
            try:
                if not acknowledged(form, review):
                    raise calendar.EventError([])
                event = calendar.create_event(organisation, current_user, data)
                if review.needs_ack:
                    clashes.acknowledge(event, current_user, findings, form.clash_note.data)
                clash_notifications.event_saved(event, current_user)
            except calendar.EventError as error:
                db.session.rollback()
                form.form_errors.extend(put_errors(form, error.errors, FORM_FIELDS))
                review = review_clashes(form, organisation, None)
            else:
                db.session.commit()
                flash(_("The event “%(title)s” is saved as a draft.", title=event.title),
                      "success")
                return redirect(url_for("editing.edit_event", event_id=event.id))
    elif request.method == "GET":
        form.audiences.data = ["pupils"]
    if form.is_submitted() and review is None:
        review = review_clashes(form, organisation, None)
    return render_form(form, None, review)


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
            findings = clashes.check_candidate(data, event.organisation, event_id=event.id)
            review = ClashReview(findings, needs_ack=bool(clashes.new_hard_findings(
                event, data, findings=findings)), complete=True)
            try:
                if not acknowledged(form, review):
                    raise calendar.EventError([])
                changes = calendar.update_event(event, current_user, data)
                if review.needs_ack:
                    clashes.acknowledge(event, current_user, findings, form.clash_note.data)
                if changes:
                    clash_notifications.event_saved(
                        event, current_user,
                        note=form.clash_note.data if review.needs_ack else None)
            except calendar.EventError as error:
                db.session.rollback()
                form.form_errors.extend(put_errors(form, error.errors, FORM_FIELDS))
                review = review_clashes(form, event.organisation, event)
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
    if event.status != "cancelled" and review is None:
        review = review_clashes(form, event.organisation, event, with_suggestions=bool(
            form.is_submitted() or request.args.get("suggest") or confirm))
    return render_form(form, event, review, confirm)


def render_form(form: EventForm, event: Event | None, review: ClashReview | None = None,
                confirm: StatusConfirmation | None = None):
    status = INVALID if request.method == "POST" and not (review and review.checked) else 200
    return render_template(
        "calendar/manage/event_form.html", form=form, event=event, review=review,
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
    new = clashes.status_change_hard_findings(event, form.status.data)
    if new and "clash_note" not in request.form:
        # A plain status button: the edit page shows the clashes and asks to confirm.
        flash(_("“%(title)s” would clash hard with another organisation's event. Please "
                "confirm that it goes ahead, or choose another date.", title=event.title),
              "warning")
        return redirect(url_for("editing.edit_event", event_id=event.id,
                                confirm=form.status.data) + "#status-confirm")
    if new and not acknowledged(form, ClashReview(needs_ack=True)):
        edit_form = EventForm(formdata=None, data=form_values(event))
        return render_form(edit_form, event, review_clashes(edit_form, event.organisation,
                                                            event),
                           StatusConfirmation(form.status.data, new, form))
    note = form.clash_note.data if new else None
    try:
        calendar.change_status(event, current_user, form.status.data,
                               reason=form.reason.data or None)
        if new:
            clashes.acknowledge(event, current_user, new, note)
        clash_notifications.event_saved(event, current_user, note=note)
        booths.event_cancelled(event, actor=current_user)  # tells exhibitors at once
    except calendar.EventError as error:
        db.session.rollback()
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("“%(title)s” is now: %(status)s.", title=event.title,
            status=STATUSES[event.status]), "success")
    return redirect(back)


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
        form.form_errors.extend(put_errors(form, fresh, FORM_FIELDS))
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


def already_marked(form: EventForm, name: str) -> bool:
    """A field the form already marked keeps its first, more precise message."""
    if name in ("starts_at", "ends_at", "first_day", "last_day"):
        schedule = (form.first_day, form.last_day) if form.all_day.data else (
            form.day, form.start_time, form.end_time, form.end_day)
        return any(field.errors for field in schedule)
    field = form._fields.get(FORM_FIELDS.get(name, name))
    return field is not None and bool(field.errors)


def event_data(form: EventForm) -> calendar.EventData:
    """Whatever the form holds as the service's EventData (without the venue).

    Local times become UTC here; a time that the switch to summer time skips is marked
    on its field instead.
    """
    data = calendar.EventData(
        title=form.title.data or "", event_type=form.event_type.data or "",
        venue=None, all_day=bool(form.all_day.data),
        description=form.description.data or "",
        audiences=list(form.audiences.data or []),
        grade_from=form.grade_from.data, grade_to=form.grade_to.data,
        industries=list(form.industries.data or []),
        contact_name=form.contact_name.data or None,
        contact_email=form.contact_email.data or None,
        contact_phone=form.contact_phone.data or None, url=form.url.data or None,
    )
    if data.all_day:
        data.first_day, data.last_day = form.first_day.data, form.last_day.data
        return data
    moments = []
    for field, day in ((form.start_time, form.day.data),
                       (form.end_time, form.end_day.data or form.day.data)):
        if day is None or field.data is None:
            moments.append(None)
            continue
        try:
            moments.append(local_to_utc(day, field.data))
        except NonexistentLocalTime:
            field.errors.append(_(
                "This time does not exist on %(day)s: the clocks skip it when summer time "
                "begins. Please choose another time.", day=format_day(day, "medium"),
            ))
            moments.append(None)
    data.starts_at, data.ends_at = moments
    return data


def form_values(event: Event) -> dict:
    """An event as the form's initial values (local dates and times)."""
    grade_from, grade_to = event.pupil_grades
    values = {
        "title": event.title, "event_type": event.event_type,
        "description": event.description, "audiences": event.audience_codes,
        "grade_from": grade_from, "grade_to": grade_to, "industries": event.industry_codes,
        "venue_name": event.venue.name, "venue_street": event.venue.street,
        "municipality": str(event.venue.municipality_id), "all_day": event.all_day,
        "contact_name": event.contact_name, "contact_email": event.contact_email,
        "contact_phone": event.contact_phone, "url": event.url,
    }
    if event.all_day:
        values.update(first_day=event.first_day, last_day=event.last_day)
    else:
        start, end = to_local(event.starts_at), to_local(event.ends_at)
        values.update(day=start.date(), start_time=start.time(), end_time=end.time(),
                      end_day=end.date() if end.date() != start.date() else None)
    return values


def audit_trail(event: Event) -> list:
    """The event's changes, newest first."""
    return sorted(event.changes, key=lambda change: change.id, reverse=True)



# --- clashes on the event form ----------------------------------------------------------


@dataclasses.dataclass
class ClashReview:
    """What the clash check says about the form's event: the findings (hard first), free
    dates, and whether saving needs the organiser's acknowledgement."""

    findings: list = dataclasses.field(default_factory=list)
    suggestions: list[date] = dataclasses.field(default_factory=list)
    needs_ack: bool = False
    checked: bool = False  # the organiser only asked for a check (nothing saved)
    complete: bool = False  # date, place and audiences were there to check
    draft: bool = False  # a saved draft: other organisers do not see its clashes yet

    @property
    def hard(self) -> list:
        return clashes.hard_findings(self.findings)


def only_checking(form: EventForm) -> bool:
    """The "Check for clashes" button or a suggested date: check, never save."""
    if request.form.get("use_date"):
        with contextlib.suppress(ValueError):
            use_date(form, date.fromisoformat(request.form["use_date"][:10]))
        return True
    return bool(request.form.get("check"))


def use_date(form: EventForm, day: date) -> None:
    """Move the form's schedule to start on ``day`` (same length, same times)."""
    def put(field, value):
        field.data = value
        field.raw_data = [value.isoformat()] if value else []

    if form.all_day.data:
        length = (form.last_day.data - form.first_day.data
                  if form.first_day.data and form.last_day.data else timedelta(0))
        put(form.first_day, day)
        put(form.last_day, day + max(length, timedelta(0)))
    else:
        if form.end_day.data and form.day.data:
            put(form.end_day, day + (form.end_day.data - form.day.data))
        put(form.day, day)


def candidate_data(form: EventForm, organisation) -> calendar.EventData | None:
    """The form's when, where and for whom, even before the rest is filled in; the venue
    is looked up but never created (a new venue has no clashes of its own)."""
    data = event_data(form)
    try:
        municipality_id = int(form.municipality.data or 0)
    except ValueError:
        return None
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    if municipality is None or organisation is None:
        return None
    name = (form.venue_name.data or "").strip()
    if any(ord(char) < 32 for char in name) or len(name) > 200:
        name = ""  # refused by the form anyway; PostgreSQL would refuse a NUL in a query
    venue = db.session.execute(
        select(Venue).where(Venue.municipality_id == municipality.id, Venue.name == name)
    ).scalar_one_or_none() if name else None
    data.venue = venue or SimpleNamespace(id=None, municipality=municipality)
    return data


def review_clashes(form: EventForm, organisation, event: Event | None, *,
                   with_suggestions: bool = True, checked: bool = False) -> ClashReview:
    """Check the form's event without saving anything."""
    data = candidate_data(form, organisation)
    review = ClashReview(checked=checked, draft=event is not None and event.status == "draft")
    if data is None or clashes.candidate_times(data) is None:
        return review
    event_id = event.id if event else None
    review.complete = True
    review.findings = clashes.check_candidate(data, organisation, event_id=event_id)
    review.needs_ack = bool(review.hard) and bool(clashes.new_hard_findings(
        event, data, organisation, findings=review.findings))
    if review.findings and with_suggestions:
        review.suggestions = clashes.suggest_free_dates(data, organisation, event_id=event_id)
    return review


def acknowledged(form: EventForm | StatusAcknowledgementForm, review: ClashReview) -> bool:
    """A hard clash is saved only with the box ticked and a note; marks what is missing."""
    if not review.needs_ack:
        return True
    ok = True
    if not form.clash_acknowledged.data:
        form.clash_acknowledged.errors = [*form.clash_acknowledged.errors, _(
            "Please confirm that the event goes ahead despite the hard clash, or choose "
            "another date.") if isinstance(form, StatusAcknowledgementForm) else _(
            "The event clashes hard with another one. Please confirm that you want to save "
            "it anyway, or choose another date.")]
        ok = False
    if not (form.clash_note.data or "").strip():
        form.clash_note.errors = [*form.clash_note.errors, _(
            "Please say in a note why the event goes ahead despite the clash.")]
        ok = False
    return ok


# --- reserving or publishing despite a hard clash ------------------------------------------


@dataclasses.dataclass
class StatusConfirmation:
    """A status change waiting for the organiser's acknowledgement: the new status, the
    hard clashes it would add and the form with the tick box and the note."""

    status: str
    findings: list
    form: StatusAcknowledgementForm


def status_confirmation(event: Event, status: str) -> StatusConfirmation | None:
    """The confirmation to show on the edit page for ``status`` (``?confirm=``), if the
    change is possible and still adds a hard clash."""
    if status not in calendar.TRANSITIONS.get(event.status, ()):
        return None
    new = clashes.status_change_hard_findings(event, status)
    if not new:
        return None
    return StatusConfirmation(status, new, StatusAcknowledgementForm(formdata=None,
                                                                     status=status))
