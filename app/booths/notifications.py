"""E-mails about bookings, queued in the outbox in each recipient's language.

``booking_changed`` is called by the booking services in the same transaction as the
change. ``due_reminders`` and ``due_final_lists`` are for the scheduler: they may run any
number of times (also in two processes at once) and queue each message once, thanks to
the outbox's unique keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.accounts.models import User
from app.accounts.recipients import company_recipients
from app.booths.codes import ACTIVE_STATUSES, BOOKING_STATUSES
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.ical import build_calendar
from app.calendar.models import Event
from app.calendar.recipients import event_url, organiser_recipients
from app.extensions import db
from app.i18n import format_euros, format_event_when
from app.outbox.services import queue
from app.time import as_utc, to_local

REMINDER_BEFORE = timedelta(days=7)
# Messages after which a company may want to ask the organiser why.
WITH_CONTACT = ("cancelled_by_organiser", "fair_cancelled", "rejected", "moved")


def event_ics(event: Event) -> bytes:
    """The event as an iCalendar file, as the feeds show it."""
    base_url = current_app.config["BASE_URL"]
    calendar = build_calendar([event], name=event.title, description=event.title,
                              base_url=base_url)
    return calendar.to_ical()


@dataclass(frozen=True)
class Occasion:
    """What else a message needs to know besides the booking: who acted, the category a
    booking was moved from, the reason a fair was cancelled."""

    actor: User | None = None
    moved_from: BoothCategory | None = None
    reason: str | None = None


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


def _contact(event: Event) -> str | None:
    """The organiser's contact for questions, as the event names it."""
    parts = [part for part in (event.contact_name, event.contact_email, event.contact_phone)
             if part]
    if not parts:
        return None
    return _("Questions? Please contact the organiser: %(contact)s", contact=", ".join(parts))


def _who(user: User | None) -> str:
    if user is None:
        return _("a user of your company")
    return user.name or user.email


def _placed(booking: Booking, facts: dict) -> str:
    """Where a moved booking stands now, in its new category."""
    if booking.status == "confirmed":
        return _("The booth in %(category)s is confirmed.", **facts)
    if booking.status == "pending":
        return _("The booking awaits the organiser's approval; you will hear from us.")
    return _("All booths of %(category)s are taken: %(company)s is on its waitlist at "
             "position %(position)s and moves up automatically when a place becomes free.",
             **facts)


def _booking_text(kind: str, booking: Booking, language: str, now: datetime,
                  occasion: Occasion) -> tuple[str, str]:
    """Subject and body of a booking message, in the current (forced) locale; dates
    and prices in ``language`` (no request here to ask)."""
    # By id: after a move the loaded relationship may still be the old category.
    event, category = booking.event, db.session.get(BoothCategory, booking.category_id)
    facts = {"event": event.title, "category": category.name,
             "company": booking.company.name, "when": format_event_when(event, language),
             "position": booking.waitlist_position or 0,
             "price": format_euros(category.price_cents, language),
             "organiser": event.organisation.name}
    status = str(BOOKING_STATUSES[booking.status])
    if kind == "promoted" and booking.status == "pending":
        kind = "promoted_pending"
    if kind == "moved":
        old = occasion.moved_from
        facts.update(old=old.name if old else "?",
                     old_price=format_euros(old.price_cents, language) if old else "?")
    subjects = {
        "confirmed": lambda: _("Booth confirmed: %(event)s", **facts),
        "pending": lambda: _("Booking received, awaiting approval: %(event)s", **facts),
        "waitlisted": lambda: _("On the waitlist (position %(position)s): %(event)s", **facts),
        "promoted": lambda: _("A place has become free: %(event)s", **facts),
        "promoted_pending": lambda: _("A place has become free: %(event)s", **facts),
        "rejected": lambda: _("Booking not accepted: %(event)s", **facts),
        "reminder": lambda: _reminder_subject(event, now),
        "cancelled": lambda: _("Booking cancelled: %(event)s", **facts),
        "cancelled_by_organiser": lambda: _("Booking cancelled by the organiser: %(event)s",
                                            **facts),
        "moved": lambda: _("Booking moved to another category: %(event)s", **facts),
        "fair_cancelled": lambda: _("Fair cancelled: %(event)s", **facts),
    }
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
            "on %(when)s now holds a booth. Status: %(status)s.", status=status, **facts)],
        "promoted_pending": lambda: [_(
            "A place has become free in the category %(category)s at %(event)s on %(when)s. "
            "The booking of %(company)s has moved up from the waitlist and now awaits the "
            "organiser's approval; you will hear from us. Status: %(status)s.",
            status=status, **facts)],
        "rejected": lambda: [_(
            "The organiser could not accept the booking of %(company)s for %(event)s "
            "(%(category)s).", **facts)],
        "reminder": lambda: [_(
            "%(event)s begins on %(when)s. %(company)s exhibits with a booth (%(category)s).",
            **facts)],
        "cancelled": lambda: [_(
            "The booking of %(company)s (%(category)s) at %(event)s on %(when)s has been "
            "cancelled, as %(who)s asked.", who=_who(occasion.actor), **facts)],
        "cancelled_by_organiser": lambda: [_(
            "The organiser of %(event)s (%(organiser)s) has cancelled the booking of "
            "%(company)s (%(category)s) for the fair on %(when)s.", **facts)],
        "moved": lambda: [_(
            "The organiser has moved the booking of %(company)s at %(event)s on %(when)s "
            "from the category %(old)s (%(old_price)s) to %(category)s (%(price)s).",
            **facts), _placed(booking, facts)],
        "fair_cancelled": lambda: [_(
            "The organiser (%(organiser)s) has cancelled %(event)s on %(when)s. The booking "
            "of %(company)s (%(category)s) is therefore cancelled as well; there is nothing "
            "you need to do.", **facts)] + (
            [_("Reason given by the organiser: %(reason)s", reason=occasion.reason)]
            if occasion.reason else []),
    }
    body = lines[kind]()
    contact = _contact(event) if kind in WITH_CONTACT else None
    if contact:
        body.append(contact)
    body += [_("Event page: %(url)s", url=event_url(event)), _("Messekalender Südwestfalen")]
    return subjects[kind](), "\n\n".join(body) + "\n"


def _key(booking: Booking, kind: str, now: datetime, occasion: Occasion) -> str:
    """The outbox key without the recipient. The category is part of it: a booking moved
    to another category may be waitlisted or promoted there again; a move is news each
    time it happens."""
    if kind == "moved":
        old = occasion.moved_from.id if occasion.moved_from else 0
        return (f"booking:{booking.id}:moved:{old}-{booking.category_id}:"
                f"{int(now.timestamp())}")
    return f"booking:{booking.id}:{kind}:{booking.category_id}"


def booking_changed(booking: Booking, kind: str, now: datetime,
                    occasion: Occasion | None = None) -> int:
    """Queue the message ``kind`` about ``booking`` to its company's users. Returns how
    many were new.

    Kinds: confirmed, pending, waitlisted, promoted, rejected, reminder, cancelled (the
    company cancelled), cancelled_by_organiser, moved (``occasion.moved_from``),
    fair_cancelled (``occasion.reason``)."""
    occasion = occasion or Occasion()
    new = 0
    ics = event_ics(booking.event)
    key = _key(booking, kind, now, occasion)
    for recipient in company_recipients(booking.company):
        with force_locale(recipient.language):
            subject, body = _booking_text(kind, booking, recipient.language, now, occasion)
        new += queue(f"{key}:{recipient.key}", recipient.email, subject, body, now,
                     language=recipient.language, attachment_name="event.ics",
                     attachment=ics)
    return new


def due_reminders(now: datetime) -> int:
    """Queue the reminder for confirmed bookings of published fairs that begin within the
    next 7 days. Idempotent: each booking is reminded once.

    A booking that got its place only after the reminder point (booked late, added by
    hand, approved or promoted within the last week) is not reminded: its confirmation
    came a few days before the fair and told the date already. A reminder that comes
    late (the scheduler was down) names the real number of days."""
    bookings = db.session.execute(
        select(Booking).join(Event, Booking.event_id == Event.id)
        .where(Booking.status == "confirmed", Booking.reminded_at.is_(None),
               Event.status == "published", Event.starts_at > now,
               Event.starts_at <= now + REMINDER_BEFORE)
        .order_by(Booking.id)
    ).scalars().all()
    new = 0
    for booking in bookings:
        placed = as_utc(booking.decided_at or booking.created_at)
        if placed > as_utc(booking.event.starts_at) - REMINDER_BEFORE:
            continue
        marked = db.session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if marked:
            new += booking_changed(booking, "reminder", now)
    db.session.flush()
    return new


def due_fair_cancellations(now: datetime) -> int:
    """Cancel the bookings that are still active at cancelled fairs and tell the
    companies (``services.event_cancelled``): the safety net for every way a fair is
    cancelled (pages, API, shell), whether or not that path called it at once. Returns
    how many messages were new."""
    from app.booths.services import event_cancelled

    events = db.session.execute(
        select(Event).where(Event.status == "cancelled", Event.id.in_(
            select(Booking.event_id).where(Booking.status.in_(ACTIVE_STATUSES))))
        .order_by(Event.id)
    ).scalars().all()
    return sum(event_cancelled(event, now) for event in events)


def due_final_lists(now: datetime) -> int:
    """At a fair's registration close, queue its exhibitor list (CSV attached) to the
    organisers. Idempotent: once per fair."""
    from app.booths.exports import exhibitors_csv
    from app.booths.services import exhibitors

    setups = db.session.execute(
        select(BoothSetup).join(Event, BoothSetup.event_id == Event.id)
        .where(BoothSetup.takes_exhibitors.is_(True), BoothSetup.final_list_queued_at.is_(None),
               BoothSetup.closes_at <= now, Event.status == "published", Event.ends_at > now)
        .order_by(BoothSetup.event_id)
    ).scalars().all()
    new = 0
    for setup in setups:
        marked = db.session.execute(
            update(BoothSetup).where(BoothSetup.event_id == setup.event_id,
                                     BoothSetup.final_list_queued_at.is_(None))
            .values(final_list_queued_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if not marked:
            continue
        event = setup.event
        confirmed = exhibitors(event)
        for recipient in organiser_recipients(event):
            with force_locale(recipient.language):
                subject = _("Final exhibitor list: %(event)s", event=event.title)
                listing = "\n".join(
                    f"- {booking.company.name} ({booking.category.name}, "
                    f"{booking.staff_count})" for booking in confirmed
                ) or _("No confirmed exhibitors.")
                body = "\n\n".join([
                    ngettext("Registration for %(event)s has closed. %(num)d exhibitor is "
                             "confirmed:",
                             "Registration for %(event)s has closed. %(num)d exhibitors are "
                             "confirmed:", len(confirmed), event=event.title),
                    listing,
                    _("The attached CSV file holds the full list."),
                ]) + "\n"
                csv_bytes = exhibitors_csv(event)
            new += queue(f"final-list:{event.id}:{recipient.key}", recipient.email, subject,
                         body, now, language=recipient.language,
                         attachment_name="exhibitors.csv", attachment=csv_bytes)
    db.session.flush()
    return new

