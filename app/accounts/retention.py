"""How long account data is kept, and the purge the scheduler runs daily
(job ``purge-personal-data`` in ``app/jobs.py``). The privacy notice (``/datenschutz``)
names the same periods.

- Failed logins and login locks: 30 days. The lock-out needs 15 minutes; a month lets
  an admin look into an attack noticed late.
- Audit log: 1 year, long enough to trace an incident reported after months, short enough
  to be proportionate for a log that holds addresses and IP addresses.
- Links in mails: 30 days after they expired (used or not); they are useless by then.
- Invitations never accepted: 90 days after they expired (so the inviter still sees
  "expired" and can send again for a while).
- Company requests: unconfirmed ones 7 days after they were made; decided ones 180 days
  after the decision (a rejected company may ask why within that time; an approved
  one lives on as a company).
- Sent mails: 90 days after sending (``app.outbox.services.purge_sent``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from app.accounts.models import CompanyRequest, Invitation, LinkToken
from app.accounts.security import AuditEntry, LoginFailure, LoginLock
from app.extensions import db

LOGIN_RECORDS = timedelta(days=30)
AUDIT_LOG = timedelta(days=365)
LINKS = timedelta(days=30)
INVITATIONS = timedelta(days=90)
UNCONFIRMED_REQUESTS = timedelta(days=7)
DECIDED_REQUESTS = timedelta(days=180)


def purge_expired(now: datetime) -> dict[str, int]:
    """Delete what is past its period; returns how many rows of each kind."""
    removed = {
        "login_failures": db.session.execute(
            delete(LoginFailure).where(LoginFailure.at < now - LOGIN_RECORDS)).rowcount,
        "login_locks": db.session.execute(
            delete(LoginLock).where(LoginLock.until < now - LOGIN_RECORDS)).rowcount,
        "audit_entries": db.session.execute(
            delete(AuditEntry).where(AuditEntry.at < now - AUDIT_LOG)).rowcount,
        "link_tokens": db.session.execute(
            delete(LinkToken).where(LinkToken.expires_at < now - LINKS)).rowcount,
        "invitations": db.session.execute(
            delete(Invitation).where(Invitation.accepted_at.is_(None),
                                     Invitation.expires_at < now - INVITATIONS)).rowcount,
        "company_requests": db.session.execute(
            delete(CompanyRequest).where(or_(
                (CompanyRequest.status == "unconfirmed")
                & (CompanyRequest.created_at < now - UNCONFIRMED_REQUESTS),
                CompanyRequest.decided_at < now - DECIDED_REQUESTS))).rowcount,
    }
    db.session.flush()
    return removed
