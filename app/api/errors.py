"""Every API error as ``{"error": {"code", "message", "fields"?}}`` with a 4xx status.

The handlers are registered on the API blueprints, so they win over the app's page
handlers for everything raised inside the API (including flask-smorest's 422 validation
errors and 413 for oversized bodies). Unmatched URLs under ``/api/`` get the same shape
from ``app.errors``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus

from flask import Response, current_app, jsonify, request
from flask_smorest import abort
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.extensions import db
from app.versions import VersionConflict

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    412: "precondition_failed",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}
MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid API token is needed: send 'Authorization: Bearer <token>'.",
    403: "Your token does not allow this.",
    404: "Not found.",
    405: "This URL does not accept this method.",
    413: "The request body is too large.",
    412: "The record was changed since your copy; nothing was saved. Read it again and "
         "repeat the change with its ETag in If-Match.",
    415: "Send the request body as JSON (Content-Type: application/json).",
    422: "The input is not valid; see 'fields'.",
    429: "Too many requests; wait for the seconds in the Retry-After header, then retry.",
    500: "Internal server error.",
}
# Service field names → the API's field names.
FIELD_NAMES = {
    "event_type": "type",
    "starts_at": "start",
    "ends_at": "end",
    "grade_from": "audiences",
    "grade_to": "audiences",
    "venue_id": "venue_id",
}
WWW_AUTHENTICATE = 'Bearer realm="api"'


def api_abort(status: int, code: str | None = None, message: str | None = None, *,
              fields: Mapping[str, list[str]] | None = None,
              headers: Mapping[str, str] | None = None):
    """Stop the request with an API error (raises)."""
    abort(status, error_code=code, message=message, fields=dict(fields or {}),
          headers=dict(headers or {}))


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"audiences.0.code": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # "_schema" is marshmallow's key for errors of the whole object.
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for inner, texts in flatten(value, name).items():
                flat.setdefault(inner, []).extend(texts)
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, Mapping | list | tuple):
                for inner, texts in flatten(item, prefix).items():
                    flat.setdefault(inner, []).extend(texts)
            else:
                flat.setdefault(prefix or "body", []).append(str(item))
    else:
        flat.setdefault(prefix or "body", []).append(str(messages))
    return flat


def _validation_fields(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {...}}); clients want field names."""
    if isinstance(messages, Mapping) and set(messages) <= {"json", "query", "querystring",
                                                           "view_args", "headers"}:
        flat: dict[str, list[str]] = {}
        for location, inner in messages.items():
            body = "body" if location == "json" else location
            for name, texts in flatten(inner).items():
                key = body if name == "body" else name
                flat.setdefault(key, []).extend(texts)
        return flat
    return flatten(messages)


def error_response(status: int, code: str | None = None, message: str | None = None,
                   fields: Mapping[str, list[str]] | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    body: dict = {"code": code or CODES.get(status, "error"),
                  "message": message or MESSAGES.get(status, "Error.")}
    if fields:
        body["fields"] = dict(fields)
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Turn any HTTP error inside the API (ours, webargs', werkzeug's) into the JSON shape."""
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = data.get("fields") or {}
    if not fields and "messages" in data:
        fields = _validation_fields(data["messages"])
    message = data.get("message")
    if status >= 500:
        current_app.logger.error("API error %s on %s %s", status, request.method, request.path)
    return error_response(status, data.get("error_code"), message, fields, data.get("headers"))


def handle_domain_error(error: DomainError) -> Response:
    """A rule of the domain refused the request, in any area: its status and stable code;
    for invalid input (422) the fields, named as in the API. Nothing is kept."""
    db.session.rollback()
    if isinstance(error, VersionConflict):  # If-Match held until a save racing it won
        return error_response(412, headers={"ETag": f'"v{error.current}"'})
    fields: dict[str, list[str]] = {}
    if error.status == 422:
        for name, message in error.errors:
            fields.setdefault(FIELD_NAMES.get(name, name) if name else "body", []).append(message)
    message = error.message if len(error.errors) == 1 else MESSAGES.get(error.status)
    return error_response(error.status, error.code, message, fields)


def check_json_body() -> None:
    """Before a write: the body, if any, must be JSON that parses (also when deeply nested,
    which would otherwise end in a RecursionError and a 500)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    data = request.get_data(cache=True)  # raises 413 beyond MAX_CONTENT_LENGTH
    if not data.strip():
        return
    if not request.is_json:
        api_abort(415)
    try:
        json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        api_abort(400, "invalid_json", "The request body is not valid JSON (UTF-8).")


def documented_errors(blueprint, *statuses: int):
    """Document the error responses an operation really returns (all as ErrorSchema)."""

    def decorate(view):
        for status in statuses:
            view = blueprint.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate
