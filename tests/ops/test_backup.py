"""Backups as documented in deploy/README.md, each with a restore that is checked.

SQLite: the online backup API (what ``sqlite3 … ".backup …"`` uses) copies a consistent
snapshot while the app keeps its connection open; the copy, put in place of a lost
database, opens with the app and holds the data. PostgreSQL: ``pg_dump -Fc`` and
``pg_restore`` into a new database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.accounts.models import Organisation, User
from app.calendar.models import Event
from app.demo import seed_demo
from app.extensions import db
from app.reference.loader import load_reference_data
from config import normalise_database_url

COUNTED = (Organisation, User, Event)


def counts() -> dict[str, int]:
    return {model.__tablename__: db.session.execute(
        select(func.count()).select_from(model)).scalar_one() for model in COUNTED}


def sqlite_app(test_config: dict, path: Path):
    return create_app(test_config | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


@pytest.fixture
def live_sqlite(test_config, tmp_path):
    """An app on its own SQLite file with the demo data, whatever the suite's database."""
    path = tmp_path / "instance" / "messekalender.sqlite"
    path.parent.mkdir()
    app = sqlite_app(test_config, path)
    with app.app_context():
        upgrade()
        load_reference_data()
        seed_demo()
        db.session.commit()
        yield app, path
        db.session.remove()
        db.engine.dispose()


def backup_with_python(source: Path, target: Path) -> None:
    """The documented one-liner: ``python -c "import sqlite3; sqlite3.connect(SRC).backup(
    sqlite3.connect(DST))"`` (with the connections closed afterwards)."""
    subprocess.run(
        ["python3", "-c", "import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); "
         "d = sqlite3.connect(sys.argv[2]); s.backup(d); d.close(); s.close()",
         str(source), str(target)],
        check=True, timeout=30,
    )


def check_restored(test_config: dict, backup: Path, tmp_path: Path, expected: dict) -> None:
    """Restore = put the backup file in place of the database, then start the app on it."""
    restored = tmp_path / "restored" / "messekalender.sqlite"
    restored.parent.mkdir(parents=True)
    shutil.copyfile(backup, restored)
    with sqlite3.connect(restored) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    app = sqlite_app(test_config, restored)
    with app.app_context():
        try:
            assert counts() == expected
            assert db.session.execute(
                select(Organisation).where(Organisation.name == "IHK Siegen")
            ).scalar_one()
            assert app.test_client().get("/healthz").status_code == 200
        finally:
            db.session.remove()
            db.engine.dispose()


def test_sqlite_online_backup_while_the_app_is_connected(live_sqlite, test_config, tmp_path):
    app, path = live_sqlite
    expected = counts()
    assert expected["events"] > 0 and expected["users"] > 0
    # The app holds a connection with a read transaction open while the backup runs.
    connection = db.engine.connect()
    connection.execute(text("BEGIN"))
    connection.execute(select(func.count()).select_from(Event))
    backup = tmp_path / "backup.sqlite"
    try:
        backup_with_python(path, backup)
    finally:
        connection.rollback()
        connection.close()
    shell_backup = tmp_path / "backup-shell.sqlite"
    if shutil.which("sqlite3"):  # the documented shell command, where the shell is installed
        subprocess.run(["sqlite3", str(path), f".backup {shell_backup}"], check=True,
                       timeout=30)
    path.unlink()  # the database is lost
    check_restored(test_config, backup, tmp_path / "python", expected)
    if shell_backup.exists():
        check_restored(test_config, shell_backup, tmp_path / "shell", expected)


# --- PostgreSQL ------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL in the form that pg_dump and psql understand."""
    return normalise_database_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def postgres_url(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL backup: TEST_DATABASE_URL is not set")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"PostgreSQL backup: {tool} is not on PATH")
    can_create = db.session.execute(
        text("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar_one()
    if not can_create:
        pytest.skip("PostgreSQL backup: the test role may not create a database to restore "
                    "into (ALTER ROLE … CREATEDB)")
    return libpq_url(url)


def test_postgres_dump_and_restore_into_a_new_database(app, postgres_url, tmp_path):
    seed_demo()
    db.session.commit()
    expected = counts()
    dump = tmp_path / "messekalender.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                    f"--dbname={postgres_url}"], check=True, timeout=60)

    name = f"messekalender_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    restore_url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        f"--dbname={restore_url}", str(dump)], check=True, timeout=60)
        restored = create_engine(normalise_database_url(restore_url))
        try:
            with restored.connect() as connection:
                found = {model.__tablename__: connection.execute(
                    select(func.count()).select_from(model.__table__)).scalar_one()
                    for model in COUNTED}
                assert connection.execute(
                    select(Organisation.__table__.c.name)
                    .where(Organisation.__table__.c.name == "IHK Siegen")
                ).scalar_one()
        finally:
            restored.dispose()
        assert found == expected
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
