"""Who hears about an event on the organiser's side, and the event's link in a mail."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.outbox.recipients import Recipient, absolute_url


def organiser_recipients(event: Event) -> list[Recipient]:
    """The active organisers of the event's organisation and the organisation's contact
    address (in German; once, if an organiser has the same address); with neither, the
    event's contact address."""
    users = db.session.execute(
        select(User).where(User.organisation_id == event.organisation_id,
                           User.role == "organiser", User.active.is_(True))
        .order_by(User.id)
    ).scalars()
    recipients = [Recipient(f"user{user.id}", user.email, user.language) for user in users]
    contact = event.organisation.email if event.organisation is not None else None
    if contact and contact.lower() not in {recipient.email.lower() for recipient in recipients}:
        recipients.append(Recipient("organisation", contact, "de"))
    if not recipients and event.contact_email:
        recipients = [Recipient("contact", event.contact_email, "de")]
    return recipients


def unreachable(events: list[Event]) -> list[Event]:
    """The events whose organiser no mail can reach (no active organiser, no contact
    address of the organisation or the event): pages must not promise them a message."""
    return [event for event in events if not organiser_recipients(event)]


def event_url(event: Event) -> str:
    return absolute_url(f"/events/{event.id}")
