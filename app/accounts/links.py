"""Single-use links in mails: issue, check and use them (see ``LinkToken`` for why they are
random and stored hashed), and the mails that carry them.

A link is checked twice: when its page opens (to show the form or a clear page that offers
a new link) and when the form is sent, where ``use`` marks it used with one conditional
UPDATE, so two submissions racing with the same link cannot both win.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from app.accounts.models import CompanyRequest, Invitation, LinkToken, User
from app.extensions import db
from app.outbox.recipients import absolute_url
from app.outbox.services import queue

LIFETIMES = {
    "password_reset": timedelta(hours=1),
    "invitation": timedelta(days=7),
    "email_change": timedelta(hours=24),
    "company_request": timedelta(hours=24),
}
MAX_TOKEN_LENGTH = 100


class LinkError(Exception):
    """A link that cannot be used: ``reason`` is "unknown", "expired" or "used"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def issue(purpose: str, now: datetime, *, user: User | None = None,
          invitation: Invitation | None = None, email: str | None = None,
          company_request: CompanyRequest | None = None) -> str:
    """A new link for ``purpose``; earlier open links of the same purpose and subject die
    (only the newest link sent works). Returns the token: it is in the mail only."""
    revoke(purpose, now, user=user, invitation=invitation, email=email,
           company_request=company_request)
    token = secrets.token_urlsafe(32)
    db.session.add(LinkToken(
        purpose=purpose, token_hash=LinkToken.hash(token), user=user, invitation=invitation,
        email=email, company_request=company_request, created_at=now,
        expires_at=now + LIFETIMES[purpose]))
    db.session.flush()
    return token


def revoke(purpose: str, now: datetime, *, user: User | None = None,
           invitation: Invitation | None = None, email: str | None = None,
           company_request: CompanyRequest | None = None) -> int:
    """Kill the open links of ``purpose`` for this subject; returns how many."""
    conditions = [LinkToken.purpose == purpose, LinkToken.used_at.is_(None),
                  LinkToken.revoked_at.is_(None)]
    if user is not None:
        conditions.append(LinkToken.user_id == user.id)
    elif invitation is not None:
        conditions.append(LinkToken.invitation_id == invitation.id)
    elif company_request is not None:
        conditions.append(LinkToken.company_request_id == company_request.id)
    elif email is not None:
        conditions.append(LinkToken.email == email)
    else:
        return 0
    return db.session.execute(
        update(LinkToken).where(*conditions).values(revoked_at=now)
        .execution_options(synchronize_session=False)).rowcount


def check(purpose: str, token: str, now: datetime) -> LinkToken:
    """The open link behind ``token``, or LinkError: unknown (also: tampered, another
    purpose), expired, or used (also: revoked by a newer link or a password change)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not re.fullmatch(r"[\w-]+", token):
        raise LinkError("unknown")
    link = db.session.execute(
        select(LinkToken).where(LinkToken.token_hash == LinkToken.hash(token),
                                LinkToken.purpose == purpose)
    ).scalar_one_or_none()
    if link is None:
        raise LinkError("unknown")
    if link.used_at is not None or link.revoked_at is not None:
        raise LinkError("used")
    if link.expires_at <= now:
        raise LinkError("expired")
    return link


def use(link: LinkToken, now: datetime) -> None:
    """Mark ``link`` used, or raise LinkError("used") if another request did first."""
    claimed = db.session.execute(
        update(LinkToken).where(LinkToken.id == link.id, LinkToken.used_at.is_(None),
                                LinkToken.revoked_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise LinkError("used")
    db.session.refresh(link)


def link_url(endpoint_path: str, token: str) -> str:
    return absolute_url(f"{endpoint_path}/{token}")


def one_line(text: str) -> str:
    """A subject line: never a line break (no header injection), never too long."""
    return " ".join(text.split())[:250]


def send_mail(template: str, recipient: str, language: str, key: str, now: datetime,
              **context) -> bool:
    """Queue the plain-text mail ``templates/mail/<template>.<language>.txt``: its first
    line is ``Subject: …``, then an empty line and the body. Long texts live in one file
    per language, so the German text reads as a whole (and as the reviewer sees it)."""
    language = language if language in ("de", "en") else "de"
    # The app's Jinja environment without the page context processors: a mail is rendered
    # without a request (by a job, or for another person than the one asking).
    with force_locale(language):
        text = current_app.jinja_env.get_template(f"mail/{template}.{language}.txt").render(
            config=current_app.config, **context)
    head, _, body = text.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return queue(key, recipient, one_line(subject), body.strip() + "\n", now,
                 language=language)
