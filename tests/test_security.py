"""Security headers: a strict Content-Security-Policy on every kind of response."""

import pytest

from app.security import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "url", ["/", "/login", "/feeds/all.ics", "/api/v1/events", "/healthz", "/no-such-page"]
)
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_policy_allows_nothing_from_elsewhere_and_no_inline_code():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


def test_pages_carry_no_inline_script_or_style(client, make_event):
    import re

    event = make_event("Messe")
    for url in ("/", "/?view=month", f"/events/{event.id}", "/login"):
        html = client.get(url).data.decode()
        assert " style=" not in html, url
        for tag in re.findall(r"<script[^>]*>", html):
            # our own files, or structured data (JSON-LD), which no browser runs
            assert 'src="/static/' in tag or tag == '<script type="application/ld+json">', url


# --- login lock-out (kept in the database, so it holds across workers) --------------------

import html as html_lib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
from datetime import timedelta  # noqa: E402
from unittest import mock  # noqa: E402

from sqlalchemy import event, func, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.security import (  # noqa: E402
    LoginLock,
    begin_login_attempt,
    login_locked_until,
    record_login_failure,
)
from app.accounts.services import issue_token  # noqa: E402
from app.extensions import db  # noqa: E402
from app.time import now_utc  # noqa: E402
from tests.conftest import PASSWORD, login  # noqa: E402

LOCK_MESSAGE = "Too many failed logins"


@pytest.fixture
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@example.org", organisation=make_organisation())


def attempt(client, email, password="wrong-password-1", ip="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def test_five_failures_lock_the_account_even_for_the_right_password(english, organiser):
    for _ in range(5):
        response = attempt(english, "orga@example.org")
        assert response.status_code == 401
        assert LOCK_MESSAGE not in response.get_data(as_text=True)
    response = attempt(english, "orga@example.org", PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert LOCK_MESSAGE in page and "15 minutes" in page
    assert 'value="orga@example.org"' in page  # the form keeps the e-mail
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    assert not logged_in(english)


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client, organiser):
    for _ in range(4):
        assert attempt(client, "orga@example.org").status_code == 401
    assert attempt(client, "orga@example.org", PASSWORD).status_code == 302
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    for _ in range(4):  # without the reset this would be failures 5 to 8
        assert attempt(client, "orga@example.org", ip="10.0.0.2").status_code == 401
    assert attempt(client, "orga@example.org", PASSWORD, ip="10.0.0.3").status_code == 302


def test_the_lock_counts_per_client_address(client, organiser):
    for number in range(5):
        assert attempt(client, f"guess{number}@example.org", ip="10.0.0.9").status_code == 401
    assert attempt(client, "orga@example.org", PASSWORD, ip="10.0.0.9").status_code == 429
    assert attempt(client, "orga@example.org", PASSWORD, ip="10.0.0.10").status_code == 302


def test_the_lock_counts_per_account_across_addresses(client, organiser, make_user):
    for number in range(5):
        assert attempt(client, "orga@example.org", ip=f"10.1.0.{number}").status_code == 401
    assert attempt(client, "orga@example.org", PASSWORD, ip="10.1.0.99").status_code == 429
    make_user("other@example.org", role="admin")
    assert attempt(client, "other@example.org", PASSWORD, ip="10.1.0.1").status_code == 302


def test_lock_message_does_not_reveal_whether_the_account_exists(english, organiser):
    pages = {}
    for number, email in enumerate(("orga@example.org", "nobody@example.org")):
        for _ in range(5):
            attempt(english, email, ip=f"10.2.0.{number}")
        response = attempt(english, email, ip=f"10.2.0.{number}")
        assert response.status_code == 429
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        pages[email] = re.sub(r'name="csrf_token"[^>]*>', "", page)
    assert pages["orga@example.org"] == pages["nobody@example.org"]


def test_lock_ends_after_the_lockout_and_counting_starts_afresh(app, organiser):
    start = now_utc()
    for minute in range(5):
        locked = record_login_failure("orga@example.org", "10.3.0.1",
                                      now=start + timedelta(minutes=minute))
    assert set(locked) == {"account", "ip"}
    assert login_locked_until("orga@example.org", "10.9.9.9", start + timedelta(minutes=10))
    assert login_locked_until("x@example.org", "10.3.0.1", start + timedelta(minutes=10))
    later = start + timedelta(minutes=4 + 15, seconds=1)
    assert login_locked_until("orga@example.org", "10.3.0.1", later) is None
    assert record_login_failure("orga@example.org", "10.3.0.1", later) == []


def test_failures_spread_over_more_than_the_window_do_not_lock(app):
    start = now_utc()
    for step in range(8):
        record_login_failure("slow@example.org", f"10.4.0.{step}",
                             now=start + timedelta(minutes=4 * step))
    assert db.session.execute(select(func.count()).select_from(LoginLock)).scalar_one() == 0


def test_a_lock_written_while_an_attempt_counts_still_refuses_it(app, organiser):
    """PostgreSQL reads each statement afresh: the fifth failure's lock can commit between
    two reads of the sixth attempt, which counts afresh after a lock, so it must also see
    that lock (on SQLite the sixth attempt holds the write lock and the lock waits)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises the writer")
    start = now_utc()
    attempts = [begin_login_attempt("orga@example.org", f"10.5.0.{number}",
                                    start + timedelta(seconds=number)) for number in range(5)]
    assert not any(attempt.refused for attempt in attempts)
    fifth = attempts[-1]
    other = db.engine.connect()
    written = []

    def fifth_locks_now(connection, cursor, statement, *args) -> None:
        """Just before the sixth attempt looks for the last lock to count from, the fifth
        one's wrong password is done."""
        if connection is not other and "login_locks.locked_at" in statement and not written:
            other.execute(LoginLock.__table__.insert().values(
                scope="account", key=fifth.email_key, locked_at=start + timedelta(seconds=9),
                until=start + timedelta(minutes=15)))
            other.commit()
            written.append(True)

    event.listen(db.engine, "before_cursor_execute", fifth_locks_now)
    try:
        sixth = begin_login_attempt("orga@example.org", "10.5.0.6", start + timedelta(seconds=10))
    finally:
        event.remove(db.engine, "before_cursor_execute", fifth_locks_now)
        other.close()
    assert written and sixth.refused


# --- rate limits (Flask-Limiter) -------------------------------------------------------------


@pytest.fixture
def limited_app(test_config):
    """An app with rate limiting on and tiny limits (the other tests run without)."""
    app = create_app(test_config | {
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "3/minute", "API_READ_RATE_LIMIT": "3/minute",
        "API_WRITE_RATE_LIMIT": "2/minute",
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def test_login_posts_are_rate_limited_with_the_friendly_page(app, limited_app):
    client = limited_app.test_client()
    with client.session_transaction() as session:
        session["lang"] = "en"
    for _ in range(3):
        assert attempt(client, "nobody@example.org", ip="10.5.0.1").status_code == 401
    response = attempt(client, "nobody@example.org", ip="10.5.0.1")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many requests" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert client.get("/login").status_code == 200  # only the POST is limited
    assert attempt(client, "nobody@example.org", ip="10.5.0.2").status_code == 401


def test_api_reads_are_rate_limited_with_json(app, limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/events").status_code == 200
    response = client.get("/api/v1/events")
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"
    assert response.json["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0
    # Pages and feeds are not counted against the API's limit.
    assert client.get("/").status_code == 200


def test_api_writes_count_per_token(app, limited_app, make_user, make_organisation):
    organisation = make_organisation()
    tokens = [issue_token(make_user(f"orga{n}@example.org", organisation=organisation))
              for n in range(2)]
    db.session.commit()
    client = limited_app.test_client()

    def write(token):
        return client.post("/api/v1/events", json={},
                           headers={"Authorization": f"Bearer {token}"})

    assert [write(tokens[0]).status_code for _ in range(2)] == [422, 422]
    limited = write(tokens[0])
    assert limited.status_code == 429 and limited.json["error"]["code"] == "too_many_requests"
    assert write(tokens[1]).status_code == 422  # another token has its own allowance


# --- request size ---------------------------------------------------------------------------


def test_too_large_form_post_gets_the_friendly_413_page(english):
    response = english.post("/login", data={"email": "a@example.org",
                                            "password": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "The upload is too large." in html_lib.unescape(response.get_data(as_text=True))


def test_too_large_api_post_gets_json_413(client, make_user, make_organisation):
    token = issue_token(make_user(organisation=make_organisation()))
    db.session.commit()
    response = client.post("/api/v1/events", data=b'{"title": "' + b"x" * (3 * 1024 * 1024)
                           + b'"}', content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


# --- CSRF: every form POST outside the API is refused without a token -----------------------


def _post_routes() -> list[tuple[str, str]]:
    """Every POST route of the site outside /api, with sample ids filled in."""
    with mock.patch.dict(os.environ, {"SECRET_KEY": "collect-routes"}):
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        routes.append((rule.endpoint, url))
    return sorted(routes)


POST_ROUTES = _post_routes()
# Routes that take a POST without a CSRF token on purpose, and why; without a valid token
# of their own in the URL they must still change nothing.
CSRF_EXEMPT = {
    "notices.unsubscribe": "RFC 8058 one-click unsubscribe: mail providers post without a "
                           "session; the signed token in the URL is the proof",
}


def _row_counts() -> dict[str, int]:
    return {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in db.metadata.sorted_tables}


def test_the_site_has_post_routes_to_check():
    endpoints = {endpoint for endpoint, _ in POST_ROUTES}
    assert {"accounts.login", "accounts.logout", "admin.users"} <= endpoints


@pytest.mark.parametrize(("endpoint", "url"), POST_ROUTES, ids=[e for e, _ in POST_ROUTES])
def test_post_without_csrf_token_is_refused_and_stores_nothing(
    app, test_config, csrf_app, make_user, make_event, endpoint, url
):
    admin = make_user("admin@example.org", role="admin")
    make_event("Messe")  # an event with id 1 for /…/<int:event_id>/… routes
    before = _row_counts()
    client = csrf_app(test_config).test_client()
    login(client, admin)
    response = client.post(url, data={"email": "admin@example.org", "password": PASSWORD,
                                      "name": "Neu", "kind": "ihk", "label": "x",
                                      "language": "en", "lang": "en", "active": "0"})
    expected = 404 if endpoint in CSRF_EXEMPT else 400  # a forged token: nothing there
    assert response.status_code == expected, (endpoint, response.status_code)
    db.session.expire_all()
    assert _row_counts() == before
