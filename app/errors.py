"""Error pages: a friendly page for people, JSON for the API."""

from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db, login_manager


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
        app.logger.exception("database error")
        if wants_json():
            return json_error(503, "database_unavailable", "The database is unavailable.")
        return render_template("errors.html", status=503, message=_page_messages()[503]), 503

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        db.session.rollback()
        if wants_json():
            return json_error(500, "internal_error", "Internal server error.")
        return render_template("errors.html", status=500, message=_page_messages()[500]), 500
