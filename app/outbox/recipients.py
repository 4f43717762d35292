"""Who gets a mail and the links it carries: the shape every area that queues mail shares,
so that they agree on recipients, languages and outbox keys."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Recipient:
    """One address; ``key`` tells recipients apart in outbox keys (``user12``, ``contact``)."""

    key: str
    email: str
    language: str


def absolute_url(path: str) -> str:
    """A link for a mail (no request there): ``BASE_URL`` and the path."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/{path.lstrip('/')}"
