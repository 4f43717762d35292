"""Forgotten password: the same answer for every address, single-use links that expire in
an hour and die with a newer link or a password change, throttling, and every session of
the user ends after a reset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts import links, onboarding
from app.accounts.models import LinkToken, User
from app.accounts.security import AuditEntry
from app.extensions import db
from app.time import now_utc
from tests.accounts.conftest import link_in, mails_to
from tests.accounts.test_sessions import REMEMBER, log_in, replay
from tests.conftest import PASSWORD

NEW = "ein-neues-passwort-9"


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation())


def ask(client, email, ip="10.0.0.1"):
    return client.post("/login/reset", data={"email": email}, environ_base={"REMOTE_ADDR": ip})


def test_login_page_links_to_the_reset(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/login/reset"' in html and "Passwort vergessen?" in html


def test_same_answer_whether_or_not_the_address_has_an_account(client, organiser):
    known = ask(client, "orga@example.org")
    unknown = ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda response, email: response.get_data(as_text=True).replace(email, "X")  # noqa: E731
    assert strip(known, "orga@example.org") == strip(unknown, "nobody@example.org")
    # Both addresses got one mail: a link for the account, an explanation for the other.
    assert len(mails_to("orga@example.org")) == 1 and len(mails_to("nobody@example.org")) == 1
    assert "/login/reset/" in mails_to("orga@example.org")[0].body
    assert "/login/reset/" not in mails_to("nobody@example.org")[0].body
    assert "kein Konto" in mails_to("nobody@example.org")[0].body


def test_reset_sets_the_password_logs_in_and_ends_every_other_session(app, client, organiser):
    _browser, cookies = log_in(app)
    ask(client, " ORGA@example.org ")
    mail = mails_to("orga@example.org")[0]
    assert mail.subject == "Neues Passwort für den Messekalender Südwestfalen"
    assert mail.language == "de" and "eine Stunde" in mail.body
    path = link_in(mail, "/login/reset")
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    assert client.get("/account").status_code == 200  # logged in with the new session
    assert replay(app, cookies, "session") == 302 and replay(app, cookies, REMEMBER) == 302
    # The used link is dead; the user is told the password changed.
    again = client.post(path, data={"new_password": "noch-ein-neues-1",
                                    "confirm_password": "noch-ein-neues-1"})
    assert again.status_code == 410 and "Neuen Link anfordern" in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(NEW)
    assert mails_to("orga@example.org")[-1].subject == "Ihr Passwort wurde geändert"
    actions = {entry.action for entry in db.session.query(AuditEntry)}
    assert {"password.reset_requested", "password.reset"} <= actions


def test_a_newer_link_kills_the_older_one(client, organiser):
    ask(client, "orga@example.org")
    ask(client, "orga@example.org")
    first, second = (link_in(mail, "/login/reset") for mail in mails_to("orga@example.org"))
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_a_password_change_kills_open_links(client, organiser):
    ask(client, "orga@example.org")
    path = link_in(mails_to("orga@example.org")[0], "/login/reset")
    user = db.session.get(User, organiser.id)
    onboarding.password_changed(user, now_utc())
    db.session.commit()
    assert client.get(path).status_code == 410


def test_an_expired_link_changes_nothing(client, organiser):
    ask(client, "orga@example.org")
    path = link_in(mails_to("orga@example.org")[0], "/login/reset")
    db.session.execute(db.update(LinkToken).values(
        expires_at=now_utc() - timedelta(seconds=1)))
    db.session.commit()
    response = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert response.status_code == 410
    assert "abgelaufen" in response.get_data(as_text=True)
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_links_expire_after_an_hour(app, organiser):
    now = now_utc()
    user = db.session.get(User, organiser.id)
    token = links.issue("password_reset", now, user=user)
    assert links.check("password_reset", token, now + timedelta(minutes=59))
    with pytest.raises(links.LinkError, match="expired"):
        links.check("password_reset", token, now + timedelta(hours=1))
    with pytest.raises(links.LinkError, match="unknown"):
        links.check("invitation", token, now)  # a reset link is no invitation


@pytest.mark.parametrize("token", ["x" * 43, "a" * 101, "abc%00def", "..-admin",
                                   "' OR 1=1 --", "ä" * 10])
def test_unknown_or_tampered_links_get_a_clear_404(client, organiser, token):
    ask(client, "orga@example.org")
    real = link_in(mails_to("orga@example.org")[0], "/login/reset")
    for path in (f"/login/reset/{token}", real[:-1] + ("A" if real[-1] != "A" else "B")):
        response = client.post(path, data={"new_password": NEW, "confirm_password": NEW})
        assert response.status_code == 404, path
        assert "Neuen Link anfordern" in response.get_data(as_text=True)
    user = db.session.get(User, organiser.id)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_weak_or_mismatched_passwords_come_back_with_a_message(client, organiser):
    ask(client, "orga@example.org")
    path = link_in(mails_to("orga@example.org")[0], "/login/reset")
    weak = client.post(path, data={"new_password": "kurz", "confirm_password": "kurz"})
    assert weak.status_code == 422 and "mindestens 10" in weak.get_data(as_text=True)
    other = client.post(path, data={"new_password": NEW, "confirm_password": NEW + "x"})
    assert other.status_code == 422
    assert client.get(path).status_code == 200  # the link still works


def test_deactivated_users_get_no_link(client, make_user, make_organisation):
    user = make_user("weg@example.org", organisation=make_organisation())
    user.active = False
    db.session.commit()
    assert ask(client, "weg@example.org").status_code == 200
    (mail,) = mails_to("weg@example.org")
    assert "/login/reset/" not in mail.body and "deaktiviert" in mail.body


def test_english_users_get_english_mail(client, make_user, make_organisation):
    make_user("en@example.org", organisation=make_organisation(), language="en")
    ask(client, "en@example.org")
    (mail,) = mails_to("en@example.org")
    assert mail.language == "en" and mail.subject.startswith("A new password")


@pytest.mark.parametrize("email", ["", "x" * 300 + "@example.org", "a\x00b@example.org"])
def test_hostile_addresses_are_refused_without_mail(client, email):
    assert ask(client, email).status_code == 422
    assert db.session.query(LinkToken).count() == 0


def test_requests_are_throttled_per_address_and_per_client(app, limited_app, organiser):
    client = limited_app().test_client()
    statuses = [ask(client, "orga@example.org", ip=f"10.0.1.{n}").status_code
                for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # 3 per address and hour, from any client
    statuses = [ask(client, f"someone{n}@example.org", ip="10.0.2.1").status_code
                for n in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429  # 10 per client and hour
    assert len(mails_to("orga@example.org")) == 3
