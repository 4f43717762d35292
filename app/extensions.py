"""Flask extensions, created unbound here and bound in ``create_app``."""

from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from app.security import API_LIMITS, client_address

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def commit_as_written() -> None:
    """Commit without expiring the session's objects, for a request that answers from
    what it has just written: no query follows the commit to reload them."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_message = _l("Please log in to access this page.")
babel = Babel()
# Storage, on/off and the limits' values come from the config (RATELIMIT_*, *_RATE_LIMIT).
# Rendered fragments of public pages (app.public.fragments); CACHE_* in the config.
cache = Cache()
limiter = Limiter(key_func=client_address, application_limits=API_LIMITS, headers_enabled=True)


# How long a SQLite writer waits for the database's write lock before it gives up.
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def tune_sqlite(dbapi_connection, _record) -> None:
    """SQLite in WAL mode: readers never wait for the writer, and a commit appends to the
    log instead of syncing the whole database (``synchronous=NORMAL``: a power cut may
    lose the last commits, never the database's consistency). A commit under the booth
    lock then takes microseconds instead of an fsync; PostgreSQL is the production
    database. Every connection waits up to ``SQLITE_BUSY_TIMEOUT_MS`` for the lock."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    try:
        if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
