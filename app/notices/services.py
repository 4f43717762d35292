"""Subscriptions to change notices: subscribe (double opt-in), confirm, unsubscribe, and
forget unconfirmed addresses.

A confirmation link carries a random token of which only the hash is stored. An
unsubscribe link must work in every mail for as long as the subscription lives, so its
token is derived: the subscription's random handle and an HMAC of it under the app's
``SECRET_KEY`` (the database alone cannot make one). Functions flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app.accounts.services import normalise_email
from app.calendar.filters import EventFilter, FilterError
from app.errors import DomainError
from app.extensions import db
from app.notices import mails
from app.notices.models import NoticeSubscription
from app.outbox.models import OutboxMessage
from app.outbox.services import queue

# How long a confirmation link works; an unconfirmed address is deleted after that.
CONFIRM_WITHIN = timedelta(hours=48)
# Confirmation mails per pending subscription and window: nobody can mail-bomb an address.
MAX_CONFIRMATIONS = 3
LANGUAGES = ("de", "en")
SQLITE_WAIT_MS = 120_000


class NoticeError(DomainError):
    """A subscription request that cannot be taken as it is."""


def outbox_prefix(subscription: NoticeSubscription) -> str:
    """Every mail of a subscription has an outbox key starting with this."""
    return f"notices:{subscription.handle}:"


# --- the selection ---------------------------------------------------------------------------


def selection_string(event_filter: EventFilter) -> str:
    """The selection as stored: the filter's query string without dates (one spelling per
    selection, so the same selection is never subscribed twice)."""
    return urlencode(event_filter.selection.to_args(), doseq=True)


def selection_filter(selection: str) -> EventFilter:
    """The stored selection as a filter (FilterError if the codes no longer exist)."""
    return EventFilter.from_args(MultiDict(parse_qsl(selection)))


def parse_selections(selections: set[str]) -> dict[str, EventFilter | None]:
    """Each stored selection as a filter, None for one that no longer parses."""
    parsed: dict[str, EventFilter | None] = {}
    for selection in selections:
        try:
            parsed[selection] = selection_filter(selection)
        except FilterError:
            parsed[selection] = None
    return parsed


# --- tokens ----------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(f"notice-confirm:{token}".encode()).hexdigest()


def _signature(handle: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"notice-unsubscribe:{handle}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(subscription: NoticeSubscription) -> str:
    return f"{subscription.handle}.{_signature(subscription.handle)}"


def handle_of(token: str) -> str | None:
    """The handle an unsubscribe token was made for, or None for a forged or cut token."""
    handle, _dot, signature = (token or "")[:100].partition(".")
    if not handle or not signature:
        return None
    return handle if hmac.compare_digest(signature, _signature(handle)) else None


# --- life cycle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscribed:
    """What the page may say: ``sent`` (a mail is on its way: a confirmation link, or a
    note that the address already gets these notices — the page says the same either
    way, so it does not tell who is subscribed) or ``limit`` (enough links sent)."""

    outcome: str
    email: str


def subscribe(email: str, event_filter: EventFilter, language: str, now: datetime
              ) -> Subscribed:
    """Ask ``email`` to confirm a subscription to the selection of ``event_filter``."""
    if language not in LANGUAGES:
        raise NoticeError(str(_l("Please choose German or English.")), field="language")
    address = normalise_email(email)
    selection = selection_string(event_filter)
    subscription = _find(address, selection) or _create(address, selection, language, now)
    if subscription.confirmed:
        key = f"{outbox_prefix(subscription)}already:{now:%Y-%m-%d}"
        mail = mails.already_subscribed(
            subscription, mails.describe(event_filter, subscription.language),
            unsubscribe_token(subscription))
        queue(key, subscription.email, mail.subject, mail.body, now, language=mail.language,
              headers=mail.headers)
        return Subscribed("sent", address)
    if subscription.confirm_expires_at is not None and subscription.confirm_expires_at <= now:
        subscription.confirmations_sent = 0  # an old request: start afresh
    if subscription.confirmations_sent >= MAX_CONFIRMATIONS:
        return Subscribed("limit", address)
    token = secrets.token_urlsafe(32)
    subscription.language = language
    subscription.confirm_hash = _hash(token)
    subscription.confirm_expires_at = now + CONFIRM_WITHIN
    subscription.confirmations_sent += 1
    db.session.flush()
    mail = mails.confirmation(subscription, mails.describe(event_filter, language), token,
                              CONFIRM_WITHIN)
    queue(f"{outbox_prefix(subscription)}confirm:{subscription.confirm_hash[:16]}",
          subscription.email, mail.subject, mail.body, now, language=mail.language)
    return Subscribed("sent", address)


def _find(email: str, selection: str) -> NoticeSubscription | None:
    return db.session.execute(
        select(NoticeSubscription).where(NoticeSubscription.email == email,
                                         NoticeSubscription.selection == selection)
    ).scalar_one_or_none()


def _create(email: str, selection: str, language: str, now: datetime) -> NoticeSubscription:
    """A pending subscription; when the same one was created at the same moment by
    another request, that one (the unique email/selection pair decides)."""
    subscription = NoticeSubscription(handle=secrets.token_urlsafe(12), email=email,
                                      language=language, selection=selection, created_at=now,
                                      confirmations_sent=0)
    try:
        with db.session.begin_nested():
            db.session.add(subscription)
    except IntegrityError:
        existing = _find(email, selection)
        if existing is None:
            raise
        return existing
    return subscription


@dataclass(frozen=True)
class Confirmation:
    """``state``: ``pending`` (the link may confirm), ``confirmed`` (done now),
    ``already`` (confirmed before), ``expired`` or ``invalid`` (unknown or forged)."""

    state: str
    subscription: NoticeSubscription | None = None


def confirmation(token: str, now: datetime) -> Confirmation:
    """What a confirmation link stands for, without changing anything (a GET)."""
    subscription = db.session.execute(
        select(NoticeSubscription).where(NoticeSubscription.confirm_hash == _hash(token[:100]))
    ).scalar_one_or_none()
    if subscription is None:
        return Confirmation("invalid")
    if subscription.confirmed:
        return Confirmation("already", subscription)
    if subscription.confirm_expires_at is None or subscription.confirm_expires_at <= now:
        return Confirmation("expired", subscription)
    return Confirmation("pending", subscription)


def confirm(token: str, now: datetime) -> Confirmation:
    """Confirm the address: notices start now (the first digest covers from now on)."""
    found = confirmation(token, now)
    if found.state != "pending":
        return found
    subscription = found.subscription
    subscription.confirmed_at = now
    subscription.digest_since = now
    db.session.flush()
    return Confirmation("confirmed", subscription)


def by_unsubscribe_token(token: str) -> tuple[bool, NoticeSubscription | None]:
    """(whether the token is genuine, its subscription if it still exists)."""
    handle = handle_of(token)
    if handle is None:
        return False, None
    return True, db.session.execute(
        select(NoticeSubscription).where(NoticeSubscription.handle == handle)
    ).scalar_one_or_none()


def end_subscription(subscription: NoticeSubscription, now: datetime) -> None:
    """Unsubscribe: delete the subscription and with it the address, also from the
    subscription's mails in the outbox (all but one being handed to the mail server right
    now, which a delivery worker holds)."""
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.key.startswith(outbox_prefix(subscription), autoescape=True),
            or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.claimed_until.is_(None),
                OutboxMessage.claimed_until <= now),
        ).execution_options(synchronize_session=False))
    db.session.delete(subscription)
    db.session.flush()


def forget_unconfirmed(now: datetime) -> int:
    """Delete the subscriptions whose confirmation link has expired (and their mails)."""
    expired = db.session.execute(
        select(NoticeSubscription).where(
            NoticeSubscription.confirmed_at.is_(None),
            or_(NoticeSubscription.confirm_expires_at.is_(None),
                NoticeSubscription.confirm_expires_at <= now))
    ).scalars().all()
    for subscription in expired:
        end_subscription(subscription, now)
    return len(expired)


def serialise_runs() -> None:
    """Let a second digest or notice run at the same moment wait for the first on SQLite.

    SQLite has one write lock: a write as the first statement of the run's transaction
    takes it before anything is read, so the second run waits (up to ``SQLITE_WAIT_MS``,
    longer than a digest of thousands takes) and then finds the first one's work done,
    instead of building every mail again and failing when its wait runs out. PostgreSQL
    needs nothing: its runs proceed side by side and the outbox's unique keys queue each
    mail once.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.connection().exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_WAIT_MS}")
        db.session.execute(update(NoticeSubscription).where(false())
                           .values(confirmations_sent=NoticeSubscription.confirmations_sent))


def confirmed_subscriptions(before: datetime | None = None) -> list[NoticeSubscription]:
    """Every confirmed subscription (confirmed at or before ``before``, if given)."""
    query = select(NoticeSubscription).where(NoticeSubscription.confirmed_at.is_not(None))
    if before is not None:
        query = query.where(NoticeSubscription.confirmed_at <= before)
    return list(db.session.execute(query.order_by(NoticeSubscription.id)).scalars())
