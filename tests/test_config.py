"""Configuration from the environment, with working defaults."""

import pytest

from config import load_config, normalise_database_url


def test_defaults(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "SMTP_URL", "CALENDARS_DIR",
                 "TIMEZONE", "FLASK_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = load_config(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'messekalender.sqlite'}"
    assert settings["TIMEZONE"] == "Europe/Berlin"
    assert settings["CALENDARS_DIR"].endswith("calendars/published")
    assert settings["SMTP_URL"] is None
    assert settings["OUTBOX_DIR"] == str(tmp_path / "outbox")


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_ENV", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 40
    assert load_config(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    settings = load_config(tmp_path)
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/messe")
    monkeypatch.setenv("TIMEZONE", "Europe/Vienna")
    monkeypatch.setenv("CALENDARS_DIR", "/srv/feeds")
    monkeypatch.setenv("SECRET_KEY", "x")
    settings = load_config(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/messe"
    assert settings["TIMEZONE"] == "Europe/Vienna" and settings["CALENDARS_DIR"] == "/srv/feeds"


def test_database_url_spellings():
    assert normalise_database_url("postgresql://a/b") == "postgresql+psycopg://a/b"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok" and response.json["status"] == "ok"
