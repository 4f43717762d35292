"""The security audit log: an entry for every security-relevant action; admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import ApiToken, Organisation, User
from app.accounts.security import AuditEntry, audit
from app.extensions import db
from tests.conftest import PASSWORD, login

IP = "192.0.2.7"


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", role="admin")


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation())


@pytest.fixture
def as_admin(client, admin):
    login(client, admin)
    return client


def entries(action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.execute(query).scalars())


def post(client, url, **data):
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": IP})


def test_login_success_failure_lockout_and_logout(client, organiser):
    for _ in range(5):
        post(client, "/login", email="ORGA@example.org", password="wrong-password-1")
    failures = entries("login.failure")
    assert len(failures) == 5
    assert failures[0].actor is None and failures[0].target == "orga@example.org"
    assert failures[0].ip == IP
    [locked] = entries("login.locked")
    assert locked.target == "orga@example.org"
    assert sorted(locked.details["scopes"]) == ["account", "ip"]

    db.session.execute(db.delete(AuditEntry))
    from app.accounts.security import LoginFailure, LoginLock

    # Lifting the lock: its failures go too (else they would still count).
    db.session.execute(db.delete(LoginLock))
    db.session.execute(db.delete(LoginFailure))
    db.session.commit()
    assert post(client, "/login", email="orga@example.org", password=PASSWORD).status_code == 302
    [success] = entries("login.success")
    assert success.actor_id == organiser.id and success.ip == IP
    assert success.target == "user orga@example.org"
    post(client, "/logout")
    [logout] = entries("logout")
    assert logout.actor_id == organiser.id


def test_password_change_and_tokens(client, organiser):
    login(client, organiser)
    post(client, "/account/password", current_password=PASSWORD,
         new_password="new-secret-2027", confirm_password="new-secret-2027")
    [changed] = entries("password.changed")
    assert changed.actor_id == organiser.id and changed.ip == IP
    assert "new-secret" not in str(changed.details)

    post(client, "/account/tokens", label="Schul-Website")
    [created] = entries("token.created")
    assert created.details == {"label": "Schul-Website"}
    token = db.session.execute(select(ApiToken)).scalar_one()
    post(client, f"/account/tokens/{token.id}/revoke")
    [revoked] = entries("token.revoked")
    assert revoked.details["token_id"] == token.id and revoked.actor_id == organiser.id


def test_failed_password_change_leaves_no_entry(client, organiser):
    login(client, organiser)
    response = post(client, "/account/password", current_password="not-my-password-1",
                    new_password="new-secret-2027", confirm_password="new-secret-2027")
    assert response.status_code == 422
    assert entries() == []


def test_admin_actions_on_users(as_admin, admin, organiser):
    post(as_admin, "/admin/users", email="neu@example.org", role="organiser",
         organisation=str(organiser.organisation_id), company="", language="de",
         organisation_role="member")
    [invited] = entries("invitation.sent")
    assert invited.actor_id == admin.id and invited.target == "invitation neu@example.org"
    assert invited.details["role"] == "organiser"
    assert invited.details["joins"] == "IHK Siegen"

    post(as_admin, f"/admin/users/{organiser.id}/active", active="0")
    post(as_admin, f"/admin/users/{organiser.id}/active", active="1")
    assert [e.target for e in entries("user.deactivated")] == ["user orga@example.org"]
    assert [e.target for e in entries("user.activated")] == ["user orga@example.org"]

    post(as_admin, f"/admin/users/{organiser.id}/password")
    [reset] = entries("password.reset_requested")
    assert reset.actor_id == admin.id and reset.target == "user orga@example.org"


def test_admin_actions_on_organisations(as_admin, admin):
    post(as_admin, "/admin/organisations", name="IHK Arnsberg", kind="ihk", website="",
         email="info@ihk-arnsberg.example")
    [created] = entries("organisation.created")
    assert created.target == "organisation IHK Arnsberg" and created.details["kind"] == "ihk"
    organisation = db.session.execute(select(Organisation)).scalar_one()
    post(as_admin, f"/admin/organisations/{organisation.id}", name="IHK Arnsberg Hellweg-Sauerland",
         kind="ihk", website="https://ihk-arnsberg.example", email="info@ihk-arnsberg.example")
    [changed] = entries("organisation.changed")
    assert changed.details["changes"] == {
        "name": ["IHK Arnsberg", "IHK Arnsberg Hellweg-Sauerland"],
        "website": [None, "https://ihk-arnsberg.example"],
    }


def test_audit_page_is_for_admins_only(client, organiser):
    audit("login.failure", None, "secret-target@example.org", ip="198.51.100.9")
    db.session.commit()
    assert client.get("/admin/audit").status_code == 302  # to the login page
    login(client, organiser)
    response = client.get("/admin/audit")
    assert response.status_code == 403
    assert "secret-target" not in response.get_data(as_text=True)


def test_audit_page_lists_filters_and_pages(as_admin, admin, organiser):
    with as_admin.session_transaction() as session:
        session["lang"] = "en"
    for number in range(55):
        audit("login.failure", None, f"guess{number}@example.org", ip="198.51.100.1")
    audit("user.deactivated", db.session.get(User, admin.id), "user orga@example.org",
          ip="198.51.100.2")
    db.session.commit()

    page = as_admin.get("/admin/audit").get_data(as_text=True)
    assert "User deactivated" in page and "198.51.100.2" in page
    assert "guess54@example.org" in page and "guess5@example.org" not in page  # newest first
    assert "Page 1 of 2" in page and 'rel="next"' in page
    second = as_admin.get("/admin/audit?page=2").get_data(as_text=True)
    assert "guess0@example.org" in second and "guess54@example.org" not in second

    only = as_admin.get("/admin/audit?action=user.deactivated").get_data(as_text=True)
    assert "orga@example.org" in only and "guess" not in only
    by_user = as_admin.get("/admin/audit?user=GUESS7").get_data(as_text=True)
    assert "guess7@example.org" in by_user and "orga@example.org" not in by_user
    by_actor = as_admin.get("/admin/audit?user=admin@").get_data(as_text=True)
    assert "User deactivated" in by_actor and "guess" not in by_actor
    # Unknown filters and pages are ignored rather than errors.
    assert as_admin.get("/admin/audit?action=nonsense&page=x").status_code == 200


def test_unknown_actions_are_refused(app):
    with pytest.raises(ValueError):
        audit("login.magic", None)
