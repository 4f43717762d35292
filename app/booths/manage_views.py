"""Organisers' booth pages of a fair: set-up, categories, adding a booking by hand and
exports (the bookings page is ``manage_bookings``; both on the blueprint of
``manage_base``).

The views translate forms to ``booths.services`` calls and commit; every rule (window,
capacity, waitlist, who may do what) lives in the services.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.accounts.models import Company
from app.booths import (
    exports,
    manage_bookings,  # noqa: F401  (its pages are on this blueprint)
)
from app.booths import services as booths
from app.booths.codes import BOOKING_STATUSES, DEFAULT_OFFER_HOURS
from app.booths.forms import (
    ActionForm,
    CategoryForm,
    FairSetupForm,
    ManualBookingForm,
)
from app.booths.manage_base import (
    CATEGORY_FIELDS,
    CSV_TYPE,
    INVALID,
    SETUP_FIELDS,
    STATUS_ORDER,
    XLSX_TYPE,
    bp,
    event_category,
    industry_labels,
    managed_event,
)
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.models import Event
from app.extensions import db
from app.forms import put_errors
from app.time import NonexistentLocalTime, local_to_utc, now_utc, to_local
from app.versions import VersionConflict, differing_fields

# --- organisers: the booth page of a fair ------------------------------------------------


def setup_values(setup: BoothSetup | None, event: Event) -> dict:
    if setup is None:
        return {"takes_exhibitors": True, "approval": "auto", "allocation": "first_come",
                "waitlist_mode": "offer", "offer_hours": DEFAULT_OFFER_HOURS, "version": 0}

    def split(value: datetime | None) -> tuple:
        if value is None:
            return None, None
        local = to_local(value)
        return local.date(), local.time().replace(second=0, microsecond=0)

    opens_day, opens_time = split(setup.opens_at)
    closes_day, closes_time = split(setup.closes_at)
    setup_day, setup_time = split(setup.setup_starts_at)
    teardown_day, teardown_time = split(setup.teardown_ends_at)
    groups = list(setup.priority_groups or []) + ["", "", ""]
    return {"takes_exhibitors": setup.takes_exhibitors, "approval": setup.approval,
            "opens_day": opens_day, "opens_time": opens_time,
            "closes_day": closes_day, "closes_time": closes_time,
            "setup_day": setup_day, "setup_time": setup_time,
            "teardown_day": teardown_day, "teardown_time": teardown_time,
            "allocation": setup.allocation, "waitlist_mode": setup.waitlist_mode,
            "offer_hours": setup.offer_hours, "priority_1": groups[0],
            "priority_2": groups[1], "priority_3": groups[2], "version": setup.version,
            **{f"quota_{quota.industry_code}": quota.places for quota in setup.quotas}}


def category_values(category: BoothCategory) -> dict:
    price = category.price_cents / 100
    return {"name": category.name, "description": category.description,
            "size_m2": f"{category.size_m2:g}".replace(".", ","),
            "price": (f"{price:.2f}" if category.price_cents % 100 else f"{price:.0f}")
            .replace(".", ","),
            "capacity": category.capacity, "includes_table": category.includes_table,
            "includes_power": category.includes_power,
            "includes_internet": category.includes_internet, "version": category.version}


def company_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Company.id, Company.name).order_by(func.lower(Company.name))
    ).all()
    return [(row.id, row.name) for row in rows]


def manual_form(event: Event, formdata=None) -> ManualBookingForm:
    form = ManualBookingForm(formdata=formdata)
    form.company_id.choices = company_choices()
    form.category_id.choices = [(c.id, c.name) for c in booths.categories_of(event)]
    return form


def status_counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        select(Booking.status, func.count()).where(Booking.event_id == event.id)
        .group_by(Booking.status)).all()
    counts = dict.fromkeys(STATUS_ORDER, 0)
    counts.update({status: count for status, count in rows})
    return counts


def render_manage(event: Event, *, setup_form: FairSetupForm | None = None,
                  category_form: CategoryForm | None = None,
                  manual: ManualBookingForm | None = None, status: int = 200,
                  setup_conflicts: list | None = None):
    """The booth page of a fair (set-up, allocation, categories, adding a booking by
    hand); a failed form is passed in and keeps its input. The bookings have a page of
    their own (``manage_bookings``)."""
    setup = booths.setup_of(event)
    return render_template(
        "booths/manage.html", event=event, setup=setup, categories=booths.categories_of(event),
        status_order=STATUS_ORDER, counts=status_counts(event),
        setup_form=setup_form or FairSetupForm(formdata=None,
                                               data=setup_values(setup, event)),
        category_form=category_form or CategoryForm(formdata=None),
        manual_form=manual or manual_form(event), industries=industry_labels(),
        seed_fingerprint=booths.seed_fingerprint(setup.lottery_seed) if setup else None,
        now=now_utc(), setup_conflicts=setup_conflicts,
    ), status


@bp.get("/manage/events/<int:event_id>/booths")
@login_required
def manage(event_id: int):
    """Set-up, categories and bookings of one fair, for its organisers."""
    return render_manage(managed_event(event_id))


@bp.post("/manage/events/<int:event_id>/booths/setup")
@login_required
def save_setup(event_id: int):
    event = managed_event(event_id)
    form = FairSetupForm()
    if form.validate():
        try:
            data = booths.FairSetupData(
                opens_at=local_to_utc(form.opens_day.data, form.opens_time.data),
                closes_at=local_to_utc(form.closes_day.data, form.closes_time.data),
                approval=form.approval.data, takes_exhibitors=form.takes_exhibitors.data,
                setup_starts_at=(local_to_utc(form.setup_day.data, form.setup_time.data)
                                 if form.setup_day.data else None),
                teardown_ends_at=(local_to_utc(form.teardown_day.data, form.teardown_time.data)
                                  if form.teardown_day.data else None),
                allocation=form.allocation.data, waitlist_mode=form.waitlist_mode.data,
                offer_hours=form.offer_hours.data, priority_groups=form.priority_groups(),
                quotas=form.quotas(),
            )
            booths.configure_fair(event, current_user, data, now_utc(),
                                  version=form.version.data)
        except VersionConflict:
            db.session.rollback()
            setup = booths.setup_of(event)
            conflicts = differing_fields(form, setup_values(setup, event))
            form.version.data = setup.version if setup else 0
            return render_manage(event, setup_form=form, status=409,
                                 setup_conflicts=conflicts)
        except NonexistentLocalTime:
            form.form_errors.append(_("One of the times does not exist because the clocks "
                                      "go forward that night. Please choose another."))
        except booths.BookingError as error:
            db.session.rollback()
            put_errors(form, error, SETUP_FIELDS)
        else:
            db.session.commit()
            flash(_("The booth sign-up is saved."), "success")
            return redirect(url_for("manage_booths.manage", event_id=event.id))
    return render_manage(event, setup_form=form, status=INVALID)


@bp.post("/manage/events/<int:event_id>/booths/categories")
@login_required
def add_category(event_id: int):
    event = managed_event(event_id)
    form = CategoryForm()
    if form.validate():
        try:
            category = booths.add_category(event, current_user, category_data(form))
        except booths.BookingError as error:
            db.session.rollback()
            put_errors(form, error, CATEGORY_FIELDS)
        else:
            db.session.commit()
            flash(_("The category “%(name)s” is added.", name=category.name), "success")
            return redirect(url_for("manage_booths.manage", event_id=event.id) + "#categories")
    return render_manage(event, category_form=form, status=INVALID)


def category_data(form: CategoryForm) -> booths.CategoryData:
    return booths.CategoryData(
        name=form.name.data, size_m2=form.size(), price_cents=form.price_cents(),
        capacity=form.capacity.data, includes_table=form.includes_table.data,
        includes_power=form.includes_power.data, includes_internet=form.includes_internet.data,
        description=form.description.data or "")


@bp.route("/manage/events/<int:event_id>/booths/categories/<int:category_id>",
          methods=["GET", "POST"])
@login_required
def edit_category(event_id: int, category_id: int):
    event = managed_event(event_id)
    category = event_category(event, category_id)
    form = CategoryForm(data=category_values(category) if request.method == "GET" else None)
    if form.is_submitted():
        if form.validate():
            try:
                booths.update_category(category, current_user, category_data(form), now_utc(),
                                       version=form.version.data)
            except VersionConflict:
                db.session.rollback()
                conflicts = differing_fields(form, category_values(category))
                form.version.data = category.version
                return render_template("booths/category_form.html", event=event,
                                       category=category, form=form, conflicts=conflicts,
                                       delete_form=ActionForm(formdata=None)), 409
            except booths.BookingError as error:
                db.session.rollback()
                put_errors(form, error, CATEGORY_FIELDS)
            else:
                db.session.commit()
                flash(_("The category “%(name)s” is saved.", name=category.name), "success")
                return redirect(url_for("manage_booths.manage", event_id=event.id) + "#categories")
        return render_template("booths/category_form.html", event=event, category=category,
                               form=form, delete_form=ActionForm(formdata=None)), INVALID
    return render_template("booths/category_form.html", event=event, category=category,
                           form=form, delete_form=ActionForm(formdata=None))


@bp.post("/manage/events/<int:event_id>/booths/categories/<int:category_id>/delete")
@login_required
def delete_category(event_id: int, category_id: int):
    event = managed_event(event_id)
    category = event_category(event, category_id)
    if not ActionForm().validate():
        abort(400)
    name = category.name
    try:
        booths.delete_category(category, current_user)
    except booths.BookingError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The category “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("manage_booths.manage", event_id=event.id) + "#categories")


@bp.post("/manage/events/<int:event_id>/booths/bookings")
@login_required
def add_by_hand(event_id: int):
    event = managed_event(event_id)
    form = manual_form(event, request.form)
    if form.validate():
        company = db.session.get(Company, form.company_id.data)
        category = event_category(event, form.category_id.data)
        try:
            booking = booths.add_by_hand(company, category, booths.BookingDetails(
                staff_count=form.staff_count.data, remarks=form.remarks.data or ""),
                current_user, now_utc())
        except booths.BookingError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            db.session.commit()
            flash(_("The booking of %(company)s is entered: %(status)s.",
                    company=company.name, status=BOOKING_STATUSES[booking.status]), "success")
            return redirect(url_for("manage_booths.bookings", event_id=event.id))
    return render_manage(event, manual=form, status=INVALID)


def download_name(event: Event, extension: str) -> str:
    day = to_local(event.starts_at).date().isoformat()
    return f"exhibitors-{event.id}-{day}.{extension}"


@bp.get("/manage/events/<int:event_id>/booths/exhibitors.csv")
@login_required
def export_csv(event_id: int):
    event = managed_event(event_id)
    return Response(exports.exhibitors_csv(event), mimetype="text/csv", headers={
        "Content-Type": CSV_TYPE,
        "Content-Disposition": f'attachment; filename="{download_name(event, "csv")}"'})


@bp.get("/manage/events/<int:event_id>/booths/exhibitors.xlsx")
@login_required
def export_xlsx(event_id: int):
    event = managed_event(event_id)
    return Response(exports.exhibitors_xlsx(event), mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{download_name(event, "xlsx")}"'})


@bp.get("/manage/events/<int:event_id>/booths/exhibitors")
@login_required
def exhibitor_list(event_id: int):
    """The confirmed exhibitors as a page to print (booth categories, staff, contacts)."""
    event = managed_event(event_id)
    bookings = booths.exhibitors(event)
    return render_template("booths/print.html", event=event, bookings=bookings,
                           setup=booths.setup_of(event), printed_at=now_utc())

