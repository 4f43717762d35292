"""Organisers' class-visit pages of a fair: registration window, slots, the visitor plan
(moves and cancellations, which the teacher is told of) and its exports.

The views translate forms to ``visits.services`` calls and commit; every rule lives in
the services.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.calendar.models import Event
from app.calendar.pages import event_to_change
from app.extensions import db
from app.forms import put_errors
from app.spreadsheets import CSV_TYPE, XLSX_TYPE
from app.time import NonexistentLocalTime, local_to_utc, now_utc, to_local
from app.versions import VersionConflict, differing_fields
from app.visits import exports
from app.visits import services as visits
from app.visits.codes import CLASS_STATUSES
from app.visits.forms import ActionForm, MoveForm, SetupForm, SlotForm
from app.visits.labels import labels, local_span
from app.visits.models import VisitSetup, VisitSlot

bp = Blueprint("manage_visits", __name__)
bp.context_processor(labels)

INVALID = 422
SLOT_FIELDS = {"starts_at": "starts", "ends_at": "ends"}
SETUP_FIELDS = {"opens_at": "opens_time", "closes_at": "closes_time"}


def clock_change() -> str:
    return _("One of the times does not exist because the clocks go forward that night. "
             "Please choose another.")


def managed_event(event_id: int) -> Event:
    """The event if the user runs its class visits: 404 when they may not even see it,
    403 when they see it but belong to another organisation."""
    return event_to_change(event_id, visits.can_manage)


def _split(value: datetime) -> tuple:
    local = to_local(value)
    return local.date(), local.time().replace(second=0, microsecond=0)


def setup_values(setup: VisitSetup | None, event: Event) -> dict:
    if setup is None:
        return {"reminder_days": 3}
    opens_day, opens_time = _split(setup.opens_at)
    closes_day, closes_time = _split(setup.closes_at)
    return {"opens_day": opens_day, "opens_time": opens_time, "closes_day": closes_day,
            "closes_time": closes_time, "reminder_days": setup.reminder_days,
            "instructions": setup.instructions}


def slot_values(slot: VisitSlot | None, event: Event) -> dict:
    if slot is None:
        return {"day": to_local(event.starts_at).date()}
    day, starts = _split(slot.starts_at)
    return {"day": day, "starts": starts, "ends": _split(slot.ends_at)[1],
            "capacity": slot.capacity, "bus_bays": slot.bus_bays, "version": slot.version}


def move_choices(event: Event) -> list[tuple[int, str]]:
    return [(slot.id, local_span(slot.starts_at, slot.ends_at)) for slot in
            visits.slots_of(event)]


def render_manage(event: Event, *, setup_form: SetupForm | None = None,
                  slot_form: SlotForm | None = None, status: int = 200):
    """The whole class-visit page of a fair; a failed form keeps its input."""
    setup = visits.setup_of(event)
    plan = visits.visitor_plan(event)
    counts = {code: 0 for code in CLASS_STATUSES}
    for _slot, classes in plan:
        for visit in classes:
            counts[visit.status] += 1
    move_form = MoveForm(formdata=None)
    move_form.slot_id.choices = move_choices(event)
    return render_template(
        "visits/manage.html", event=event, setup=setup, plan=plan, counts=counts,
        setup_form=setup_form or SetupForm(formdata=None, data=setup_values(setup, event)),
        slot_form=slot_form or SlotForm(formdata=None, data=slot_values(None, event)),
        move_form=move_form, action_form=ActionForm(formdata=None), now=now_utc(),
        waiting=visits.waitlist_lengths(event),
    ), status


@bp.get("/manage/events/<int:event_id>/visits")
@login_required
def manage(event_id: int):
    """Registration window, slots and the visitor plan of one fair, for its organisers."""
    return render_manage(managed_event(event_id))


@bp.post("/manage/events/<int:event_id>/visits/setup")
@login_required
def save_setup(event_id: int):
    event = managed_event(event_id)
    form = SetupForm()
    if form.validate():
        try:
            data = visits.SetupData(
                opens_at=local_to_utc(form.opens_day.data, form.opens_time.data),
                closes_at=local_to_utc(form.closes_day.data, form.closes_time.data),
                reminder_days=form.reminder_days.data,
                instructions=form.instructions.data or "")
            visits.configure(event, current_user, data, now_utc())
        except NonexistentLocalTime:
            form.form_errors.append(clock_change())
        except visits.VisitError as error:
            db.session.rollback()
            put_errors(form, error, SETUP_FIELDS)
        else:
            db.session.commit()
            flash(_("The class registration is saved."), "success")
            return redirect(url_for("manage_visits.manage", event_id=event.id))
    return render_manage(event, setup_form=form, status=INVALID)


@bp.post("/manage/events/<int:event_id>/visits/close")
@login_required
def close(event_id: int):
    event = managed_event(event_id)
    if not ActionForm().validate():
        abort(400)
    try:
        visits.close_registration(event, current_user, now_utc())
    except visits.VisitError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Class registration is closed."), "success")
    return redirect(url_for("manage_visits.manage", event_id=event.id))


def slot_data(form: SlotForm) -> visits.SlotData:
    """The form's local day and wall-clock times as UTC instants (DST-correct)."""
    return visits.SlotData(
        starts_at=local_to_utc(form.day.data, form.starts.data),
        ends_at=local_to_utc(form.day.data, form.ends.data),
        capacity=form.capacity.data, bus_bays=form.bus_bays.data)


def _save_slot(form: SlotForm, save) -> bool:
    """Run ``save(data)``; put any error on the form. True when it is saved."""
    if not form.validate():
        return False
    try:
        save(slot_data(form))
    except NonexistentLocalTime:
        form.form_errors.append(clock_change())
        return False
    except visits.VisitError as error:
        db.session.rollback()
        put_errors(form, error, SLOT_FIELDS)
        return False
    db.session.commit()
    return True


@bp.post("/manage/events/<int:event_id>/visits/slots")
@login_required
def add_slot(event_id: int):
    event = managed_event(event_id)
    form = SlotForm()
    if _save_slot(form, lambda data: visits.add_slot(event, current_user, data, now_utc())):
        flash(_("The slot is added."), "success")
        return redirect(url_for("manage_visits.manage", event_id=event.id) + "#slots")
    return render_manage(event, slot_form=form, status=INVALID)


@bp.route("/manage/events/<int:event_id>/visits/slots/<int:slot_id>", methods=["GET", "POST"])
@login_required
def edit_slot(event_id: int, slot_id: int):
    event = managed_event(event_id)
    slot = visits.event_slot(event, slot_id) or abort(404)
    form = SlotForm(data=slot_values(slot, event) if request.method == "GET" else None)
    status, conflicts = 200, None
    if request.method == "POST":
        try:
            saved = _save_slot(form, lambda data: visits.update_slot(
                slot, current_user, data, now_utc(), version=form.version.data))
        except VersionConflict:
            db.session.rollback()
            conflicts = differing_fields(form, slot_values(slot, event))
            form.version.data = slot.version
            saved, status = False, 409
        if saved:
            flash(_("The slot is saved."), "success")
            return redirect(url_for("manage_visits.manage", event_id=event.id) + "#slots")
        status = status if conflicts is not None else INVALID
    return render_template("visits/slot_form.html", event=event, slot=slot, form=form,
                           delete_form=ActionForm(formdata=None), conflicts=conflicts), status


@bp.post("/manage/events/<int:event_id>/visits/slots/<int:slot_id>/delete")
@login_required
def delete_slot(event_id: int, slot_id: int):
    event = managed_event(event_id)
    slot = visits.event_slot(event, slot_id) or abort(404)
    if not ActionForm().validate():
        abort(400)
    try:
        visits.delete_slot(slot, current_user)
    except visits.VisitError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The slot is deleted."), "success")
    return redirect(url_for("manage_visits.manage", event_id=event.id) + "#slots")


@bp.post("/manage/events/<int:event_id>/visits/classes/<int:visit_id>/<action>")
@login_required
def class_action(event_id: int, visit_id: int, action: str):
    """Move or cancel one class; its teacher is told by e-mail."""
    event = managed_event(event_id)
    visit = visits.event_visit(event, visit_id) or abort(404)
    if action == "move":
        form = MoveForm()
        form.slot_id.choices = move_choices(event)
    elif action == "cancel":
        form = ActionForm()
    else:
        abort(404)
    if not form.validate():
        flash(_("Please choose one of the offered values."), "error")
        return redirect(url_for("manage_visits.manage", event_id=event.id) + "#plan")
    school = visit.registration.school_name
    try:
        if action == "move":
            target = visits.event_slot(event, form.slot_id.data)
            visits.move_class(visit, target, now_utc(), actor=current_user)
            message = _("Class %(label)s of %(school)s is moved to %(when)s; the teacher "
                        "is told.", label=visit.label, school=school,
                        when=local_span(target.starts_at, target.ends_at))
        else:
            visits.cancel_class(visit, now_utc(), actor=current_user)
            message = _("Class %(label)s of %(school)s is cancelled; the teacher is told.",
                        label=visit.label, school=school)
    except visits.VisitError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("manage_visits.manage", event_id=event.id) + "#plan")


def download_name(event: Event, extension: str) -> str:
    return f"visitor-plan-{event.id}-{to_local(event.starts_at).date().isoformat()}.{extension}"


@bp.get("/manage/events/<int:event_id>/visits/plan.csv")
@login_required
def export_csv(event_id: int):
    event = managed_event(event_id)
    return Response(exports.plan_csv(event), headers={
        "Content-Type": CSV_TYPE,
        "Content-Disposition": f'attachment; filename="{download_name(event, "csv")}"'})


@bp.get("/manage/events/<int:event_id>/visits/plan.xlsx")
@login_required
def export_xlsx(event_id: int):
    event = managed_event(event_id)
    return Response(exports.plan_xlsx(event), mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{download_name(event, "xlsx")}"'})


@bp.get("/manage/events/<int:event_id>/visits/plan")
@login_required
def print_plan(event_id: int):
    """The visitor plan as a page to print: one table per slot."""
    event = managed_event(event_id)
    return render_template("visits/print.html", event=event,
                           plan=visits.visitor_plan(event, ("confirmed", "unconfirmed")),
                           setup=visits.setup_of(event), printed_at=now_utc())
