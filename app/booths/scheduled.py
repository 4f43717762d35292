"""What the scheduler's booth job does (``app.jobs``): settle cancelled fairs, remind,
send the final exhibitor lists.

Each function may run any number of times, also in two processes at once, and queues
each message once: it marks what it did with a conditional UPDATE, and the outbox's
unique keys refuse a second copy.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.booths import notifications
from app.booths.codes import ACTIVE_STATUSES
from app.booths.exports import exhibitors_csv
from app.booths.models import Booking, BoothSetup
from app.booths.services import event_cancelled, exhibitors
from app.calendar.models import Event
from app.calendar.recipients import organiser_recipients
from app.extensions import db
from app.outbox.services import queue
from app.time import as_utc

REMINDER_BEFORE = timedelta(days=7)


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
            new += notifications.booking_changed(booking, "reminder", now)
    db.session.flush()
    return new


def due_fair_cancellations(now: datetime) -> int:
    """Cancel the bookings that are still active at cancelled fairs and tell the
    companies (``services.event_cancelled``): the safety net for every way a fair is
    cancelled (pages, API, shell), whether or not that path called it at once. Returns
    how many messages were new."""
    events = db.session.execute(
        select(Event).where(Event.status == "cancelled", Event.id.in_(
            select(Booking.event_id).where(Booking.status.in_(ACTIVE_STATUSES))))
        .order_by(Event.id)
    ).scalars().all()
    return sum(event_cancelled(event, now) for event in events)


def due_final_lists(now: datetime) -> int:
    """At a fair's registration close, queue its exhibitor list (CSV attached) to the
    organisers. Idempotent: once per fair."""
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
