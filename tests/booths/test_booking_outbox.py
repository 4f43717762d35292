"""Notifications: queued once, in the recipient's language, with the event's .ics;
delivered over a real local SMTP server (aiosmtpd) that refuses the first attempts, with
back-off, never twice; or written as .eml files without SMTP_URL. Reminders and the final
exhibitor list are idempotent jobs."""

from __future__ import annotations

import email
import socket
import threading
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select

from app.booths import scheduled
from app.booths import services as booths
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.services import (
    FileTransport,
    SmtpTransport,
    deliver_outbox,
    queue,
    retry_delay,
)
from tests.booths.conftest import outbox_messages


def messages(like: str = "%") -> list[OutboxMessage]:
    return outbox_messages(like)


class FlakyHandler:
    """Answers "451 try again later" to the first ``refuse`` messages, then accepts."""

    def __init__(self, refuse: int):
        self.refuse = refuse
        self.attempts = 0
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.refuse:
                return "451 4.3.0 Try again later"
            self.received.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost that wants a login and refuses the first two."""
    handler = FlakyHandler(refuse=2)
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"mailer", b"s3cret pass")
        logins.append(ok)
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    handler.url = f"smtp://mailer:s3cret%20pass@127.0.0.1:{port}"
    handler.logins = logins
    yield handler
    controller.stop()


# --- queueing ----------------------------------------------------------------------------


def test_queue_is_idempotent(app, now):
    assert queue("test:1", "a@example.org", "Betreff", "Text", now) is True
    assert queue("test:1", "a@example.org", "Betreff", "Text", now) is False
    db.session.commit()
    assert len(messages("test:%")) == 1


def test_booking_messages_in_each_recipients_language_with_ics(
        fair, category, company, book, make_user):
    event = fair("Ausbildungsmesse Olpe")
    standard = category(event, capacity=1)
    firm, german = company("Zweisprachig GmbH")
    english = make_user("english@zweisprachig.example", "company", company=firm,
                        language="en")
    booking = book(firm, german, standard)
    by_recipient = {m.recipient: m for m in messages(f"booking:{booking.id}:confirmed:%")}
    assert set(by_recipient) == {german.email, english.email}
    assert by_recipient[german.email].subject == "Stand bestätigt: Ausbildungsmesse Olpe"
    assert by_recipient[english.email].subject == "Booth confirmed: Ausbildungsmesse Olpe"
    assert by_recipient[english.email].language == "en"
    ics = by_recipient[german.email].attachment.decode()
    assert "BEGIN:VEVENT" in ics and event.uid in ics
    assert by_recipient[german.email].attachment_name == "event.ics"


def test_waitlist_promotion_and_rejection_are_reported(fair, category, company, book,
                                                       organiser, now):
    event = fair(approval="manual")
    standard = category(event, capacity=1)
    first = book(*company("Erste GmbH"), standard)
    second_firm, second_user = company("Zweite GmbH", language="en")
    second = book(second_firm, second_user, standard)
    [waitlisted] = messages(f"booking:{second.id}:waitlisted:%")
    assert "position 1" in waitlisted.subject
    booths.reject(first, organiser, now, reason="Die Branche ist schon vertreten.")
    db.session.commit()
    assert len(messages(f"booking:{first.id}:rejected:%")) == 1
    [promoted] = messages(f"booking:{second.id}:promoted:%")
    assert "A place has become free" in promoted.subject
    assert "Awaiting approval" in promoted.body


# --- delivery ----------------------------------------------------------------------------


def test_smtp_delivery_retries_with_back_off_and_never_twice(app, smtp_server, now):
    queue("test:smtp", "firma@example.org", "Bestätigung", "Hallo", now,
          attachment_name="event.ics", attachment=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    db.session.commit()
    transport = SmtpTransport(smtp_server.url)

    report = deliver_outbox(now, transport=transport)
    [message] = messages("test:smtp")
    assert report.failed == [message.id] and report.sent == []
    assert message.attempts == 1 and message.sent_at is None
    assert "451" in message.last_error
    assert message.next_attempt_at == now + retry_delay(1) == now + timedelta(minutes=1)

    assert deliver_outbox(now + timedelta(seconds=30), transport=transport).failed == []
    assert smtp_server.attempts == 1  # not due yet: nothing was tried

    deliver_outbox(now + timedelta(minutes=1), transport=transport)
    db.session.refresh(message)
    assert message.attempts == 2
    assert message.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)

    later = now + timedelta(minutes=3)
    assert deliver_outbox(later, transport=transport).sent == [message.id]
    db.session.refresh(message)
    assert (message.sent_at, message.last_error, message.attempts) == (later, None, 3)
    for minutes in (10, 100, 1000):
        assert deliver_outbox(now + timedelta(minutes=minutes), transport=transport).sent == []
    assert smtp_server.attempts == 3
    assert len(smtp_server.received) == 1
    assert all(smtp_server.logins)
    received = email.message_from_bytes(smtp_server.received[0], policy=policy.default)
    assert received["Subject"] == "Bestätigung"
    assert received["To"] == "firma@example.org"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "event.ics"


def test_unreachable_server_backs_off(app, now):
    queue("test:down", "firma@example.org", "Betreff", "Text", now)
    db.session.commit()
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}")
    for attempt in range(1, 5):
        [message] = messages("test:down")
        deliver_outbox(message.next_attempt_at, transport=transport)
        db.session.refresh(message)
        assert message.attempts == attempt
        assert message.next_attempt_at - now >= timedelta(minutes=2 ** attempt - 1)
    assert retry_delay(30) == timedelta(hours=6)  # capped


def test_a_claimed_message_is_left_to_its_worker(app, now, tmp_path):
    queue("test:claimed", "firma@example.org", "Betreff", "Text", now)
    db.session.commit()
    [message] = messages("test:claimed")
    message.claimed_until = now + timedelta(minutes=5)  # another worker is sending it
    db.session.commit()
    transport = FileTransport(tmp_path)
    assert deliver_outbox(now, transport=transport).sent == []
    # A claim that expired (its worker died) is taken over.
    assert deliver_outbox(now + timedelta(minutes=6), transport=transport).sent == [message.id]
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_without_smtp_url_messages_become_eml_files(app, now, tmp_path):
    app.config["SMTP_URL"] = None
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    queue("test:file", "firma@example.org", "Ihr Stand", "Hallo Welt", now,
          language="de", attachment_name="event.ics", attachment=b"BEGIN:VCALENDAR\r\n")
    db.session.commit()
    assert len(deliver_outbox(now).sent) == 1
    assert deliver_outbox(now + timedelta(hours=1)).sent == []
    [written] = list((tmp_path / "outbox").glob("*.eml"))
    parsed = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Ihr Stand"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hallo Welt"
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["event.ics"]


def test_a_file_written_before_a_crash_is_not_written_again(app, now, tmp_path):
    queue("test:crash", "firma@example.org", "Betreff", "Text", now)
    db.session.commit()
    transport = FileTransport(tmp_path)
    deliver_outbox(now, transport=transport)
    [message] = messages("test:crash")
    message.sent_at = None  # as if the worker died after writing, before marking
    db.session.commit()
    deliver_outbox(now + timedelta(minutes=10), transport=transport)
    assert len(list(tmp_path.glob("*.eml"))) == 1


# --- scheduled notifications -------------------------------------------------------------


def test_reminder_seven_days_before_once(fair, category, company, book):
    event = fair()
    standard = category(event, capacity=1)
    confirmed = book(*company("Bestätigt GmbH"), standard)
    waiting = book(*company("Wartet GmbH"), standard)
    assert scheduled.due_reminders(event.starts_at - timedelta(days=8)) == 0
    due = event.starts_at - timedelta(days=6)
    assert scheduled.due_reminders(due) == 1
    assert scheduled.due_reminders(due + timedelta(hours=1)) == 0
    db.session.commit()
    assert len(messages(f"booking:{confirmed.id}:reminder:%")) == 1
    assert messages(f"booking:{waiting.id}:reminder:%") == []


def test_final_exhibitor_list_at_closing_once(fair, category, company, book, organiser):
    event = fair()
    standard = category(event, capacity=2)
    book(*company("=Formel GmbH"), standard)
    closes = booths.setup_of(event).closes_at
    assert scheduled.due_final_lists(closes - timedelta(seconds=1)) == 0
    assert scheduled.due_final_lists(closes) == 1
    assert scheduled.due_final_lists(closes + timedelta(minutes=5)) == 0
    db.session.commit()
    [final] = messages(f"final-list:{event.id}:%")
    assert final.recipient == organiser.email
    assert "=Formel GmbH" in final.body
    assert final.attachment_name == "exhibitors.csv"
    assert b"'=Formel GmbH" in final.attachment
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() > 1
