"""Login and logout: credentials, deactivated users, safe redirects, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.redirects import is_safe_next
from tests.conftest import PASSWORD, login


@pytest.fixture
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation())


def logged_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_login_page_has_the_form(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and 'name="remember"' in html


def test_organiser_logs_in_and_lands_on_the_event_list(client, organiser):
    response = client.post("/login", data={"email": " ORGA@example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"
    assert logged_in_user_id(client) == organiser.get_id()
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert user.last_login_at is not None


@pytest.mark.parametrize(("role", "landing"), [("admin", "/admin/"), ("company", "/booths/")])
def test_landing_page_depends_on_role(client, make_user, make_company, role, landing):
    company = make_company() if role == "company" else None
    make_user("someone@example.org", role=role, company=company)
    response = client.post("/login", data={"email": "someone@example.org", "password": PASSWORD})
    assert response.headers["Location"] == landing


@pytest.mark.parametrize("email", ["orga@example.org", "nobody@example.org"])
def test_wrong_credentials_get_one_generic_message_and_keep_the_email(english, organiser, email):
    response = english.post("/login", data={"email": email, "password": "wrong-password-1"})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "E-mail address or password is wrong." in html
    assert f'value="{email}"' in html
    assert "wrong-password-1" not in html
    assert logged_in_user_id(english) is None


def test_deactivated_user_cannot_log_in(english, organiser):
    organiser.active = False
    db.session.commit()
    response = english.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert logged_in_user_id(english) is None


def test_empty_form_is_refused_with_messages(english):
    response = english.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "Please enter your e-mail address." in response.get_data(as_text=True)


def test_oversized_input_is_a_form_error_not_a_crash(english):
    response = english.post("/login", data={"email": "a" * 10_000, "password": "b" * 10_000})
    assert response.status_code == 422


def test_safe_next_is_honoured(client, organiser):
    response = client.post("/login", data={
        "email": organiser.email, "password": PASSWORD, "next": "/manage/events/new?x=1",
    })
    assert response.headers["Location"] == "/manage/events/new?x=1"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "/\t/evil.example", " //evil.example",
])
def test_open_redirects_are_refused(client, organiser, target):
    assert not is_safe_next(target)
    page = client.get("/login", query_string={"next": target})
    next_field = re.search(r'<input id="next"[^>]*>', page.get_data(as_text=True))
    assert 'value=""' in next_field.group(0)
    response = client.post("/login", data={
        "email": organiser.email, "password": PASSWORD, "next": target,
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/"


def test_login_page_remembers_a_safe_next_from_the_query(client):
    page = client.get("/manage/events/new")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'value="/manage/events/new"' in html


def test_logout_is_a_post(client, organiser):
    login(client, organiser)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_login_and_logout_need_a_csrf_token(test_config, csrf_app, organiser):
    app = csrf_app(test_config)
    client = app.test_client()
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 400
    assert logged_in_user_id(client) is None

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/login", data={
        "email": organiser.email, "password": PASSWORD, "csrf_token": token,
    })
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400
    assert logged_in_user_id(client) == organiser.get_id()
    assert db.session.execute(select(User)).scalars().all()
