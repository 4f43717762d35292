"""Companies' booth pages: the booking form of a fair, "My bookings" (every booking at
every organiser's fairs), a booking with its offer to accept or decline, the company's
calendar subscription; and the public page of a fair's allocation.

Every rule lives in ``booths.services``. A booking a user may not see is a 404, exactly
like one that does not exist. Cancelling and declining ask first (a page without
JavaScript, a dialog with it).
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.models import Company
from app.accounts.security import audit
from app.booths import feed
from app.booths import services as booths
from app.booths.codes import PRIORITY_GROUPS
from app.booths.forms import (
    ActionForm,
    BookingForm,
    ConfirmForm,
)
from app.booths.labels import labels
from app.booths.models import Booking, BoothSetup
from app.calendar import services as calendar
from app.calendar.ical import REFRESH_INTERVAL
from app.calendar.models import Event
from app.extensions import db
from app.forms import put_errors
from app.reference.models import Occupation
from app.security import client_address
from app.time import now_utc

bp = Blueprint("booths", __name__)
bp.context_processor(labels)

INVALID = 422
BOOKING_FIELDS = {"occupations": "occupations"}


def require_company() -> Company:
    if current_user.role != "company" or current_user.company is None:
        abort(403)
    return current_user.company


def own_booking(booking_id: int) -> Booking:
    """The company's own booking; anything else (others', made-up ids) is a 404."""
    company = require_company()
    booking = booths.visible_booking(current_user, booking_id)
    if booking is None or booking.company_id != company.id:
        abort(404)
    return booking


# --- companies ---------------------------------------------------------------------------


def open_fairs(now: datetime) -> list[tuple[Event, BoothSetup]]:
    """Published fairs whose registration is open now, soonest first."""
    rows = db.session.execute(
        select(Event, BoothSetup).join(BoothSetup, BoothSetup.event_id == Event.id)
        .where(Event.status == "published", BoothSetup.takes_exhibitors.is_(True),
               BoothSetup.opens_at <= now, BoothSetup.closes_at > now)
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [(event, setup) for event, setup in rows]


@bp.get("/booths/")
@login_required
def my_bookings():
    """The company's bookings with their status, the fairs open for registration and the
    company's calendar subscription."""
    return render_my_bookings(require_company())


def render_my_bookings(company: Company, feed_token: str | None = None):
    """The "My bookings" page; ``feed_token`` is a just-created subscription, shown once."""
    bookings = booths.company_overview(company)
    clashes = booths.same_day(bookings)
    now = now_utc()
    setups = {booking.event_id: booking.category.setup for booking in bookings}
    booked = {booking.event_id for booking in bookings if booking.is_active}
    feed_url = (url_for("company_feed.company_feed", token=feed_token, _external=True)
                if feed_token else None)
    return render_template(
        "booths/my_bookings.html", company=company, bookings=bookings, setups=setups,
        fairs=open_fairs(now), booked=booked, now=now, action_form=ActionForm(formdata=None),
        same_day=clashes, clash_ids={b.id for found in clashes.values() for b in found},
        feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[-1] if feed_url else None,
        refresh_hours=int(REFRESH_INTERVAL.total_seconds() // 3600),
        feed_active=None if feed_token else feed.active_feed_token(company))


@bp.post("/booths/subscription")
@login_required
def renew_subscription():
    """A new address of the company's calendar subscription (the old one stops working),
    shown on this response only: only its hash is stored."""
    company = require_company()
    if not ActionForm().validate():
        abort(400)
    replaced = feed.active_feed_token(company) is not None
    token = feed.create_feed(current_user)
    audit("feed.created", current_user, f"company {company.name}", ip=client_address(),
          replaced=replaced)
    db.session.commit()
    flash(_("Your new subscription address is shown below. Copy it into your calendar app "
            "now: it is not shown again.")
          + (" " + _("The previous address no longer works.") if replaced else ""),
          "success")
    return render_my_bookings(company, feed_token=token)


@bp.post("/booths/subscription/revoke")
@login_required
def revoke_subscription():
    """Revoke the company's calendar subscription: its address stops working at once."""
    company = require_company()
    if not ActionForm().validate():
        abort(400)
    if feed.revoke_feed(company):
        audit("feed.revoked", current_user, f"company {company.name}", ip=client_address())
        db.session.commit()
        flash(_("The subscription address has been revoked. Calendars that use it no longer "
                "receive your fairs."), "success")
    return redirect(url_for("booths.my_bookings") + "#subscription")


def occupation_choices(company: Company) -> list[tuple[int, str]]:
    """The company's own occupations, or all of them when its profile names none."""
    chosen = list(company.occupations)
    if not chosen:
        chosen = db.session.execute(select(Occupation).order_by(Occupation.name)).scalars()
    return [(occupation.id, occupation.name) for occupation in chosen]


@bp.route("/booths/events/<int:event_id>/book", methods=["GET", "POST"])
@login_required
def book(event_id: int):
    """The booking form of a fair: category, staff, power, occupations, remarks."""
    company = require_company()
    event = db.get_or_404(Event, event_id)
    if not calendar.can_view(current_user, event):
        abort(404)
    setup = booths.setup_of(event)
    if setup is None or not setup.takes_exhibitors:
        abort(404)
    existing = booths.active_booking(company, event)
    if existing is not None:
        return redirect(url_for("booths.booking", booking_id=existing.id))
    now = now_utc()
    closed = None
    try:
        booths.check_window(setup, event, now)
    except booths.BookingError as error:
        closed = error.message
    categories = booths.categories_of(event)
    form = BookingForm()
    form.category_id.choices = [(c.id, c.name) for c in categories]
    form.occupations.choices = occupation_choices(company)
    if request.method == "GET" and len(categories) == 1:
        form.category_id.data = categories[0].id
    status = 200
    if form.is_submitted() and closed is None:
        if form.validate():
            category = next(c for c in categories if c.id == form.category_id.data)
            details = booths.BookingDetails(
                staff_count=form.staff_count.data, power_needs=form.power_needs.data or "",
                occupation_ids=list(form.occupations.data or []),
                remarks=form.remarks.data or "",
                invoice_address=form.invoice_address.data or "",
                order_number=form.order_number.data or "")
            try:
                booking = booths.book(company, category, details, current_user, now)
            except booths.BookingError as error:
                db.session.rollback()
                put_errors(form, error, BOOKING_FIELDS)
            else:
                db.session.commit()
                return redirect(url_for("booths.booking", booking_id=booking.id, new=1))
        status = INVALID
    elif form.is_submitted():
        status = 409
    return render_template("booths/book.html", event=event, setup=setup, form=form,
                           categories=categories, closed=closed,
                           rules=booths.allocation_rules(setup)), status


@bp.get("/booths/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    """One of the company's bookings: what happened and what comes next (an offer to
    accept or decline, the stand, the deadlines)."""
    found = own_booking(booking_id)
    return render_booking(found)


def render_booking(found: Booking, status: int = 200):
    setup = db.session.get(BoothSetup, found.event_id)
    return render_template("booths/booking.html", booking=found, setup=setup,
                           now=now_utc(), new=request.args.get("new") == "1",
                           action_form=ActionForm(formdata=None),
                           confirm_form=ConfirmForm(formdata=None)), status


@bp.post("/booths/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    """Cancel the company's booking; asks first (its place goes to the waitlist)."""
    return _give_up(booking_id, "cancel", booths.cancel,
                    _("Your booking for “%(event)s” is cancelled."), back_to_list=True)


@bp.post("/booths/bookings/<int:booking_id>/accept")
@login_required
def accept(booking_id: int):
    """Take the place offered from the waitlist (before its deadline)."""
    found = own_booking(booking_id)
    if not ActionForm().validate():
        abort(400)
    try:
        booths.accept_offer(found, current_user, now_utc())
    except booths.BookingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("booths.booking", booking_id=found.id))
    db.session.commit()
    flash(_("You have accepted the place at “%(event)s”.", event=found.event.title),
          "success")
    return redirect(url_for("booths.booking", booking_id=found.id))


@bp.post("/booths/bookings/<int:booking_id>/decline")
@login_required
def decline(booking_id: int):
    """Decline the offered place; asks first (it passes to the next company)."""
    return _give_up(booking_id, "decline", booths.decline_offer,
                    _("You have declined the place at “%(event)s”."), back_to_list=False)


def _give_up(booking_id: int, step: str, action, done: str, *, back_to_list: bool):
    """A step that gives a place away: the confirmation page first, then ``action``."""
    found = own_booking(booking_id)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    if not form.is_confirmed:
        return render_template("booths/confirm_cancel.html", booking=found, form=form,
                               step=step)
    try:
        action(found, current_user, now_utc())
    except booths.BookingError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done % {"event": found.event.title}, "success")
    if back_to_list:
        return redirect(url_for("booths.my_bookings"))
    return redirect(url_for("booths.booking", booking_id=found.id))


# --- a fair's allocation, public ---------------------------------------------------------


@bp.get("/booths/events/<int:event_id>/allocation")
def allocation(event_id: int):
    """A lottery fair's rules, and once allocated its seed and drawn order — by
    application number, without company names (each company knows its own number), so
    anyone can recompute the order and nobody learns who else applied."""
    event = db.get_or_404(Event, event_id)
    if not calendar.can_view(current_user, event):
        abort(404)
    setup = booths.setup_of(event)
    rules = booths.allocation_rules(setup)
    if rules is None:
        abort(404)
    drawn = booths.drawn_order(event) if setup.allocated_at else []
    rows = [(booking, booths.draw_key(setup.lottery_seed, booking.id)) for booking in drawn]
    return render_template("booths/allocation.html", event=event, setup=setup, rules=rules,
                           rows=rows, groups=PRIORITY_GROUPS)
