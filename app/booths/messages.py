"""The texts of the booking mails, rendered after the commit from what the outbox kept.

``notifications.booking_changed`` queues a row with the template ``booking`` and the facts
of the moment (kind, status, position, category, the previous category of a move, who
acted, the organiser's reason, an offer's deadline); the outbox asks this module for the
subject, the body and the fair's ``.ics`` when it delivers (``receivers``). Names,
dates and prices are read when the mail is rendered, so a renamed category is shown with
its new name; the facts of the change itself are never read again.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.booths.codes import BOOKING_STATUSES
from app.booths.models import Booking, BoothCategory
from app.calendar.ical import build_calendar
from app.calendar.models import Event
from app.calendar.recipients import event_url
from app.extensions import db
from app.i18n import format_deadline, format_euros, format_event_when
from app.outbox.recipients import absolute_url
from app.outbox.services import Rendered
from app.time import to_local

TEMPLATE = "booking"
# Messages after which a company may want to ask the organiser why.
WITH_CONTACT = ("cancelled_by_organiser", "fair_cancelled", "rejected", "moved",
                "offer_expired", "allocated_waitlisted")


def event_ics(event: Event) -> bytes:
    """The event as an iCalendar file, as the feeds show it."""
    base_url = current_app.config["BASE_URL"]
    calendar = build_calendar([event], name=event.title, description=event.title,
                              base_url=base_url)
    return calendar.to_ical()


def render(params: dict, language: str, queued_at: datetime) -> Rendered | None:
    """The mail ``params`` describe, in ``language``; None when its booking is gone."""
    booking = db.session.get(Booking, params.get("booking") or 0)
    category = db.session.get(BoothCategory, params.get("category") or 0)
    if booking is None or category is None:
        return None
    event = db.session.get(Event, booking.event_id)
    with force_locale(language):
        subject, body = booking_text(params, booking, category, event, language, queued_at)
    return Rendered(subject, body, "event.ics", event_ics(event))


def _days_until(event: Event, now: datetime) -> int:
    """Whole local calendar days from ``now`` to the fair's first day (0: today)."""
    return max(0, (to_local(event.starts_at).date() - to_local(now).date()).days)


def _reminder_subject(event: Event, now: datetime) -> str:
    """"… in 7 days", "… tomorrow": the real distance, also for a late reminder."""
    days = _days_until(event, now)
    if days == 0:
        return _("Reminder: %(event)s today", event=event.title)
    if days == 1:
        return _("Reminder: %(event)s tomorrow", event=event.title)
    return ngettext("Reminder: %(event)s in %(num)d day", "Reminder: %(event)s in %(num)d days",
                    days, event=event.title)


def contact_line(event: Event) -> str | None:
    """The organiser's contact for questions, as the event names it."""
    parts = [part for part in (event.contact_name, event.contact_email, event.contact_phone)
             if part]
    if not parts:
        return None
    return _("Questions? Please contact the organiser: %(contact)s", contact=", ".join(parts))


def _placed(status: str, facts: dict) -> str:
    """Where a moved booking stands now, in its new category."""
    if status == "confirmed":
        return _("The booth in %(category)s is confirmed.", **facts)
    if status == "pending":
        return _("The booking awaits the organiser's approval; you will hear from us.")
    return _("All booths of %(category)s are taken: %(company)s is on its waitlist at "
             "position %(position)s and moves up automatically when a place becomes free.",
             **facts)


SUBJECTS = {
    "confirmed": _l("Booth confirmed: %(event)s"),
    "pending": _l("Booking received, awaiting approval: %(event)s"),
    "waitlisted": _l("On the waitlist (position %(position)s): %(event)s"),
    "promoted": _l("A place has become free: %(event)s"),
    "promoted_pending": _l("A place has become free: %(event)s"),
    "rejected": _l("Booking not accepted: %(event)s"),
    "cancelled": _l("Booking cancelled: %(event)s"),
    "cancelled_by_organiser": _l("Booking cancelled by the organiser: %(event)s"),
    "moved": _l("Booking moved to another category: %(event)s"),
    "fair_cancelled": _l("Fair cancelled: %(event)s"),
    "applied": _l("Application received: %(event)s"),
    "offered": _l("A place is offered to you: %(event)s"),
    "offer_reminder": _l("Your offer runs out soon: %(event)s"),
    "offer_expired": _l("Offer expired: %(event)s"),
    "declined": _l("Offer declined: %(event)s"),
    "allocated_confirmed": _l("Allocation: your booth is confirmed: %(event)s"),
    "allocated_pending": _l("Allocation: a place for you, awaiting approval: %(event)s"),
    "allocated_waitlisted": _l("Allocation: waitlist position %(position)s: %(event)s"),
}


def _deadline(value: str | None, language: str) -> str:
    if not value:
        return "?"
    return format_deadline(datetime.fromisoformat(value), language)


def _allocation_line(facts: dict) -> str:
    return _("The drawn order and the seed, for anyone to check: %(url)s",
             url=facts["allocation_url"])


def booking_text(params: dict, booking: Booking, category: BoothCategory, event: Event,
                 language: str, queued_at: datetime) -> tuple[str, str]:
    """Subject and body, in the current (forced) locale; dates and prices in
    ``language`` (no request here to ask)."""
    kind, status = params["kind"], params.get("status") or booking.status
    facts = {"event": event.title, "category": category.name,
             "company": booking.company.name, "when": format_event_when(event, language),
             "position": params.get("position") or 0,
             "price": format_euros(category.price_cents, language),
             "organiser": event.organisation.name}
    if kind == "promoted" and status == "pending":
        kind = "promoted_pending"
    if kind == "allocated":
        kind = f"allocated_{status}"
    facts["deadline"] = _deadline(params.get("deadline"), language)
    facts["booking_url"] = absolute_url(f"/booths/bookings/{booking.id}")
    facts["allocation_url"] = absolute_url(f"/booths/events/{event.id}/allocation")
    if kind == "moved":
        old = db.session.get(BoothCategory, params.get("old") or 0)
        facts.update(old=old.name if old else "?",
                     old_price=format_euros(old.price_cents, language) if old else "?")
    subject = (_reminder_subject(event, queued_at) if kind == "reminder"
               else str(SUBJECTS[kind]) % facts)
    body = _lines(kind, status, params, facts, language)
    reason = params.get("reason")
    if reason:
        body.append(_("Reason given by the organiser: %(reason)s", reason=reason))
    contact = contact_line(event) if kind in WITH_CONTACT else None
    if contact:
        body.append(contact)
    body += [_("Event page: %(url)s", url=event_url(event)), _("Messekalender Südwestfalen")]
    return subject, "\n\n".join(body) + "\n"


def _lines(kind: str, status: str, params: dict, facts: dict, language: str) -> list[str]:
    label = str(BOOKING_STATUSES.get(status, status))
    who = params.get("actor") or _("a user of your company")
    lines = {
        "confirmed": lambda: [_(
            "The booking of %(company)s for a booth (%(category)s) at %(event)s on %(when)s "
            "is confirmed.", **facts)],
        "pending": lambda: [_(
            "We have received the booking of %(company)s for a booth (%(category)s) at "
            "%(event)s on %(when)s. The organiser will decide on it; you will hear from us.",
            **facts)],
        "waitlisted": lambda: [_(
            "All booths of the category %(category)s at %(event)s are taken. %(company)s is "
            "on the waitlist at position %(position)s and moves up automatically when a place "
            "becomes free.", **facts)],
        "promoted": lambda: [_(
            "A place has become free: the booking of %(company)s (%(category)s) at %(event)s "
            "on %(when)s now holds a booth. Status: %(status)s.", status=label, **facts)],
        "promoted_pending": lambda: [_(
            "A place has become free in the category %(category)s at %(event)s on %(when)s. "
            "The booking of %(company)s has moved up from the waitlist and now awaits the "
            "organiser's approval; you will hear from us. Status: %(status)s.",
            status=label, **facts)],
        "rejected": lambda: [_(
            "The organiser could not accept the booking of %(company)s for %(event)s "
            "(%(category)s).", **facts)],
        "reminder": lambda: [_(
            "%(event)s begins on %(when)s. %(company)s exhibits with a booth (%(category)s).",
            **facts)],
        "cancelled": lambda: [_(
            "The booking of %(company)s (%(category)s) at %(event)s on %(when)s has been "
            "cancelled, as %(who)s asked.", who=who, **facts)],
        "cancelled_by_organiser": lambda: [_(
            "The organiser of %(event)s (%(organiser)s) has cancelled the booking of "
            "%(company)s (%(category)s) for the fair on %(when)s.", **facts)],
        "moved": lambda: [_(
            "The organiser has moved the booking of %(company)s at %(event)s on %(when)s "
            "from the category %(old)s (%(old_price)s) to %(category)s (%(price)s).",
            **facts), _placed(status, facts)],
        "fair_cancelled": lambda: [_(
            "The organiser (%(organiser)s) has cancelled %(event)s on %(when)s. The booking "
            "of %(company)s (%(category)s) is therefore cancelled as well; there is nothing "
            "you need to do.", **facts)],
        "applied": lambda: [_(
            "We have received the application of %(company)s for a booth (%(category)s) at "
            "%(event)s on %(when)s. Places are allocated when registration closes, by the "
            "rules shown on the fair's page; you will hear the outcome at once.", **facts)],
        "offered": lambda: [_(
            "A place has become free in the category %(category)s at %(event)s on %(when)s, "
            "and it is offered to %(company)s. Please accept or decline it by %(deadline)s; "
            "after that it passes to the next company on the waitlist.", **facts),
            _("Accept or decline: %(url)s", url=facts["booking_url"])],
        "offer_reminder": lambda: [_(
            "The place offered to %(company)s (%(category)s) at %(event)s is kept until "
            "%(deadline)s. Please accept or decline it before then.", **facts),
            _("Accept or decline: %(url)s", url=facts["booking_url"])],
        "offer_expired": lambda: [_(
            "The place offered to %(company)s (%(category)s) at %(event)s was not accepted "
            "in time and has passed to the next company on the waitlist.", **facts)],
        "declined": lambda: [_(
            "%(who)s has declined the place offered to %(company)s (%(category)s) at "
            "%(event)s. It passes to the next company on the waitlist.", who=who, **facts)],
        "allocated_confirmed": lambda: [_(
            "The places of %(event)s on %(when)s have been allocated: %(company)s has a "
            "booth (%(category)s), confirmed.", **facts), _allocation_line(facts)],
        "allocated_pending": lambda: [_(
            "The places of %(event)s on %(when)s have been allocated: %(company)s has a "
            "place (%(category)s) that awaits the organiser's approval.", **facts),
            _allocation_line(facts)],
        "allocated_waitlisted": lambda: [_(
            "The places of %(event)s on %(when)s have been allocated. %(company)s did not "
            "get a booth in %(category)s this time and is on the waitlist at position "
            "%(position)s; when a place becomes free, it is offered in this order.", **facts),
            _allocation_line(facts)],
    }
    return lines[kind]()

