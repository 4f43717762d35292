"""What the layout (base.html) needs on every page, whichever area renders it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.i18n import format_day, format_time
from app.reference.codes import AUDIENCES, EVENT_TYPES, ROLES, STATUSES
from app.time import to_local


def register(app: Flask) -> None:
    app.context_processor(layout_helpers)


def layout_helpers() -> dict:
    """What base.html needs on every page, whichever blueprint renders it."""
    return {
        "has_endpoint": has_endpoint,
        "viewer": viewer(),
        "safe_url": safe_url,
        "event_type_label": Labels(EVENT_TYPES),
        "audience_label": Labels(AUDIENCES),
        "status_label": Labels(STATUSES),
        "moment": moment,
        "roles": ROLES,
    }


class Labels:
    """A code's label in the request's language: translated once per request and code
    (a list of 200 events asks for the same few labels hundreds of times)."""

    def __init__(self, labels: dict) -> None:
        self.labels, self.translated = labels, {}

    def __call__(self, code: str) -> str:
        found = self.translated.get(code)
        if found is None:
            found = self.translated[code] = str(self.labels.get(code, code))
        return found


def has_endpoint(name: str) -> bool:
    """Lets the layout link to pages of areas that may not be installed yet."""
    return name in current_app.view_functions


def viewer():
    """The logged-in user, or None, also when the database is down (error pages)."""
    try:
        return current_user if current_user.is_authenticated else None
    except OperationalError:
        db.session.rollback()
        return None


def safe_url(url: str | None) -> str | None:
    """Only http(s) links leave the site: a typed ``javascript:`` URL must never be a link."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def moment(value: datetime | None, with_time: bool = True) -> str:
    """A stored instant as a short local date (and time) for tables."""
    if value is None:
        return ""
    day = format_day(to_local(value).date(), "medium")
    return f"{day}, {format_time(value)}" if with_time else day
