"""Fault tests: the database goes away (and comes back).

People get the friendly 503 page, ``/healthz`` and the API answer 503 with JSON, and a
request that fails halfway leaves nothing half written. Two ways to lose the database: an
SQLite file whose folder disappears (a lost volume), and a PostgreSQL server that does
not answer (a closed port), which needs no server at all.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app import create_app
from app.accounts.models import Organisation, User
from app.accounts.security import AuditEntry
from app.extensions import db
from app.reference.loader import load_reference_data
from tests.conftest import PASSWORD_HASH, login

FRIENDLY = "The calendar is briefly unavailable"
PAGES = ["/", "/events/1", "/feeds/all.ics", "/feeds/all.ics?district=SI"]


def english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def assert_all_unavailable(client) -> None:
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "30", url
        assert response.mimetype == "text/html", url
        assert FRIENDLY in html.unescape(response.get_data(as_text=True)), url
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "30"
    assert health.json["database"] == "unavailable" and health.json["status"] == "degraded"
    api = client.get("/api/v1/events")
    assert api.status_code == 503 and api.headers["Retry-After"] == "30"
    assert api.json["error"]["code"] == "database_unavailable"
    login_post = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
    assert login_post.status_code == 503


def test_closed_postgres_port_gives_503_everywhere(test_config):
    app = create_app(test_config | {
        "SQLALCHEMY_DATABASE_URI":
            "postgresql+psycopg://nobody:nothing@127.0.0.1:9/messekalender?connect_timeout=2",
    })
    try:
        client = app.test_client()
        english(client)
        assert_all_unavailable(client)
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_site(test_config, tmp_path):
    """An app on its own SQLite file (in a folder that the test can take away)."""
    folder = tmp_path / "volume"
    folder.mkdir()
    app = create_app(test_config | {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'messekalender.sqlite'}"})
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.add(User(email="admin@example.org", role="admin",
                            password_hash=PASSWORD_HASH))
        db.session.commit()
        db.engine.dispose()
    yield app, folder
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def take_away(app, folder: Path) -> Path:
    """The volume disappears: no connection can open the file any more."""
    with app.app_context():
        db.engine.dispose()
    gone = folder.with_name("volume-gone")
    folder.rename(gone)
    return gone


def test_sqlite_database_goes_away_and_comes_back(sqlite_site, caplog):
    app, folder = sqlite_site
    client = app.test_client()
    english(client)
    assert client.get("/healthz").status_code == 200

    gone = take_away(app, folder)
    caplog.clear()
    assert_all_unavailable(client)
    for _ in range(20):
        assert client.get("/").status_code == 503
    # One traceback for the outage, then one line per failed request.
    outage = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage) >= 25
    assert sum(1 for record in outage if record.exc_info) == 1
    assert sum(1 for record in caplog.records if record.exc_info) == 1
    gone.rename(folder)  # the volume is back

    assert client.get("/healthz").json["database"] == "ok"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/events").status_code == 200


def test_logged_in_user_gets_the_friendly_page_too(sqlite_site):
    app, folder = sqlite_site
    client = app.test_client()
    english(client)
    with app.app_context():
        admin = db.session.execute(select(User)).scalar_one()
        login(client, admin)
    take_away(app, folder)
    response = client.get("/admin/")
    assert response.status_code == 503
    assert FRIENDLY in html.unescape(response.get_data(as_text=True))


def test_connection_lost_midway_leaves_nothing_half_written(sqlite_site):
    """An admin creates an organisation; the organisation is flushed, then the connection
    breaks while the audit entry is written: neither may be stored."""
    app, _folder = sqlite_site
    client = app.test_client()
    english(client)
    with app.app_context():
        admin = db.session.execute(select(User)).scalar_one()
        login(client, admin)
        engine = db.engine

    def break_on_audit(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise OperationalError(statement, parameters, Exception("connection lost"))

    event.listen(engine, "before_cursor_execute", break_on_audit)
    try:
        response = client.post("/admin/organisations", data={
            "name": "Halb geschrieben", "kind": "ihk", "email": "kontakt@halb.example"})
    finally:
        event.remove(engine, "before_cursor_execute", break_on_audit)
    assert response.status_code == 503
    assert FRIENDLY in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.execute(
            select(func.count()).select_from(Organisation)).scalar_one() == 0
        assert db.session.execute(
            select(func.count()).select_from(AuditEntry)).scalar_one() == 0
    # And the site works again at once.
    assert client.post("/admin/organisations", data={
        "name": "Ganz geschrieben", "kind": "ihk",
        "email": "kontakt@ganz.example"}).status_code == 302
