"""Personal data: the JSON export, deleting (anonymising) an account without breaking
bookings or event history, and the purge of data past its retention period."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import jobs
from app.accounts.models import CompanyRequest, Invitation, LinkToken, User
from app.accounts.security import AuditEntry, LoginFailure, audit, user_target
from app.calendar.models import EventChange
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.services import queue
from app.time import now_utc
from tests.conftest import PASSWORD, login


@pytest.fixture
def organiser(client, make_user, org_a):
    user = make_user("orga@ihk-siegen.example", organisation=org_a)
    user.name = "Olga Organisatorin"
    db.session.commit()
    login(client, user)
    return user


def test_the_export_holds_what_we_store_and_no_secrets(client, organiser, make_event, org_a):
    event = make_event(organisation=org_a)
    db.session.add(EventChange(event_id=event.id, user_id=organiser.id, action="updated",
                               changes={"title": ["A", "B"]}, via="web"))
    audit("login.success", organiser, user_target(organiser), ip="10.0.0.9")
    db.session.commit()
    client.post("/account/tokens", data={"label": "Schulwebsite"})
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "orga@ihk-siegen.example"
    assert data["account"]["organisation"] == "IHK Siegen"
    assert data["event_changes"][0]["changes"] == {"title": ["A", "B"]}
    assert data["api_tokens"][0]["label"] == "Schulwebsite"
    assert any(entry["ip"] == "10.0.0.9" for entry in data["security_log"])
    text = response.get_data(as_text=True)
    user = db.session.get(User, organiser.id)
    assert user.password_hash not in text and "token_hash" not in text


def test_the_export_needs_a_login(client):
    assert client.get("/account/data/export.json").status_code == 302


def test_deleting_anonymises_and_keeps_bookings_and_history(app, client, make_user,
                                                            make_company, make_event):
    from app.booths import services as booths

    company = make_company()
    user = make_user("azubi@metallbau.example", role="company", company=company)
    login(client, user)
    event = make_event()
    now = now_utc()
    organiser = make_user("o@ihk.example", organisation=event.organisation)
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=7),
        approval="auto"), now)
    category = booths.add_category(event, organiser, booths.CategoryData(
        name="Standard", size_m2=9, price_cents=0, capacity=3))
    booking = booths.book(company, category, booths.BookingDetails(staff_count=2), user, now)
    db.session.add(LoginFailure(email="azubi@metallbau.example", ip="10.0.0.1", at=now))
    queue("x", "azubi@metallbau.example", "Hallo", "Text", now)
    audit("login.success", user, user_target(user), ip="10.0.0.1")
    db.session.commit()
    wrong = client.post("/account/data/delete", data={"password": "falsch-1234",
                                                      "understood": "y"})
    assert wrong.status_code == 422
    unconfirmed = client.post("/account/data/delete", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422
    response = client.post("/account/data/delete", data={"password": PASSWORD,
                                                         "understood": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone.email == f"deleted-{user.id}@deleted.invalid" and not gone.active
    assert gone.name == "gelöschtes Konto" and not gone.check_password(PASSWORD)
    assert db.session.get(type(booking), booking.id).status == "confirmed"
    assert db.session.get(type(booking), booking.id).created_by_id == user.id
    assert db.session.execute(select(LoginFailure)).first() is None
    assert db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient == "azubi@metallbau.example")).first() is None
    targets = [entry.target for entry in db.session.execute(select(AuditEntry)).scalars()]
    assert "user azubi@metallbau.example" not in targets
    assert f"user #{user.id} (deleted)" in targets
    assert client.get("/account").status_code == 302  # logged out
    assert client.post("/login", data={"email": "azubi@metallbau.example",
                                       "password": PASSWORD}).status_code == 401


def test_the_last_admin_cannot_delete_themselves(client, make_user):
    admin = make_user("admin@example.org", role="admin")
    login(client, admin)
    response = client.post("/account/data/delete", data={"password": PASSWORD,
                                                         "understood": "y"})
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.active and admin.email == "admin@example.org"


def test_the_purge_job_deletes_what_is_past_its_period(app, make_user, make_company):
    now = now_utc()
    old, recent = now - timedelta(days=400), now - timedelta(days=2)
    user = make_user("a@example.org", role="company", company=make_company())
    db.session.add_all([
        LoginFailure(email="x@example.org", ip="1.2.3.4", at=now - timedelta(days=31)),
        LoginFailure(email="x@example.org", ip="1.2.3.4", at=recent),
        AuditEntry(action="logout", at=old, details={}),
        AuditEntry(action="logout", at=recent, details={}),
        LinkToken(purpose="password_reset", token_hash="a" * 64, user=user, created_at=old,
                  expires_at=now - timedelta(days=31)),
        LinkToken(purpose="password_reset", token_hash="b" * 64, user=user, created_at=now,
                  expires_at=now + timedelta(hours=1)),
        Invitation(email="i@example.org", role="admin", created_at=old, sent_at=old,
                   expires_at=now - timedelta(days=91)),
        CompanyRequest(company_name="Alt GmbH", contact_name="A", email="r@example.org",
                       status="unconfirmed", created_at=now - timedelta(days=8)),
        CompanyRequest(company_name="Neu GmbH", contact_name="B", email="s@example.org",
                       status="unconfirmed", created_at=recent),
        CompanyRequest(company_name="Abgelehnt GmbH", contact_name="C", email="t@example.org",
                       status="rejected", created_at=old, decided_at=now - timedelta(days=181)),
    ])
    queue("old-mail", "m@example.org", "S", "B", old)
    db.session.flush()
    db.session.execute(db.update(OutboxMessage).values(sent_at=old))
    db.session.commit()
    removed = jobs.purge_personal_data_job(app)
    assert removed == {"login_failures": 1, "login_locks": 0, "audit_entries": 1,
                       "link_tokens": 1, "invitations": 1, "company_requests": 2,
                       "sent_mails": 1}
    assert [r.company_name for r in db.session.execute(select(CompanyRequest)).scalars()] == [
        "Neu GmbH"]
    assert jobs.job_by_id("purge-personal-data").trigger == "cron"
