"""Bearer-token authentication of the API.

Only ``Authorization: Bearer <token>`` counts: a browser session cookie is never read
here, so cross-site requests cannot act for a logged-in user and the API needs no CSRF
token.
"""

from __future__ import annotations

from flask import request

from app.accounts.auth import token_touched, user_for_token
from app.accounts.models import User
from app.api.errors import api_abort
from app.extensions import commit_as_written

# OpenAPI security requirements: reading works with or without a token.
OPTIONAL_TOKEN = [{}, {"bearerAuth": []}]
TOKEN = [{"bearerAuth": []}]


def token_user() -> User | None:
    """The user behind the request's bearer token; None without an Authorization header.

    A header that is present but not a valid, active token is a 401 (not a silent
    downgrade to anonymous), so clients notice a revoked token.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        api_abort(401, "unauthorized", "Send 'Authorization: Bearer <token>'.",
                  headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_request"'})
    user = user_for_token(token.strip())
    if user is None:
        api_abort(401, "invalid_token", "The token is unknown, revoked or its user inactive.",
                  headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    if token_touched():
        commit_as_written()  # keep last_used_at even if the request fails later
    return user


def editor() -> User:
    """A user who may write events: an organiser or an admin (401/403 otherwise)."""
    user = token_user()
    if user is None:
        api_abort(401)
    if not (user.is_organiser or user.is_admin):
        api_abort(403, "forbidden", "Only organisers can change events.")
    return user
