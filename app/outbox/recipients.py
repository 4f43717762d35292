"""Who gets a notification, and the links it carries; shared by every area that queues
mail (booths, clashes), so that they agree on recipients, languages and outbox keys."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Company, User
from app.calendar.models import Event
from app.extensions import db


@dataclass(frozen=True)
class Recipient:
    """One address; ``key`` tells recipients apart in outbox keys (``user12``, ``contact``)."""

    key: str
    email: str
    language: str


def company_recipients(company: Company) -> list[Recipient]:
    """The company's active users; without any, its contact address (in German)."""
    users = [user for user in company.users if user.active and user.role == "company"]
    if users:
        return [Recipient(f"user{user.id}", user.email, user.language) for user in users]
    if company.contact_email:
        return [Recipient("contact", company.contact_email, "de")]
    return []


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


def absolute_url(path: str) -> str:
    """A link for a mail (no request there): ``BASE_URL`` and the path."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/{path.lstrip('/')}"


def event_url(event: Event) -> str:
    return absolute_url(f"/events/{event.id}")
