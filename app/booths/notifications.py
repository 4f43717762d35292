"""E-mails about bookings, queued in the outbox in each recipient's language.

``booking_changed`` is called by the booking services in the same transaction as the
change. ``due_reminders`` and ``due_final_lists`` are for the scheduler: they may run any
number of times (also in two processes at once) and queue each message once, thanks to
the outbox's unique keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.booths.codes import BOOKING_STATUSES
from app.booths.models import Booking, BoothSetup
from app.calendar.models import Event
from app.extensions import db
from app.feeds.ical import build_calendar
from app.outbox.recipients import (  # noqa: F401 - also imported from here
    Recipient,
    company_recipients,
    event_url,
    organiser_recipients,
)
from app.outbox.services import queue
from app.time import to_local

REMINDER_BEFORE = timedelta(days=7)


def event_ics(event: Event) -> bytes:
    """The event as an iCalendar file, as the feeds show it."""
    base_url = current_app.config["BASE_URL"]
    calendar = build_calendar([event], name=event.title, description=event.title,
                              base_url=base_url)
    return calendar.to_ical()


def _when(event: Event, language: str) -> str:
    return format_datetime(to_local(event.starts_at), "full", locale=language)


def _booking_text(kind: str, booking: Booking, language: str) -> tuple[str, str]:
    """Subject and body of a booking message, in the current (forced) locale."""
    event, category = booking.event, booking.category
    facts = {"event": event.title, "category": category.name,
             "company": booking.company.name, "when": _when(event, language),
             "position": booking.waitlist_position or 0}
    subjects = {
        "confirmed": _("Booth confirmed: %(event)s", **facts),
        "pending": _("Booking received, awaiting approval: %(event)s", **facts),
        "waitlisted": _("On the waitlist (position %(position)s): %(event)s", **facts),
        "promoted": _("A place has become free: %(event)s", **facts),
        "rejected": _("Booking not accepted: %(event)s", **facts),
        "reminder": _("Reminder: %(event)s in one week", **facts),
    }
    lines = {
        "confirmed": _("The booking of %(company)s for a booth (%(category)s) at %(event)s "
                       "on %(when)s is confirmed.", **facts),
        "pending": _("We have received the booking of %(company)s for a booth "
                     "(%(category)s) at %(event)s on %(when)s. The organiser will decide "
                     "on it; you will hear from us.", **facts),
        "waitlisted": _("All booths of the category %(category)s at %(event)s are taken. "
                        "%(company)s is on the waitlist at position %(position)s and moves "
                        "up automatically when a place becomes free.", **facts),
        "promoted": _("A place has become free: the booking of %(company)s (%(category)s) "
                      "at %(event)s on %(when)s now holds a booth. Status: %(status)s.",
                      status=str(BOOKING_STATUSES[booking.status]), **facts),
        "rejected": _("The organiser could not accept the booking of %(company)s for "
                      "%(event)s (%(category)s).", **facts),
        "reminder": _("%(event)s begins on %(when)s. %(company)s exhibits with a booth "
                      "(%(category)s).", **facts),
    }
    body = "\n\n".join([
        lines[kind],
        _("Event page: %(url)s", url=event_url(event)),
        _("Messekalender Südwestfalen"),
    ])
    return subjects[kind], body + "\n"


def booking_changed(booking: Booking, kind: str, now: datetime) -> int:
    """Queue the message ``kind`` (confirmed, pending, waitlisted, promoted, rejected,
    reminder) about ``booking`` to its company's users. Returns how many were new."""
    new = 0
    ics = event_ics(booking.event)
    for recipient in company_recipients(booking.company):
        with force_locale(recipient.language):
            subject, body = _booking_text(kind, booking, recipient.language)
        # The category is part of the key: a booking moved to another category may be
        # waitlisted or promoted there again.
        key = f"booking:{booking.id}:{kind}:{booking.category_id}:{recipient.key}"
        new += queue(key, recipient.email, subject, body, now, language=recipient.language,
                     attachment_name="event.ics", attachment=ics)
    return new


def due_reminders(now: datetime) -> int:
    """Queue the reminder for confirmed bookings of published fairs that begin within the
    next 7 days. Idempotent: each booking is reminded once."""
    bookings = db.session.execute(
        select(Booking).join(Event, Booking.event_id == Event.id)
        .where(Booking.status == "confirmed", Booking.reminded_at.is_(None),
               Event.status == "published", Event.starts_at > now,
               Event.starts_at <= now + REMINDER_BEFORE)
        .order_by(Booking.id)
    ).scalars().all()
    new = 0
    for booking in bookings:
        marked = db.session.execute(
            update(Booking).where(Booking.id == booking.id, Booking.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if marked:
            new += booking_changed(booking, "reminder", now)
    db.session.flush()
    return new


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

