"""Who in a company receives its mail."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from app.accounts.models import Company, User
from app.extensions import db
from app.outbox.recipients import Recipient

# Built once: a booking asks it on every request (SQLAlchemy keeps its cache key).
_COMPANY_USERS = (select(User.id, User.email, User.language)
                  .where(User.company_id == bindparam("company"), User.active.is_(True),
                         User.role == "company").order_by(User.id))


def company_recipients(company: Company) -> list[Recipient]:
    """The company's active users; without any, its contact address (in German)."""
    users = db.session.execute(_COMPANY_USERS, {"company": company.id}).all()
    if users:
        return [Recipient(f"user{user.id}", user.email, user.language) for user in users]
    if company.contact_email:
        return [Recipient("contact", company.contact_email, "de")]
    return []
