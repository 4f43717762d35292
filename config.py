"""Configuration classes, filled from the environment (see PRODUCT.md: public contract).

Nothing here is read at import time: ``load_config()`` is called by the app factory.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


class BaseConfig:
    """Settings shared by every environment."""

    TIMEZONE = "Europe/Berlin"
    BASE_URL = "http://localhost:5000"
    CALENDARS_DIR = str(PROJECT_ROOT / "calendars" / "published")
    BLACKOUT_DIR = str(PROJECT_ROOT / "calendars" / "blackout")
    SMTP_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # "Stay logged in" lasts 30 days (Flask-Login's default is a year): long enough that a
    # user of a shared office PC is not asked daily, short enough that a forgotten device
    # does not hold a working login for a season. Lax: the cookie is not sent with
    # cross-site POSTs. Logging out, a password change or reset, a deactivation and "log out
    # on all devices" invalidate it at once (``User.session_version``).
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # flask-smorest: the OpenAPI document lives at /api/v1/openapi.json
    API_TITLE = "Messekalender Südwestfalen API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "info": {
            "description": "Training fairs and recruiting events in Südwestfalen. "
            "Organisers and companies authenticate with `Authorization: Bearer <token>`. "
            "Dates and times lie between 1970-01-01 and 2200-12-31, ids and page numbers "
            "within the database's integer (2^31 - 1): anything else is refused with a 4xx.",
        },
    }
    PRODUCTION = False
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (env PROXY_COUNT).
    # 0 trusts no header; set 1 behind one nginx, or client addresses (login lock-out,
    # rate limits, audit log) are all the proxy's.
    PROXY_FIX_X_FOR = 0
    # Forwarded headers are only read from these peers (env TRUSTED_PROXIES, addresses or
    # networks separated by commas): anyone else could forge a client address.
    TRUSTED_PROXIES = ("127.0.0.1", "::1")
    # HSTS (production): also for every subdomain, once they all serve https
    # (env HSTS_INCLUDE_SUBDOMAINS=1).
    HSTS_INCLUDE_SUBDOMAINS = False
    # Flask-Limiter: memory:// counts per process; with several workers or hosts use a
    # shared store such as redis://host:6379 (env RATELIMIT_STORAGE_URI).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10/minute"
    # Forgotten password: per client, and per e-mail address asked for (whoever asks).
    RESET_RATE_LIMIT = "10/hour"
    RESET_ADDRESS_RATE_LIMIT = "3/hour"
    # A company asks for access: per client, and per e-mail address.
    REGISTER_RATE_LIMIT = "5/hour"
    # Forms behind a link from a mail (set a password, accept an invitation, confirm).
    LINK_RATE_LIMIT = "30/hour"
    # Invitations, e-mail changes and other account forms, per client.
    ACCOUNT_FORM_RATE_LIMIT = "60/hour"
    # Change-notice subscriptions per client address (each sends a confirmation mail).
    NOTICE_RATE_LIMIT = "20/hour"
    # Class registrations per client address (each sends a mail to a typed address).
    VISIT_REGISTRATION_RATE_LIMIT = "20/hour"
    # Rendered list fragments of the public pages, per process (app.public.fragments):
    # exact by their keys, bounded in number (a list is up to ~200 KB).
    CACHE_TYPE = "SimpleCache"
    CACHE_THRESHOLD = 100
    CACHE_DEFAULT_TIMEOUT = 3600
    # Feed health: count feed requests (app.feeds.health); nginx's feed log for the static
    # feeds, read by the feed-health job (env FEED_ACCESS_LOG; unset: none).
    FEED_HEALTH_ENABLED = True
    FEED_ACCESS_LOG: str | None = None
    API_READ_RATE_LIMIT = "300/minute"
    API_WRITE_RATE_LIMIT = "60/minute"
    # Login lock-out (kept in the database, so it holds across workers): this many failures
    # within the window lock the e-mail address or client address for LOGIN_LOCKOUT seconds.
    LOGIN_FAILURE_LIMIT = 5
    LOGIN_FAILURE_WINDOW = 15 * 60
    LOGIN_LOCKOUT = 15 * 60


class DevelopmentConfig(BaseConfig):
    DEBUG = False


class ProductionConfig(BaseConfig):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


def _secret_key(instance_path: Path, production: bool) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/.

    Production refuses to run without an explicit key, so that several hosts share it.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set in production (FLASK_ENV=production).")
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(instance_path: Path) -> dict:
    """Return the settings for this process: a config class plus environment overrides."""
    production = os.environ.get("FLASK_ENV", "").lower() == "production"
    base = ProductionConfig if production else DevelopmentConfig
    settings = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'messekalender.sqlite'}"
    )
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server that could drop the connection: no ping before each use.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": False}
    settings["SECRET_KEY"] = _secret_key(instance_path, production)
    for name in ("BASE_URL", "SMTP_URL", "CALENDARS_DIR", "TIMEZONE", "FEED_ACCESS_LOG"):
        if value := os.environ.get(name):
            settings[name] = value
    if value := os.environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = value
    settings["PROXY_FIX_X_FOR"] = int(os.environ.get("PROXY_COUNT") or 0)
    if value := os.environ.get("TRUSTED_PROXIES"):
        settings["TRUSTED_PROXIES"] = tuple(part.strip() for part in value.split(",")
                                            if part.strip())
    settings["HSTS_INCLUDE_SUBDOMAINS"] = os.environ.get(
        "HSTS_INCLUDE_SUBDOMAINS", "").lower() in ("1", "true", "yes")
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    settings["OUTBOX_DIR"] = os.environ.get("OUTBOX_DIR") or str(instance_path / "outbox")
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
