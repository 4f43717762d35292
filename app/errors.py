"""The one domain error every area raises, and the error pages: a friendly page for
people, JSON for the API."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db, login_manager


class DomainError(Exception):
    """A rule of the domain refused an action; every area raises this shape (or a subclass
    that sets ``code`` and ``status``).

    ``errors`` are (field, message) pairs, field None for the action as a whole, with
    messages for people in the current language; ``code`` is stable for integrators and
    ``status`` is what the API answers. ``forms.put_errors`` places them on a form; the
    API turns them into its error JSON in one handler (``api/errors.py``).
    """

    code = "validation_failed"
    status = 422

    def __init__(self, errors: str | Sequence[tuple[str | None, str]], *,
                 field: str | None = None, code: str | None = None, status: int | None = None):
        """``errors`` is one message (for ``field``) or a list of (field, message) pairs."""
        pairs = list(errors) if isinstance(errors, list | tuple) else [(field, errors)]
        self.errors: list[tuple[str | None, str]] = [(name, str(text)) for name, text in pairs]
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__("; ".join(text for _name, text in self.errors))

    @property
    def message(self) -> str:
        """The first message: enough where only one thing can be wrong."""
        return self.errors[0][1] if self.errors else ""

    @property
    def field(self) -> str | None:
        return self.errors[0][0] if self.errors else None


# Seconds a client should wait before it tries again while the database is away.
RETRY_AFTER_OUTAGE = 30


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


def _page_messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check your input."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist or is not public."),
        405: _("This address does not accept this kind of request."),
        413: _("The upload is too large."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The calendar is briefly unavailable. Please try again in a few minutes."),
    }


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = _("Your form has expired or was not sent from this site. Please try again.")
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            return json_error(status, error.name.lower().replace(" ", "_"), error.description)
        message = _page_messages().get(status, error.description)
        return render_template("errors.html", status=status, message=message), status

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        db.session.rollback()
        # The page must not ask the database who is logged in (it would fail again).
        g._login_user = login_manager.anonymous_user()
        app.extensions["messekalender.outages"].failure(
            app.logger, f"{request.method} {request.path}: {type(error.orig).__name__}")
        headers = {"Retry-After": str(RETRY_AFTER_OUTAGE)}
        if wants_json():
            body, status = json_error(503, "database_unavailable",
                                      "The database is unavailable.")
            return body, status, headers
        return (render_template("errors.html", status=503, message=_page_messages()[503]),
                503, headers)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        db.session.rollback()
        if wants_json():
            return json_error(500, "internal_error", "Internal server error.")
        return render_template("errors.html", status=500, message=_page_messages()[500]), 500
