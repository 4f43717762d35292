"""Queue e-mails in the outbox and deliver them: over SMTP (``SMTP_URL``) or, without one,
as ``.eml`` files in ``OUTBOX_DIR``.

Never lost: a message is a row written in the same transaction as the change it reports.
Never queued twice: its ``key`` is unique and ``queue`` inserts with ON CONFLICT DO NOTHING.
Never sent twice: a worker first *claims* a due row with one conditional UPDATE (only one
of several workers or scheduler processes can win it) and commits the claim; then it
sends and marks the row sent. A worker that dies between sending and marking leaves a
claim that expires after ``CLAIM_SECONDS``; the retry carries the same Message-ID, so the
receiving side can recognise the duplicate, and a file already written is not written
again. A failed delivery is retried with exponential back-off.

Rendered late: ``queue_template`` keeps only a template name and its parameters (one
INSERT for all recipients); the text and any attachment are made after the commit by the
area that owns the template, asked through ``signals.render_outbox_message`` — by the
delivery (``deliver_outbox`` renders a claimed row before it sends it) or by
``render_pending``.

Given up, never dropped: a message that cannot be sent — it cannot even be built, or the
server refuses it for good (a 5xx answer to its recipients or its content) — or that
failed ``MAX_ATTEMPTS`` times is marked ``failed`` and no longer retried. Admins see the
failed messages with their errors on /admin/outbox and retry or discard them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import Select, TextClause, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app import signals
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.recipients import Recipient
from app.text import lines, one_line

CLAIM_SECONDS = 300
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
SMTP_TIMEOUT = 30
# Header lines a message may add; the others (From, To, Subject …) are the outbox's own.
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id")
_LINE_BREAK = re.compile(r"[\r\n\x00]")
# Temporary failures (server away, connection refused, 4xx) are retried this often: with
# the back-off about two days, then the message is failed (an admin may retry it).
MAX_ATTEMPTS = 16


class PermanentFailure(Exception):
    """This message can never be sent as it is; retrying would fail the same way."""


def queue(key: str, recipient: str, subject: str, body: str, now: datetime, *,
          language: str = "de", attachment_name: str | None = None,
          attachment: bytes | None = None, headers: dict[str, str] | None = None) -> bool:
    """Put a message into the outbox unless one with ``key`` is there already.

    Returns whether it was new. Flushes nothing else; the caller commits. ``headers``
    may only name ``EXTRA_HEADERS``, with values on one line (ValueError otherwise), so
    nothing typed by a user can add a header line.
    """
    _check_headers(headers)
    row = {"key": key[:200], "recipient": recipient, "language": language,
           "subject": one_line(subject)[:300], "body": body, "attachment_name": attachment_name,
           "attachment": attachment, "created_at": now, "attempts": 0, "next_attempt_at": now,
           "headers": headers or None}
    return db.session.execute(_INSERT_RENDERED, row).first() is not None


@dataclass(frozen=True)
class Queued:
    """A message for ``queue_many`` (no attachment)."""

    key: str
    recipient: str
    subject: str
    body: str
    language: str = "de"
    headers: dict[str, str] | None = None


def queue_many(messages: list[Queued], now: datetime) -> set[str]:
    """``queue`` for many messages in one statement (a weekly digest to thousands);
    returns the keys that were new."""
    if not messages:
        return set()
    for message in messages:
        _check_headers(message.headers)
    statement = _insert().on_conflict_do_nothing(index_elements=["key"]).returning(
        OutboxMessage.__table__.c.key)
    rows = [{"key": m.key[:200], "recipient": m.recipient, "language": m.language,
             "subject": one_line(m.subject)[:300], "body": m.body, "attachment_name": None,
             "attachment": None, "created_at": now, "attempts": 0, "next_attempt_at": now,
             "headers": m.headers or None} for m in messages]
    return set(db.session.execute(statement, rows).scalars())


def _check_headers(headers: dict[str, str] | None) -> None:
    for name, value in (headers or {}).items():
        if name not in EXTRA_HEADERS or _LINE_BREAK.search(value):
            raise ValueError(f"header {name!r} is not allowed or not a single line")


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        OutboxMessage.__table__)


def _insert_new_row(*columns: str) -> TextClause:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id`` of one row, written once for
    both databases. SQLAlchemy gives its dialects' ON CONFLICT inserts no cache key, so
    it would compile them anew for every message (about 0.3 ms, on a booking day under
    the category's lock); a text statement with typed parameters is compiled once."""
    table = OutboxMessage.__table__
    return text(
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) "
        "ON CONFLICT (key) DO NOTHING RETURNING id"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns)
                 ).columns(table.c.id)


_INSERT_RENDERED = _insert_new_row(
    "key", "recipient", "language", "subject", "body", "attachment_name", "attachment",
    "created_at", "attempts", "next_attempt_at", "headers")
_INSERT_TEMPLATED = _insert_new_row(
    "key", "recipient", "language", "template", "params", "created_at", "attempts",
    "next_attempt_at")


def queue_template(key: str, recipients: list[Recipient], template: str, params: dict,
                   now: datetime) -> int:
    """Queue one message per recipient (key ``<key>:<recipient key>``), to be rendered
    later from ``template`` and ``params`` (plain JSON values) in each recipient's
    language. One statement; returns how many were new."""
    if not recipients:
        return 0
    rows = [{"key": f"{key}:{recipient.key}"[:200], "recipient": recipient.email,
             "language": recipient.language, "template": template, "params": params,
             "created_at": now, "attempts": 0, "next_attempt_at": now}
            for recipient in recipients]
    if len(rows) == 1:  # most bookings: a company with one user
        return len(db.session.execute(_INSERT_TEMPLATED, rows[0]).all())
    statement = _insert().on_conflict_do_nothing(index_elements=["key"]).returning(
        OutboxMessage.__table__.c.id)
    return len(db.session.execute(statement, rows).all())


@dataclass(frozen=True)
class Rendered:
    """What a template's owner makes of it: the mail's text and an optional attachment."""

    subject: str
    body: str
    attachment_name: str | None = None
    attachment: bytes | None = None


class RenderError(Exception):
    """No area renders this template (or it failed): the row stays and is retried."""


def render(message: OutboxMessage) -> bool:
    """Fill in subject, body and attachment of a templated row (flushes; the caller
    commits). Returns False when the owner says there is nothing to send any more (the
    booking is gone): the row is then deleted."""
    if message.body is not None:
        return True
    answers = [result for _receiver, result in signals.render_outbox_message.send(
        message.template, params=message.params or {}, language=message.language,
        queued_at=message.created_at)]
    if not answers:
        raise RenderError(f"no renderer for template {message.template!r}")
    rendered = answers[0]
    if rendered is None:
        db.session.delete(message)
        db.session.flush()
        return False
    message.subject, message.body = rendered.subject[:300], rendered.body
    message.attachment_name, message.attachment = rendered.attachment_name, rendered.attachment
    db.session.flush()
    return True


def render_pending(limit: int = 500) -> int:
    """Render the templated rows not rendered yet, oldest first (flushes; the caller
    commits). Returns how many were rendered."""
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.body.is_(None), OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id).limit(limit)
    ).scalars().all()
    return sum(1 for row in rows if render(row))


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 6 hours."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


class Transport(Protocol):
    def send(self, message: EmailMessage, outbox_id: int) -> None: ...


@dataclass
class SmtpTransport:
    """``smtp://user:password@host:port`` (STARTTLS when the server offers it) or
    ``smtps://…`` (TLS from the start)."""

    url: str

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        host = parts.hostname or "localhost"
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465,
                                                    timeout=SMTP_TIMEOUT)
        else:
            client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)


@dataclass
class FileTransport:
    """Writes each message once as ``<id>-<key digest>.eml`` (never twice; the digest
    keeps a reused id, e.g. after the table was emptied, from matching an old file)."""

    directory: Path

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        digest = message["Message-ID"].strip("<>").split("@")[0][:16]
        target = self.directory / f"{outbox_id:08d}-{digest}.eml"
        if target.exists():
            return  # written by an earlier attempt that died before marking the row
        temporary = self.directory / f".{outbox_id:08d}.{os.getpid()}.tmp"
        temporary.write_bytes(message.as_bytes())
        try:
            os.link(temporary, target)  # fails if it exists: at most one file per message
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)


def transport_from_config() -> Transport:
    url = current_app.config.get("SMTP_URL")
    if url:
        return SmtpTransport(url)
    return FileTransport(Path(current_app.config["OUTBOX_DIR"]))


def sender() -> str:
    configured = current_app.config.get("MAIL_FROM")
    if configured:
        return configured
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname or "localhost"
    if "." not in host:
        host = "messekalender.invalid"
    return f"Messekalender Südwestfalen <noreply@{host}>"


def build_email(message: OutboxMessage) -> EmailMessage:
    """The MIME message; its Message-ID is derived from the outbox key (stable on retry)."""
    email = EmailMessage()
    email["From"] = sender()
    email["To"] = message.recipient
    email["Subject"] = one_line(message.subject)  # rows queued before it was cleaned
    email["Date"] = format_datetime(message.created_at)
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
    email["Message-ID"] = f"<{digest}@messekalender.outbox>"
    for name, value in (message.headers or {}).items():
        if name in EXTRA_HEADERS:
            email[name] = value
    email.set_content(lines(message.body))
    email["Content-Language"] = message.language  # after set_content, which clears Content-*
    if message.attachment is not None and message.attachment_name:
        kind = mimetypes.guess_type(message.attachment_name)[0] or "application/octet-stream"
        if message.attachment_name.endswith(".ics"):
            kind = "text/calendar"
        maintype, subtype = kind.split("/", 1)
        email.add_attachment(message.attachment, maintype=maintype, subtype=subtype,
                             filename=message.attachment_name)
    return email


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _due(now: datetime):
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            OutboxMessage.discarded_at.is_(None), OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now))


def is_permanent(error: Exception) -> bool:
    """Whether the server refused the message for good: every recipient with a 5xx, or
    the message itself (DATA) with a 5xx. A refused sender or login is the service's own
    configuration: retried (an admin fixes SMTP_URL, the messages go out)."""
    if isinstance(error, PermanentFailure):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _send(transport: Transport, message: OutboxMessage) -> None:
    try:
        email = build_email(message)
    except (ValueError, TypeError, LookupError, MessageError) as error:
        raise PermanentFailure(f"invalid message: {type(error).__name__}: {error}") from error
    transport.send(email, message.id)


def deliver_outbox(now: datetime, *, transport: Transport | None = None,
                   limit: int = 100) -> DeliveryReport:
    """Send the due messages, oldest first. Commits after each claim and each result
    (a delivery cannot be rolled back, so its record must not be either)."""
    transport = transport or transport_from_config()
    report = DeliveryReport()
    db.session.commit()
    ids = db.session.execute(
        select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.id).limit(limit)
    ).scalars().all()
    for message_id in ids:
        claimed = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            continue  # another worker has it
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        try:
            if not render(message):
                db.session.commit()
                continue
            db.session.commit()
            _send(transport, message)
        except (PermanentFailure, smtplib.SMTPException, OSError, ValueError,
                RenderError) as error:
            db.session.rollback()
            give_up = is_permanent(error) or message.attempts >= MAX_ATTEMPTS
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id)
                .values(claimed_until=None, last_error=f"{type(error).__name__}: {error}"[:2000],
                        next_attempt_at=now + retry_delay(message.attempts),
                        failed_at=now if give_up else None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            if give_up:
                current_app.logger.error("outbox: message %s failed for good (attempt %s), "
                                         "see /admin/outbox: %s", message_id,
                                         message.attempts, error)
            else:
                current_app.logger.warning("outbox: message %s failed (attempt %s): %s",
                                           message_id, message.attempts, error)
            report.failed.append(message_id)
            continue
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id)
            .values(sent_at=now, claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        report.sent.append(message_id)
    return report


SENT_MAIL_KEPT = timedelta(days=90)


def purge_sent(now: datetime) -> int:
    """Delete mails sent more than ``SENT_MAIL_KEPT`` ago (they hold personal data; the
    privacy notice names the period). Unsent ones are never purged."""
    return db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.sent_at < now - SENT_MAIL_KEPT)).rowcount


# --- for the admins: failed messages ------------------------------------------------------


def failed_messages() -> Select:
    """Messages given up on and not yet retried or discarded, newest failure first."""
    return (select(OutboxMessage)
            .where(OutboxMessage.failed_at.is_not(None), OutboxMessage.sent_at.is_(None),
                   OutboxMessage.discarded_at.is_(None))
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()))


def outbox_counts() -> dict[str, int]:
    """How many messages wait to be sent and how many have failed."""
    waiting = db.session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
        OutboxMessage.discarded_at.is_(None))).scalar_one()
    failed = db.session.execute(
        select(func.count()).select_from(failed_messages().order_by(None).subquery())
    ).scalar_one()
    return {"waiting": waiting, "failed": failed}


class NotFailed(Exception):
    """Only a failed message can be retried or discarded (it may have been handled in
    another tab already)."""


def retry_message(message: OutboxMessage, now: datetime) -> None:
    """Send a failed message again at the next delivery run, with a fresh count of
    attempts (e.g. after SMTP_URL was fixed)."""
    if message.state != "failed":
        raise NotFailed(message.id)
    message.failed_at = message.claimed_until = None
    message.attempts, message.next_attempt_at = 0, now
    db.session.flush()


def discard_message(message: OutboxMessage, now: datetime) -> None:
    """Give a failed message up for good; the row (and its error) is kept."""
    if message.state != "failed":
        raise NotFailed(message.id)
    message.discarded_at = now
    db.session.flush()
