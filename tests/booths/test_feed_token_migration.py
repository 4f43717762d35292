"""The migration that moves company feed tokens out of ``api_tokens``: feed rows of
company users move (their addresses keep working), real API tokens stay."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db

BEFORE, AFTER = "a4c1d2e3f5b6", "050925c1e3b8"


@pytest.fixture
def old_database(tmp_path, test_config):
    app = create_app(test_config | {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrate.sqlite'}"})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO companies (id, name, created_at) VALUES (1, 'Firma', "
                "'2026-01-01 00:00:00')",
                "INSERT INTO users (id, email, password_hash, role, company_id, language, "
                "active, created_at) VALUES (1, 'hr@firma.example', 'x', 'company', 1, 'de', "
                "1, '2026-01-01 00:00:00')",
                "INSERT INTO users (id, email, password_hash, role, language, active, "
                "created_at) VALUES (2, 'admin@example.org', 'x', 'admin', 'de', 1, "
                "'2026-01-01 00:00:00')",
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES "
                "(1, 'feedhash', 'iCal feed (company)', '2026-01-02 00:00:00'), "
                "(1, 'apihash', 'Bewerbermanagement', '2026-01-03 00:00:00'), "
                "(2, 'adminhash', 'iCal feed (company)', '2026-01-04 00:00:00')",
            ):
                connection.execute(text(statement))
        yield app
        db.engine.dispose()


def rows(sql: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_feed_tokens_move_to_their_own_table_and_back(old_database):
    upgrade(revision=AFTER)
    assert rows("SELECT company_id, token_hash, created_by_id, revoked_at "
                "FROM company_feed_tokens") == [(1, "feedhash", 1, None)]
    # An admin's token that merely has the label is no company feed: it stays.
    assert rows("SELECT user_id, token_hash FROM api_tokens ORDER BY id") == [
        (1, "apihash"), (2, "adminhash")]
    downgrade(revision=BEFORE)
    assert rows("SELECT user_id, token_hash, label FROM api_tokens ORDER BY token_hash") == [
        (2, "adminhash", "iCal feed (company)"), (1, "apihash", "Bewerbermanagement"),
        (1, "feedhash", "iCal feed (company)")]
