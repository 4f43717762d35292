"""Sessions end when they should: a copied session cookie or remember cookie stops working
after logout, a password change or reset, a deactivation and "log out on all devices"."""

from __future__ import annotations

import pytest
from flask import Flask

from app.accounts.models import User
from app.extensions import db
from tests.conftest import PASSWORD, login

REMEMBER = "remember_token"


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation())


def log_in(app: Flask, email: str = "orga@example.org", password: str = PASSWORD):
    """A browser that logged in with "stay logged in"; returns it and copies of its cookies."""
    browser = app.test_client()
    response = browser.post("/login", data={"email": email, "password": password,
                                            "remember": "y"})
    assert response.status_code == 302
    cookies = {name: browser.get_cookie(name).value for name in ("session", REMEMBER)}
    assert all(cookies.values())
    return browser, cookies


def replay(app: Flask, cookies: dict[str, str], only: str | None = None) -> int:
    """Status of /account for a new browser that carries the copied cookies (or one)."""
    thief = app.test_client()
    for name, value in cookies.items():
        if only in (None, name):
            thief.set_cookie(name, value)
    return thief.get("/account").status_code


def test_copied_cookies_work_until_something_ends_the_sessions(app, organiser):
    _browser, cookies = log_in(app)
    assert replay(app, cookies, "session") == 200
    assert replay(app, cookies, REMEMBER) == 200  # the remember cookie alone logs in


@pytest.mark.parametrize("cookie", ["session", REMEMBER])
def test_logout_ends_every_session_and_remember_cookie(app, organiser, cookie):
    browser, cookies = log_in(app)
    _other_device, other_cookies = log_in(app)
    assert browser.post("/logout").status_code == 302
    assert replay(app, cookies, cookie) == 302
    assert replay(app, other_cookies, cookie) == 302  # logging out ends the other device too


@pytest.mark.parametrize("cookie", ["session", REMEMBER])
def test_password_change_ends_the_other_sessions_but_not_this_one(app, organiser, cookie):
    browser, _ = log_in(app)
    _other, other_cookies = log_in(app)
    response = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a-new-password-7",
        "confirm_password": "a-new-password-7"})
    assert response.status_code == 302
    assert replay(app, other_cookies, cookie) == 302
    assert browser.get("/account").status_code == 200
    # The browser that changed the password got a new remember cookie that works.
    new_cookies = {name: browser.get_cookie(name).value for name in ("session", REMEMBER)}
    assert replay(app, new_cookies, cookie) == 200


@pytest.mark.parametrize("cookie", ["session", REMEMBER])
def test_deactivation_by_an_admin_ends_every_session(app, organiser, make_user, cookie):
    _browser, cookies = log_in(app)
    admin = make_user("admin@example.org", role="admin")
    admin_browser = app.test_client()
    login(admin_browser, admin)
    response = admin_browser.post(f"/admin/users/{organiser.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert replay(app, cookies, cookie) == 302
    # Activated again, the old cookies stay dead: the version has moved on.
    admin_browser.post(f"/admin/users/{organiser.id}/active", data={"active": "1"})
    assert replay(app, cookies, cookie) == 302


@pytest.mark.parametrize("cookie", ["session", REMEMBER])
def test_log_out_on_all_devices(app, organiser, cookie):
    browser, cookies = log_in(app)
    _other, other_cookies = log_in(app)
    response = browser.post("/account/sessions/end")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert replay(app, cookies, cookie) == 302
    assert replay(app, other_cookies, cookie) == 302
    assert browser.get("/account").status_code == 302
    entry = db.session.execute(db.text(
        "SELECT action FROM audit_log WHERE action = 'logout.everywhere'")).scalar_one()
    assert entry == "logout.everywhere"


def test_a_session_id_without_the_version_or_with_junk_logs_nobody_in(app, organiser):
    for forged in [str(organiser.id), f"{organiser.id}:", f"{organiser.id}:99",
                   f"{organiser.id}:x", "1:1:1", "", "9" * 60 + ":1"]:
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"] = forged
        assert browser.get("/account").status_code == 302, forged


def test_remember_cookie_has_samesite_httponly_and_a_30_day_lifetime(app, organiser):
    browser = app.test_client()
    response = browser.post("/login", data={"email": "orga@example.org",
                                            "password": PASSWORD, "remember": "y"})
    header = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith(REMEMBER + "="))
    assert "SameSite=Lax" in header and "HttpOnly" in header
    assert "Max-Age=2592000" in header or "Expires=" in header
    assert app.config["REMEMBER_COOKIE_DURATION"] == 30 * 24 * 3600


def test_session_version_moves_only_when_sessions_end(app, organiser):
    browser, _ = log_in(app)
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    before = user.session_version
    browser.post("/account/language", data={"language": "en"})
    db.session.refresh(user)
    assert user.session_version == before
