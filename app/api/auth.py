"""Bearer-token authentication of the API.

Only ``Authorization: Bearer <token>`` counts: a browser session cookie is never read
here, so cross-site requests cannot act for a logged-in user and the API needs no CSRF
token.
"""

from __future__ import annotations

from flask import after_this_request, request
from werkzeug.exceptions import HTTPException

from app.accounts.auth import token_touched, user_for_token
from app.accounts.models import User
from app.api.errors import api_abort, check_json_body, handle_domain_error, handle_http_exception
from app.errors import DomainError
from app.extensions import commit_as_written, db

# OpenAPI security requirements: reading works with or without a token.
OPTIONAL_TOKEN = [{}, {"bearerAuth": []}]
TOKEN = [{"bearerAuth": []}]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_USER = "messekalender.api_user"  # the request's token user, looked up once


def token_user() -> User | None:
    """The user behind the request's bearer token; None without an Authorization header.

    A header that is present but not a valid, active token is a 401 (not a silent
    downgrade to anonymous), so clients notice a revoked token.
    """
    if _USER in request.environ:
        return request.environ[_USER]
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
        _keep_touch()
    request.environ[_USER] = user
    return user


def _keep_touch() -> None:
    """Commit the hourly ``last_used_at`` of the token. SQLite: at once (its database-wide
    write lock must not be held from here on). PostgreSQL: with the request's own
    transaction, when the answer is ready (a commit of its own would end the request's
    transaction, and the next one costs the pool another ping); a request that fails
    rolls it back, and the next one records it."""
    if db.session.get_bind().dialect.name == "sqlite":
        commit_as_written()
        return

    @after_this_request
    def commit_touch(response):
        if response.status_code < 400:
            commit_as_written()
        return response


def require_token_for_writes() -> None:
    """Before any write, before its body is read: a valid token (every anonymous write is
    a 401, whatever its body)."""
    if request.method in WRITES and token_user() is None:
        api_abort(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def protect(blueprint) -> None:
    """Give an API blueprint the JSON error handlers, the token check of writes and the
    body check (in this order)."""
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    blueprint.register_error_handler(DomainError, handle_domain_error)
    blueprint.before_request(require_token_for_writes)
    blueprint.before_request(check_json_body)


def editor() -> User:
    """A user who may write events: an organiser or an admin (401/403 otherwise)."""
    user = token_user()
    if user is None:
        api_abort(401)
    if not (user.is_organiser or user.is_admin):
        api_abort(403, "forbidden", "Only organisers can change events.")
    return user
