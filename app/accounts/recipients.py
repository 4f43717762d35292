"""Who in a company receives its mail."""

from __future__ import annotations

from app.accounts.models import Company
from app.outbox.recipients import Recipient


def company_recipients(company: Company) -> list[Recipient]:
    """The company's active users; without any, its contact address (in German)."""
    users = [user for user in company.users if user.active and user.role == "company"]
    if users:
        return [Recipient(f"user{user.id}", user.email, user.language) for user in users]
    if company.contact_email:
        return [Recipient("contact", company.contact_email, "de")]
    return []
