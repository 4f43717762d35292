"""Teachers' pages (no account): register classes for a fair, then everything through the
mailed link — confirm, change the numbers, move to another slot, cancel, the .ics.

A link page is never cached or indexed and sends no referrer; a forged link is a 404
page, an expired one a 410 page, both saying what to do instead.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from app.calendar.models import Event
from app.calendar.services import can_view
from app.extensions import db, limiter
from app.forms import put_errors
from app.i18n import current_language
from app.security import client_address
from app.templating import viewer
from app.time import now_utc, to_local
from app.visits import services as visits
from app.visits.codes import HOLD_FOR, MAX_CLASSES_PER_REGISTRATION
from app.visits.forms import ActionForm, ChangeClassForm, MoveForm, RegistrationForm
from app.visits.labels import labels, local_span, slot_clock
from app.visits.links import find_registration, link_expired
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from app.visits.notifications import class_calendar

bp = Blueprint("visits", __name__)
bp.context_processor(labels)

INVALID = 422


def registration_rate_limit() -> str:
    return current_app.config.get("VISIT_REGISTRATION_RATE_LIMIT", "20/hour")


def public_fair(event_id: int) -> Event:
    """A fair whose page anyone may see and that takes classes; else 404."""
    event = db.get_or_404(Event, event_id)
    if not can_view(viewer(), event) or visits.setup_of(event) is None:
        abort(404)
    return event


def slot_choices(slots: list[VisitSlot], waiting: dict[int, int]) -> list[tuple[int, str]]:
    """Each slot with its time and what is left, short enough for a phone's select: the
    day only when the slots fall on more than one."""
    days = {to_local(slot.starts_at).date() for slot in slots}
    choices = []
    for slot in slots:
        left = ngettext("%(num)d place free", "%(num)d places free", slot.places_free) \
            if slot.places_free > 0 else _("full")
        if slot.bus_bays is not None:
            left += ", " + ngettext("%(num)d bus bay free", "%(num)d bus bays free",
                                    slot.bus_bays_free)
        if waiting.get(slot.id):
            left += ", " + _("%(num)s waiting", num=waiting[slot.id])
        when = local_span(slot.starts_at, slot.ends_at) if len(days) > 1 else \
            slot_clock(slot.starts_at, slot.ends_at)
        choices.append((slot.id, f"{when} ({left})"))
    return choices


@bp.route("/events/<int:event_id>/classes", methods=["GET", "POST"])
@limiter.limit(registration_rate_limit, methods=["POST"], key_func=client_address)
def register(event_id: int):
    """Register one or more classes for a fair's slots; the mail confirms it."""
    event = public_fair(event_id)
    now = now_utc()
    slots = [slot for slot in visits.slots_of(event) if slot.starts_at > now]
    form = RegistrationForm()
    if request.method == "GET":
        form.classes[0].form.slot_id.data = _wanted_slot(slots)
    status = 200
    if request.method == "POST" and request.form.get("action") == "add":
        if len(form.classes) < MAX_CLASSES_PER_REGISTRATION:
            form.classes.append_entry()
    elif request.method == "POST":
        _drop_blank_rows(form)
        form.set_choices(slot_choices(slots, visits.waitlist_lengths(event)))
        if form.validate():
            try:
                visits.register(event, _registration_data(form), now)
            except visits.VisitError as error:
                db.session.rollback()
                _put_errors(form, error)
            else:
                db.session.commit()
                flash(_("Almost done: we have sent an e-mail to %(email)s. Please open the "
                        "link in it to confirm the registration.", email=form.email.data),
                      "success")
                return redirect(url_for("visits.sent", event_id=event.id), code=303)
        status = INVALID
    form.set_choices(slot_choices(slots, visits.waitlist_lengths(event)))
    return render_template(
        "visits/register.html", event=event, form=form, slots=slots,
        setup=visits.setup_of(event), open=visits.registration_open(event, now),
        waiting=visits.waitlist_lengths(event), hold_hours=int(HOLD_FOR.total_seconds() // 3600),
        max_classes=MAX_CLASSES_PER_REGISTRATION, now=now,
    ), status


def _wanted_slot(slots: list[VisitSlot]) -> int | None:
    """The slot the event page's link asked for (``?slot=``), if it is offered."""
    wanted = request.args.get("slot", type=int)
    return wanted if any(slot.id == wanted for slot in slots) else None


def _drop_blank_rows(form: RegistrationForm) -> None:
    """Rows the teacher added and left empty are not classes (one row always stays)."""
    kept = [entry for entry in form.classes.entries if not entry.form.is_blank()]
    form.classes.entries = kept or form.classes.entries[:1]


def _registration_data(form: RegistrationForm) -> visits.RegistrationData:
    return visits.RegistrationData(
        email=form.email.data, school_name=form.school_name.data,
        municipality_id=int(form.municipality_id.data),
        join_waitlist=form.join_waitlist.data, language=current_language(),
        classes=[visits.ClassData(
            slot_id=entry.form.slot_id.data, grade=entry.form.grade.data,
            pupils=entry.form.pupils.data, teacher_name=entry.form.teacher_name.data,
            phone=entry.form.phone.data, by_bus=entry.form.by_bus.data,
            class_name=entry.form.class_name.data or "") for entry in form.classes])


def _put_errors(form: RegistrationForm, error: visits.VisitError) -> None:
    """A service names a class's field ``classes-0-pupils``; the form nests it there."""
    for name, message in error.errors:
        index, _dash, field = (name or "").removeprefix("classes-").partition("-")
        row = form.classes[int(index)].form if (name or "").startswith("classes-") \
            and index.isdigit() and int(index) < len(form.classes) else None
        target = row._fields.get(field) if row is not None else form._fields.get(name or "")
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)


@bp.get("/events/<int:event_id>/classes/sent")
def sent(event_id: int):
    """After registering: what happens next (the address is confirmed by mail)."""
    event = public_fair(event_id)
    return render_template("visits/sent.html", event=event,
                           hold_hours=int(HOLD_FOR.total_seconds() // 3600))


# --- through the link --------------------------------------------------------------------


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_error(kind: str, registration: VisitRegistration | None = None):
    status = {"unknown": 404, "expired": 410}[kind]
    body = render_template("visits/link_error.html", kind=kind, registration=registration)
    return _private(Response(body, status=status))


def _by_link(token: str) -> tuple[VisitRegistration | None, Response | None]:
    registration = find_registration(token)
    if registration is None:
        return None, _link_error("unknown")
    if link_expired(registration, now_utc()):
        return None, _link_error("expired", registration)
    return registration, None


def _class_of(registration: VisitRegistration, visit_id: int) -> ClassVisit:
    visit = next((item for item in registration.classes if item.id == visit_id), None)
    if visit is None:
        abort(404)
    return visit


def render_registration(registration: VisitRegistration, token: str, *,
                        failed: tuple[int, object] | None = None, status: int = 200):
    """The registration page; a failed form of one class comes back with its input."""
    now = now_utc()
    event = registration.event
    slots = visits.slots_of(event)
    waiting = visits.waitlist_lengths(event)
    forms = {}
    for visit in registration.classes:
        change = ChangeClassForm(formdata=None, prefix=f"c{visit.id}", obj=visit)
        move = MoveForm(formdata=None, prefix=f"m{visit.id}")
        if failed and failed[0] == visit.id:
            change = failed[1] if isinstance(failed[1], ChangeClassForm) else change
            move = failed[1] if isinstance(failed[1], MoveForm) else move
        move.slot_id.choices = slot_choices(
            [slot for slot in slots if slot.id != visit.slot_id and slot.starts_at > now],
            waiting)
        forms[visit.id] = (change, move)
    body = render_template(
        "visits/registration.html", registration=registration, event=event, token=token,
        forms=forms, action_form=ActionForm(formdata=None), now=now,
        open=visits.registration_open(event, now), setup=visits.setup_of(event))
    return _private(Response(body, status=status))


@bp.get("/visits/r/<token>")
def registration(token: str):
    """The teacher's page of a registration: confirm it, or change, move and cancel."""
    found, error = _by_link(token)
    return error or render_registration(found, token)


@bp.post("/visits/r/<token>/confirm")
def confirm(token: str):
    found, error = _by_link(token)
    if error:
        return error
    if not ActionForm().validate():
        abort(400)
    try:
        confirmed = visits.confirm(found, now_utc())
    except visits.VisitError as problem:
        db.session.rollback()
        if problem.code == "expired":
            return _link_error("expired", found)
        raise
    db.session.commit()
    flash(_("Thank you, the registration is confirmed. We have sent you a confirmation "
            "with the visit times.") if confirmed else
          _("This registration was confirmed already."), "success" if confirmed else "info")
    return redirect(url_for("visits.registration", token=token), code=303)


def _apply(found: VisitRegistration, token: str, visit: ClassVisit, form, change, done: str):
    """Validate ``form``, run ``change()`` (a service call), commit and go back to the
    page with ``done``; a refusal shows the form again with its input and the reason."""
    if form.validate():
        try:
            change()
        except visits.VisitError as problem:
            db.session.rollback()
            put_errors(form, problem)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("visits.registration", token=token), code=303)
    return render_registration(found, token, failed=(visit.id, form), status=INVALID)


@bp.post("/visits/r/<token>/classes/<int:visit_id>/change")
def change(token: str, visit_id: int):
    found, error = _by_link(token)
    if error:
        return error
    visit = _class_of(found, visit_id)
    form = ChangeClassForm(prefix=f"c{visit.id}")

    def save() -> None:
        visits.change_class(visit, visits.ClassData(
            slot_id=visit.slot_id, grade=visit.grade, pupils=form.pupils.data,
            teacher_name=form.teacher_name.data, phone=form.phone.data,
            by_bus=form.by_bus.data, class_name=form.class_name.data or ""), now_utc())

    return _apply(found, token, visit, form, save, _("The class is changed."))


@bp.post("/visits/r/<token>/classes/<int:visit_id>/move")
def move(token: str, visit_id: int):
    found, error = _by_link(token)
    if error:
        return error
    visit = _class_of(found, visit_id)
    form = MoveForm(prefix=f"m{visit.id}")
    form.slot_id.choices = [(slot.id, "") for slot in visits.slots_of(found.event)
                            if slot.id != visit.slot_id]
    return _apply(found, token, visit, form, lambda: visits.move_class(
        visit, db.session.get(VisitSlot, form.slot_id.data), now_utc()),
        _("The class is moved. We have sent you the new time."))


@bp.post("/visits/r/<token>/classes/<int:visit_id>/cancel")
def cancel(token: str, visit_id: int):
    found, error = _by_link(token)
    if error:
        return error
    visit = _class_of(found, visit_id)
    if not ActionForm().validate():
        abort(400)
    try:
        visits.cancel_class(visit, now_utc())
    except visits.VisitError as problem:
        db.session.rollback()
        flash(problem.message, "error")
    else:
        db.session.commit()
        flash(_("The class is cancelled. Thank you for telling us: its places go to "
                "classes on the waitlist."), "success")
    return redirect(url_for("visits.registration", token=token), code=303)


@bp.get("/visits/r/<token>/visits.ics")
def calendar_file(token: str):
    """The registration's visit times (cancelled ones as cancelled) as an .ics file."""
    found, error = _by_link(token)
    if error:
        return error
    if found.confirmed_at is None:
        abort(404)
    shown = [visit for visit in found.classes if visit.status != "waitlisted"]
    response = Response(class_calendar(found, shown), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="klassenbesuch.ics"'
    return _private(response)
