"""The account page: language, password and API tokens (shown once, stored hashed)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from app.accounts import services as accounts
from app.accounts.auth import user_for_token
from app.accounts.models import ApiToken, User
from app.extensions import db
from tests.conftest import PASSWORD, login


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation(), language="en")


@pytest.fixture
def client_as(client, organiser):
    login(client, organiser)
    return client


def test_account_needs_login(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=%2Faccount" in response.headers["Location"]


def test_account_shows_user_and_organisation(client_as):
    html = client_as.get("/account").get_data(as_text=True)
    assert "orga@example.org" in html
    assert "IHK Siegen" in html
    assert "You have no API tokens yet." in html


def test_token_is_shown_once_and_stored_only_as_hash(client_as, organiser):
    response = client_as.post("/account/tokens", data={"label": "School website"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', html).group(1)
    assert len(token) >= 40
    assert "School website" in html

    stored = db.session.execute(select(ApiToken)).scalar_one()
    assert stored.token_hash == ApiToken.hash(token) != token
    dump = " ".join(str(value) for row in db.session.execute(
        text("SELECT * FROM api_tokens")).all() for value in row)
    assert token not in dump
    assert user_for_token(token).id == organiser.id

    again = client_as.get("/account").get_data(as_text=True)
    assert token not in again
    assert "School website" in again


def test_token_needs_a_label_of_sane_length(client_as):
    response = client_as.post("/account/tokens", data={"label": "x" * 500})
    assert response.status_code == 422
    assert "x" * 500 in response.get_data(as_text=True)
    assert db.session.execute(select(ApiToken)).first() is None


def test_revoke_own_token(client_as, organiser):
    token = accounts.issue_token(organiser, "Old script")
    db.session.commit()
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    response = client_as.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert user_for_token(token) is None
    html = client_as.get("/account").get_data(as_text=True)
    assert "revoked on" in html


def test_cannot_revoke_someone_elses_token(client_as, make_user, make_company):
    other = make_user("firma@example.org", role="company", company=make_company())
    token = accounts.issue_token(other, "Theirs")
    db.session.commit()
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    assert client_as.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert user_for_token(token).id == other.id
    assert "Theirs" not in client_as.get("/account").get_data(as_text=True)


def test_change_language(client_as, organiser):
    response = client_as.post("/account/language", data={"language": "de"})
    assert response.status_code == 302
    assert db.session.get(User, organiser.id).language == "de"
    assert client_as.post("/account/language", data={"language": "fr"}).status_code == 422


def test_change_password(client_as, organiser):
    response = client_as.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "new-secret-2027",
        "confirm_password": "new-secret-2027",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, organiser.id).check_password("new-secret-2027")


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("wrong-password-9", "new-secret-2027", "new-secret-2027", "The current password is wrong."),
    (PASSWORD, "short1", "short1", "at least 10 characters"),
    (PASSWORD, "onlyletterspassword", "onlyletterspassword", "Use letters and digits"),
    (PASSWORD, "new-secret-2027", "other-secret-2027", "do not match"),
])
def test_password_rules(client_as, organiser, current, new, confirm, message):
    response = client_as.post("/account/password", data={
        "current_password": current, "new_password": new, "confirm_password": confirm,
    })
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, organiser.id).check_password(PASSWORD)
