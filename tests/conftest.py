"""Shared fixtures.

Database isolation (chosen once): the schema is built once per test run *by running the
migrations* (so a model change without a migration fails the suite), the reference data
is loaded once, and after every test all other tables are emptied. The suite runs on
SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` is set (as ``.ci/run``
does).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import flask_babel
import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash

from app import create_app
from app.accounts.models import Company, Organisation, User
from app.calendar import services as calendar
from app.calendar.models import Event
from app.extensions import db
from app.reference.loader import load_reference_data
from app.reference.models import Municipality
from app.time import local_to_utc, local_today, now_utc
from config import normalise_database_url

REFERENCE_TABLES = {
    "districts", "district_neighbours", "municipalities", "industries", "occupations",
    "alembic_version",
}
PASSWORD = "correct-horse-42"
PASSWORD_HASH = generate_password_hash(PASSWORD)


def pytest_configure(config: pytest.Config) -> None:
    """``TEST_CLOCK_SHIFT_DAYS=N`` runs the whole suite with the clock N days ahead
    (``.ci/run`` does it once, years ahead): a test that mixes fixed dates with the real
    clock fails then, long before the real date catches up with it. The clock keeps
    ticking; subprocesses (gunicorn, schedulers) keep the real one."""
    if days := os.environ.get("TEST_CLOCK_SHIFT_DAYS"):
        import time_machine

        traveller = time_machine.travel(
            datetime.now(UTC) + timedelta(days=int(days)), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


# Where ``fixed_clock`` stands: before every fixed date the tests use (the DST change of
# March 2027, a Saturday in June 2027 …), whatever today is.
FIXED_NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def fixed_clock():
    """The clock at FIXED_NOW (ticking): for tests whose data sit on fixed dates and whose
    code reads the clock (pages, feeds, jobs). Tests of services pass ``now`` instead."""
    import time_machine

    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """SQLite in a temporary folder; PostgreSQL when ``TEST_DATABASE_URL`` names an empty
    database. With pytest-xdist each worker gets a database of its own, made next to it
    (``<name>_gw0``, …), so that workers never empty each other's tables."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        url = normalise_database_url(url)
        return url if worker_id == "master" else _worker_database(url, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def _worker_database(url: str, worker_id: str) -> str:
    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def test_config(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    calendars = tmp_path_factory.mktemp("calendars")
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,  # tests/test_security.py switches it on where it counts
        "BASE_URL": "http://localhost",
        "CALENDARS_DIR": str(calendars / "published"),
        "OUTBOX_DIR": str(calendars / "outbox"),
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _schema(test_config: dict) -> None:
    """Run the migrations once against an empty database, then load reference data."""
    from flask_migrate import upgrade

    app = create_app(test_config)
    with app.app_context():
        _drop_everything()
        upgrade()
        load_reference_data()
        db.session.commit()
        db.engine.dispose()


def _drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.reflect()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        tables = [t for t in reversed(db.metadata.sorted_tables)
                  if t.name not in REFERENCE_TABLES]
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app(_schema, test_config: dict) -> Iterator[Flask]:
    app = create_app(test_config)

    @app.before_request
    def forget_cached_user_and_locale() -> None:
        """The test keeps one app context (one ``g``) open across its requests, so
        Flask-Login's user and Flask-Babel's locale would leak from one request into the
        next; in production every request starts afresh."""
        g.pop("_login_user", None)
        flask_babel.refresh()

    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def csrf_app():
    """An app with CSRF protection on, as in production; its engine is closed afterwards."""
    apps = []

    def make(test_config):
        app = create_app(test_config | {"WTF_CSRF_ENABLED": True})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


# --- factories ---------------------------------------------------------------------------


@pytest.fixture
def make_organisation(app) -> Callable[..., Organisation]:
    def make(name: str = "IHK Siegen", kind: str = "ihk") -> Organisation:
        organisation = Organisation(name=name, kind=kind)
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return make


@pytest.fixture
def make_company(app) -> Callable[..., Company]:
    def make(name: str = "Beispiel Metallbau GmbH", town: str = "Lüdenscheid") -> Company:
        company = Company(name=name, municipality=municipality(town),
                          contact_email="ausbildung@metallbau.example")
        db.session.add(company)
        db.session.commit()
        return company

    return make


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    def make(email: str = "organiser@example.org", role: str = "organiser",
             organisation: Organisation | None = None, company: Company | None = None,
             language: str = "de") -> User:
        user = User(email=email, role=role, organisation=organisation, company=company,
                    password_hash=PASSWORD_HASH, language=language)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def org_a(make_organisation):
    return make_organisation("IHK Siegen", "ihk")


@pytest.fixture
def org_b(make_organisation):
    return make_organisation("Handwerkskammer Südwestfalen", "hwk")


@pytest.fixture
def organiser_a(make_user, org_a) -> User:
    return make_user("a@ihk-siegen.example", "organiser", organisation=org_a)


@pytest.fixture
def organiser_b(make_user, org_b) -> User:
    return make_user("b@hwk.example", "organiser", organisation=org_b)


def municipality(name: str) -> Municipality:
    return db.session.execute(
        db.select(Municipality).where(Municipality.name == name)
    ).scalar_one()


@pytest.fixture
def make_event(app, make_organisation) -> Callable[..., Event]:
    """``make_event(title=..., town="Siegen", day=date(...), status="published", ...)``."""

    def make(
        title: str = "Ausbildungsmesse Siegen",
        *,
        organisation: Organisation | None = None,
        town: str = "Siegen",
        venue: str = "Siegerlandhalle",
        day: date | None = None,
        start: time = time(9),
        end: time = time(14),
        all_day_until: date | None = None,
        event_type: str = "training_fair",
        audiences: tuple[str, ...] = ("pupils", "parents"),
        industries: tuple[str, ...] = ("CROSS",),
        status: str = "published",
        **fields,
    ) -> Event:
        organisation = organisation or _default_organisation(make_organisation)
        day = day or local_today() + timedelta(days=30)
        data = calendar.EventData(
            title=title, event_type=event_type,
            venue=calendar.find_or_create_venue(venue, municipality(town)),
            all_day=all_day_until is not None,
            audiences=list(audiences), industries=list(industries), **fields,
        )
        if all_day_until is not None:
            data.first_day, data.last_day = day, all_day_until
        else:
            data.starts_at, data.ends_at = local_to_utc(day, start), local_to_utc(day, end)
        event = calendar.create_event(organisation, None, data, now=now_utc())
        for step in {"draft": [], "planned": ["planned"], "published": ["published"],
                     "cancelled": ["published", "cancelled"]}[status]:
            calendar.change_status(event, None, step, now=now_utc())
        db.session.commit()
        return event

    return make


def _default_organisation(make_organisation) -> Organisation:
    existing = db.session.execute(
        db.select(Organisation).where(Organisation.name == "IHK Siegen")
    ).scalar_one_or_none()
    return existing or make_organisation()


def login(client: FlaskClient, user: User) -> None:
    """Log ``user`` in through the session, as Flask-Login would after a real login."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def utc(*args: int) -> datetime:
    from datetime import UTC

    return datetime(*args, tzinfo=UTC)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
