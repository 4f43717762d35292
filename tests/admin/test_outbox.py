"""/admin/outbox: admins see the undeliverable e-mails with their errors and send them
again or discard them (kept, in the audit log); nobody else sees them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.security import AuditEntry
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import login

FAILED_AT = datetime(2031, 5, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
def failed(app) -> OutboxMessage:
    row = OutboxMessage(key="test:failed", recipient="firma@example.org",
                        subject="Ihre Buchung <b>bestätigt</b>", body="Geheimer Link",
                        created_at=FAILED_AT, attempts=16, next_attempt_at=FAILED_AT,
                        failed_at=FAILED_AT, last_error="SMTPRecipientsRefused: 550 no user")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def as_admin(client, make_user):
    login(client, make_user("admin@example.org", role="admin", language="en"))
    return client


def test_the_page_lists_failed_mail_with_its_error(as_admin, failed):
    page = as_admin.get("/admin/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "firma@example.org" in text and "550 no user" in text
    assert "Ihre Buchung &lt;b&gt;bestätigt&lt;/b&gt;" in text  # escaped
    assert "Geheimer Link" not in text  # bodies may hold links meant for the recipient
    assert re.search(r'id="outbox-failed">1<', text)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_send_again(as_admin, failed):
    response = as_admin.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert "will be sent again" in html.unescape(response.get_data(as_text=True))
    db.session.refresh(failed)
    assert failed.state == "waiting" and failed.attempts == 0
    [entry] = db.session.execute(select(AuditEntry)).scalars()
    assert entry.action == "mail.retried" and "firma@example.org" in entry.target
    again = as_admin.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert "dealt with already" in again.get_data(as_text=True)


def test_discard_keeps_the_row(as_admin, failed):
    as_admin.post(f"/admin/outbox/{failed.id}/discard")
    db.session.expire_all()
    row = db.session.get(OutboxMessage, failed.id)
    assert row.state == "discarded"
    assert "No undeliverable e-mails." in as_admin.get("/admin/outbox").get_data(as_text=True)
    assert db.session.execute(select(AuditEntry.action)).scalar_one() == "mail.discarded"


@pytest.mark.parametrize("role", ["organiser", "company"])
def test_only_admins(client, make_user, make_organisation, make_company, failed, role):
    membership = ({"organisation": make_organisation()} if role == "organiser"
                  else {"company": make_company()})
    login(client, make_user("user@example.org", role=role, **membership))
    assert client.get("/admin/outbox").status_code == 403
    assert client.post(f"/admin/outbox/{failed.id}/discard").status_code == 403
    db.session.refresh(failed)
    assert failed.state == "failed"


def test_anonymous_is_sent_to_login(client, failed):
    response = client.get("/admin/outbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_is_required(csrf_app, test_config, make_user, failed):
    admin = make_user("admin@example.org", role="admin", language="en")
    app = csrf_app(test_config)
    with app.test_client() as client:
        login(client, admin)
        assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 400
    db.session.refresh(failed)
    assert failed.state == "failed"


def test_unknown_message_is_404(as_admin):
    assert as_admin.post("/admin/outbox/999/retry").status_code == 404
