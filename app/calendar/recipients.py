"""Who hears about an event on the organiser's side, and the event's link in a mail."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.outbox.recipients import Recipient, absolute_url


def organiser_recipients(event: Event) -> list[Recipient]:
    """The active organisers of the event's organisation; without any, the event's
    contact address (in German)."""
    users = db.session.execute(
        select(User).where(User.organisation_id == event.organisation_id,
                           User.role == "organiser", User.active.is_(True))
        .order_by(User.id)
    ).scalars()
    recipients = [Recipient(f"user{user.id}", user.email, user.language) for user in users]
    if not recipients and event.contact_email:
        recipients = [Recipient("contact", event.contact_email, "de")]
    return recipients


def event_url(event: Event) -> str:
    return absolute_url(f"/events/{event.id}")
