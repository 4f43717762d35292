"""The teacher's secret link to a registration: a random token in the address, only its
SHA-256 in the database.

The link is all a teacher has (no account), so it is checked like a password: looked up
by its hash, never logged, and it leads to nothing once the fair is long over. Every mail
that carries a link carries a new token (the stored hash cannot give the old one back);
all of a registration's tokens open the same page.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.outbox.recipients import absolute_url
from app.time import as_utc
from app.visits.codes import LINK_VALID_AFTER_FAIR
from app.visits.models import VisitLink, VisitRegistration

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


def issue_link(registration: VisitRegistration, now: datetime) -> str:
    """A new token for ``registration`` (stored hashed); returns the token."""
    token = secrets.token_urlsafe(32)
    db.session.add(VisitLink(registration_id=registration.id, token_hash=VisitLink.hash(token),
                             created_at=now))
    db.session.flush()
    return token


def link_url(token: str) -> str:
    return absolute_url(f"/visits/r/{token}")


def find_registration(token: str) -> VisitRegistration | None:
    """The registration a token opens, or None for anything forged or malformed."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return db.session.execute(
        select(VisitRegistration).join(VisitLink,
                                       VisitLink.registration_id == VisitRegistration.id)
        .where(VisitLink.token_hash == VisitLink.hash(token))
    ).scalar_one_or_none()


def link_expired(registration: VisitRegistration, now: datetime) -> bool:
    """A link leads nowhere a week after the fair (and after its hold expired)."""
    return (registration.expired_at is not None
            or now > as_utc(registration.event.ends_at) + LINK_VALID_AFTER_FAIR)
