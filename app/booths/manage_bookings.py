"""Organisers' bookings page of a fair: search and filter, act on many bookings at once
(approve, reject, move, cancel, with one reason), stand numbers by form or CSV; and the
organisation's network members (a priority group of the allocation).

Destructive actions (reject, move, cancel) ask first: without JavaScript the server
answers with a confirmation page; with it, a dialog asks and the form says so
(``confirmed=1``). Reject and cancel need a reason, which each company reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import delete, func, insert, select
from wtforms import Form, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.accounts.models import Company, Organisation
from app.booths import services as booths
from app.booths.codes import BOOKING_STATUSES
from app.booths.forms import (
    BULK_ACTIONS,
    DESTRUCTIVE,
    ActionForm,
    BulkForm,
    MembersForm,
    StandsUploadForm,
)
from app.booths.manage_base import INVALID, STATUS_ORDER, bp, industry_labels, managed_event
from app.booths.models import Booking, BoothCategory, booking_occupations, network_members
from app.calendar.models import Event
from app.extensions import db
from app.forms import options
from app.reference.models import Occupation
from app.time import now_utc

MAX_SHOWN = 500
MAX_ID = 2**31 - 1


class FilterForm(Form):
    """The list's filters, in the address (GET): a search is a link one can share."""

    company = StringField(_l("Company"), validators=[Optional(), Length(max=100)])
    status = SelectMultipleField(_l("Status"), validate_choice=False)
    category = IntegerField(_l("Category"), validators=[Optional(), NumberRange(1, MAX_ID)])
    industry = SelectField(_l("Industry"), validate_choice=False)
    occupation = IntegerField(_l("Occupation"), validators=[Optional(), NumberRange(1, MAX_ID)])

    def wanted(self) -> booths.BookingFilter:
        return booths.BookingFilter(
            company=(self.company.data or "").strip()[:100],
            statuses=tuple(status for status in self.status.data or ()
                           if status in BOOKING_STATUSES),
            category_id=None if self.category.errors else self.category.data,
            industry=self.industry.data or None,
            occupation_id=None if self.occupation.errors else self.occupation.data)


def _filters() -> FilterForm:
    form = FilterForm(formdata=request.args)
    form.validate()
    return form


def event_choices(event: Event) -> dict:
    categories = booths.categories_of(event)
    occupations = db.session.execute(
        select(Occupation.id, Occupation.name)
        .join(booking_occupations, booking_occupations.c.occupation_id == Occupation.id)
        .join(Booking, Booking.id == booking_occupations.c.booking_id)
        .where(Booking.event_id == event.id).distinct().order_by(Occupation.name)).all()
    return {"categories": categories, "occupations": occupations,
            "industries": industry_labels(), "statuses": STATUS_ORDER}


@dataclass
class StandInput:
    """What the organiser typed into the stand fields, and what was wrong."""

    values: dict[int, str] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def render_bookings(event: Event, *, bulk: BulkForm | None = None,
                    stands: StandInput | None = None,
                    upload: StandsUploadForm | None = None, status: int = 200):
    filters = _filters()
    query = booths.filtered_bookings(event, filters.wanted())
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    bookings = db.session.execute(query.limit(MAX_SHOWN)).scalars().all()
    bulk = bulk or BulkForm(formdata=None)
    choices = event_choices(event)
    bulk.category_id.choices = options(((c.id, c.name) for c in choices["categories"]),
                                       blank="–")
    return render_template(
        "booths/bookings.html", event=event, bookings=bookings, total=total,
        shown=MAX_SHOWN, filters=filters, bulk=bulk, stands=stands or StandInput(),
        upload=upload or StandsUploadForm(formdata=None), action_form=ActionForm(formdata=None),
        filtered=bool(request.args), bulk_actions=BULK_ACTIONS, destructive=DESTRUCTIVE,
        setup=booths.setup_of(event), now=now_utc(), **choices), status


@bp.get("/manage/events/<int:event_id>/booths/bookings")
@login_required
def bookings(event_id: int):
    """The fair's bookings: search, filters, bulk actions, stand numbers."""
    return render_bookings(managed_event(event_id))


def _selected(event: Event, form: BulkForm) -> list[Booking]:
    ids = [number for number in request.form.getlist("booking_ids", type=int)
           if 1 <= number <= MAX_ID]
    rows = db.session.execute(
        select(Booking).where(Booking.event_id == event.id, Booking.id.in_(ids or [0]))
        .order_by(Booking.id)).scalars().all()
    form.booking_ids.choices = [(booking.id, booking.company.name) for booking in rows]
    return list(rows)


@bp.post("/manage/events/<int:event_id>/booths/bookings/bulk")
@login_required
def bulk(event_id: int):
    """Apply one action to the ticked bookings; destructive ones are confirmed first."""
    event = managed_event(event_id)
    form = BulkForm()
    form.category_id.choices = options(
        ((c.id, c.name) for c in booths.categories_of(event)), blank="–")
    selected = _selected(event, form)
    if not form.validate() or not selected:
        if not selected:
            form.booking_ids.errors = [_("Please tick the bookings to act on.")]
        csrf = getattr(form, "csrf_token", None)
        if form.action.data in DESTRUCTIVE and selected and not (csrf and csrf.errors):
            return _confirmation(event, form, selected, INVALID)
        return render_bookings(event, bulk=form, status=INVALID)
    if form.action.data in DESTRUCTIVE and not form.is_confirmed:
        return _confirmation(event, form, selected, 200)
    done, failed = _apply(event, form, selected)
    if done:
        flash(ngettext("%(num)d booking: %(action)s.", "%(num)d bookings: %(action)s.",
                       done, action=BULK_ACTIONS[form.action.data]), "success")
    for name, message in failed:
        flash(_("%(company)s: %(message)s", company=name, message=message), "error")
    return redirect(url_for("manage_booths.bookings", event_id=event.id,
                            **request.args.to_dict(flat=False)))


def _confirmation(event: Event, form: BulkForm, selected: list[Booking], status: int):
    target = next((c for c in booths.categories_of(event) if c.id == form.category_id.data),
                  None)
    return render_template("booths/confirm_bulk.html", event=event, form=form,
                           selected=selected, target=target,
                           action_label=BULK_ACTIONS.get(form.action.data, "")), status


def _apply(event: Event, form: BulkForm, selected: list[Booking]
           ) -> tuple[int, list[tuple[str, str]]]:
    """Each booking in a transaction of its own: one that cannot (e.g. approved
    meanwhile) is reported, the others go through."""
    action, reason, now = form.action.data, (form.reason.data or "").strip(), now_utc()
    target = (db.session.get(BoothCategory, form.category_id.data)
              if action == "move" else None)
    if action == "move" and (target is None or target.event_id != event.id):
        abort(400)
    done, failed = 0, []
    ids = [(booking.id, booking.company.name) for booking in selected]
    for booking_id, name in ids:
        booking = db.session.get(Booking, booking_id)
        try:
            if action == "approve":
                booths.approve(booking, current_user, now)
            elif action == "reject":
                booths.reject(booking, current_user, now, reason=reason)
            elif action == "cancel":
                booths.cancel(booking, current_user, now, reason=reason)
            else:
                booths.move(booking, target, current_user, now)
        except booths.BookingError as error:
            db.session.rollback()
            failed.append((name, error.message))
        else:
            db.session.commit()
            done += 1
    return done, failed


@bp.post("/manage/events/<int:event_id>/booths/stands")
@login_required
def save_stands(event_id: int):
    """The stand numbers typed into the list (fields ``stand-<booking id>``)."""
    event = managed_event(event_id)
    if not ActionForm().validate():
        abort(400)
    wanted = {}
    for key, value in request.form.items():
        if key.startswith("stand-") and key[6:].isdigit():
            wanted[int(key[6:])] = value
    try:
        changed = booths.set_stands(event, current_user, wanted)
    except booths.StandProblems as error:
        db.session.rollback()
        names = dict(db.session.execute(
            select(Booking.id, Company.name).join(Company, Company.id == Booking.company_id)
            .where(Booking.event_id == event.id)).all())
        problems = {booking_id: message for booking_id, message in error.problems}
        stands = StandInput(values=wanted, problems=problems, general=[
            f"{names.get(booking_id, booking_id)}: {message}"
            for booking_id, message in error.problems])
        return render_bookings(event, stands=stands, status=INVALID)
    db.session.commit()
    flash(ngettext("%(num)d stand number saved.", "%(num)d stand numbers saved.", changed),
          "success")
    return redirect(url_for("manage_booths.bookings", event_id=event.id) + "#stands")


@bp.post("/manage/events/<int:event_id>/booths/stands.csv")
@login_required
def upload_stands(event_id: int):
    """Stand numbers from a CSV file: all or nothing."""
    event = managed_event(event_id)
    form = StandsUploadForm()
    if not form.validate():
        return render_bookings(event, upload=form, status=INVALID)
    try:
        changed = booths.stands_from_csv(event, current_user, form.file.data.read())
    except booths.StandProblems as error:
        db.session.rollback()
        form.form_errors.extend(
            _("Line %(line)s: %(message)s", line=line, message=message) if line
            else message for line, message in error.problems)
        return render_bookings(event, upload=form, status=INVALID)
    db.session.commit()
    flash(ngettext("%(num)d stand number saved.", "%(num)d stand numbers saved.", changed),
          "success")
    return redirect(url_for("manage_booths.bookings", event_id=event.id) + "#stands")


# --- the organisation's network members --------------------------------------------------


def _organisation() -> Organisation:
    if not current_user.is_organiser or current_user.organisation is None:
        abort(403)
    return current_user.organisation


@bp.route("/manage/booths/members", methods=["GET", "POST"])
@login_required
def members():
    """The companies the organiser's organisation counts as members of its network (a
    priority group when a fair allocates its places)."""
    organisation = _organisation()
    companies = db.session.execute(
        select(Company.id, Company.name).order_by(func.lower(Company.name))).all()
    current = set(db.session.execute(
        select(network_members.c.company_id)
        .where(network_members.c.organisation_id == organisation.id)).scalars())
    form = MembersForm(data={"company_ids": sorted(current)} if request.method == "GET"
                       else None)
    form.company_ids.choices = [(row.id, row.name) for row in companies]
    if request.method == "POST":
        if not form.validate():
            return render_template("booths/members.html", form=form,
                                   organisation=organisation), INVALID
        chosen = set(form.company_ids.data or [])
        db.session.execute(delete(network_members).where(
            network_members.c.organisation_id == organisation.id,
            network_members.c.company_id.not_in(chosen or {0})))
        new = chosen - current
        if new:
            db.session.execute(insert(network_members), [
                {"organisation_id": organisation.id, "company_id": company_id}
                for company_id in sorted(new)])
        db.session.commit()
        flash(ngettext("%(num)d member company.", "%(num)d member companies.", len(chosen)),
              "success")
        return redirect(url_for("manage_booths.members"))
    return render_template("booths/members.html", form=form, organisation=organisation)
