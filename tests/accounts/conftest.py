"""Helpers for the account flows: read the outbox like a person reads their mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage


def mails_to(address: str) -> list[OutboxMessage]:
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipient == address)
        .order_by(OutboxMessage.id)).scalars())


def link_in(message: OutboxMessage, path: str) -> str:
    """The path of the first link to ``path`` in the mail (``BASE_URL`` is http://localhost)."""
    found = re.search(r"http://localhost(" + re.escape(path) + r"/[\w-]+)", message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def outbox():
    return mails_to


@pytest.fixture
def limited_app(test_config):
    """An app with rate limits on (``limited_app(**settings)``); its engine is closed after
    the test, so no connection outlives it."""
    from app import create_app

    apps = []

    def make(**settings):
        app = create_app(test_config | {"RATELIMIT_ENABLED": True} | settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
