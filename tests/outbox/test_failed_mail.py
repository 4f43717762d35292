"""Mail that can never be sent stops being retried: refused for good (an invalid
message, a 5xx for its recipients or content) or failed ``MAX_ATTEMPTS`` times, it is
marked failed — kept, never dropped — for an admin to retry or discard."""

from __future__ import annotations

import email
import smtplib
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage
from app.outbox.services import MAX_ATTEMPTS, SmtpTransport, deliver_outbox, queue
from tests.booths.test_booking_outbox import free_port

NOW = datetime(2031, 5, 6, 8, 0, tzinfo=UTC)


class Recorder:
    """A transport that records what it sends, or raises ``error`` for every message."""

    def __init__(self, error: Exception | None = None):
        self.error = error
        self.sent: list[email.message.EmailMessage] = []

    def send(self, message, outbox_id: int) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)


def stored(**columns) -> OutboxMessage:
    """A row as an older release (or anything) may have stored it, past ``queue``."""
    row = OutboxMessage(**{"key": "test:raw", "recipient": "firma@example.org",
                           "subject": "Betreff", "body": "Text", "created_at": NOW,
                           "attempts": 0, "next_attempt_at": NOW, **columns})
    db.session.add(row)
    db.session.commit()
    return row


def test_a_subject_with_control_characters_is_sent_on_one_line(app):
    """The probe's mail: its stored subject held CR LF and failed forever."""
    row = stored(subject="Abgesagt: Messe\r\nBcc: x@example.org\x0b!")
    transport = Recorder()
    assert deliver_outbox(NOW, transport=transport).sent == [row.id]
    [sent] = transport.sent
    parsed = email.message_from_bytes(sent.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Abgesagt: Messe Bcc: x@example.org !"
    assert parsed["Bcc"] is None


def test_queue_stores_the_subject_on_one_line(app):
    queue("test:q", "firma@example.org", "Zeile 1\nZeile 2", "Text", NOW)
    assert db.session.execute(select(OutboxMessage.subject)).scalar_one() == "Zeile 1 Zeile 2"


def test_an_invalid_message_fails_at_once(app):
    row = stored(recipient="firma@example.org\nBcc: x@example.org")
    report = deliver_outbox(NOW, transport=Recorder())
    assert report.failed == [row.id]
    db.session.refresh(row)
    assert row.state == "failed" and row.failed_at == NOW and row.attempts == 1
    assert row.last_error.startswith("PermanentFailure: invalid message")
    # Never tried again.
    assert deliver_outbox(NOW + timedelta(days=3), transport=Recorder()).failed == []
    db.session.refresh(row)
    assert row.attempts == 1


@pytest.mark.parametrize("error, permanent", [
    (smtplib.SMTPRecipientsRefused({"firma@example.org": (550, b"5.1.1 no such user")}), True),
    (smtplib.SMTPRecipientsRefused({"firma@example.org": (450, b"4.2.0 mailbox busy")}), False),
    (smtplib.SMTPDataError(554, b"5.7.1 message refused"), True),
    (smtplib.SMTPDataError(451, b"4.3.0 try again"), False),
    (smtplib.SMTPSenderRefused(550, b"sender not allowed", "noreply@example.org"), False),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
    (ConnectionRefusedError(111, "Connection refused"), False),
])
def test_refusals_for_good_fail_temporary_ones_are_retried(app, error, permanent):
    row = stored()
    deliver_outbox(NOW, transport=Recorder(error))
    db.session.refresh(row)
    assert row.state == ("failed" if permanent else "waiting")
    assert type(error).__name__ in row.last_error


def test_temporary_failures_end_after_max_attempts(app):
    row = stored()
    transport = Recorder(ConnectionRefusedError(111, "Connection refused"))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_outbox(row.next_attempt_at, transport=transport).failed == [row.id]
        db.session.refresh(row)
        assert row.attempts == attempt
        assert row.state == ("failed" if attempt == MAX_ATTEMPTS else "waiting")
    # About two days of retries.
    assert timedelta(days=1) < row.failed_at - NOW < timedelta(days=3)
    assert deliver_outbox(row.failed_at + timedelta(days=30), transport=transport).failed == []


def test_retry_and_discard(app):
    failed = stored(key="test:failed", failed_at=NOW, attempts=MAX_ATTEMPTS,
                    last_error="OSError: down")
    other = stored(key="test:other", failed_at=NOW, attempts=1,
                   last_error="SMTPRecipientsRefused")
    assert [m.id for m in db.session.execute(outbox.failed_messages()).scalars()] \
        == [other.id, failed.id]
    assert outbox.outbox_counts() == {"waiting": 0, "failed": 2}
    later = NOW + timedelta(hours=1)
    outbox.retry_message(failed, later)
    outbox.discard_message(other, later)
    db.session.commit()
    assert (failed.state, failed.attempts, failed.next_attempt_at) == ("waiting", 0, later)
    assert other.state == "discarded" and other.discarded_at == later
    assert outbox.outbox_counts() == {"waiting": 1, "failed": 0}
    with pytest.raises(outbox.NotFailed):
        outbox.discard_message(other, later)
    with pytest.raises(outbox.NotFailed):
        outbox.retry_message(failed, later)
    transport = Recorder()
    assert deliver_outbox(later, transport=transport).sent == [failed.id]
    assert db.session.get(OutboxMessage, other.id) is not None  # kept, not sent


class RefusingHandler:
    """A real SMTP server that knows no recipient."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


def test_a_real_server_refusing_the_recipient(app):
    port = free_port()
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        row = stored()
        deliver_outbox(NOW, transport=SmtpTransport(f"smtp://127.0.0.1:{port}"))
    finally:
        controller.stop()
    db.session.refresh(row)
    assert row.state == "failed" and "550" in row.last_error
