"""What the layout (base.html) needs on every page, whichever area renders it."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

import pyphen
from flask import Flask, current_app
from flask_babel import get_locale, gettext
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.forms import invalid_fields
from app.i18n import format_day, format_time
from app.reference.codes import AUDIENCES, EVENT_TYPES, ROLES, STATUSES
from app.time import to_local


def register(app: Flask) -> None:
    app.context_processor(layout_helpers)
    app.add_template_filter(hyphenate)
    app.add_template_global(invalid_fields)  # for the forms macros, imported without context


def layout_helpers() -> dict:
    """What base.html needs on every page, whichever blueprint renders it."""
    return {
        "has_endpoint": has_endpoint,
        "viewer": viewer(),
        "safe_url": safe_url,
        "event_type_label": Labels(EVENT_TYPES),
        "audience_label": AudienceLabels(AUDIENCES),
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


class AudienceLabels(Labels):
    """Audiences' labels, and the badge of an audience: a pupils audience with its grades
    ("Schüler:innen (Klasse 8–10)"), also once per request and kind."""

    def __init__(self, labels: dict) -> None:
        super().__init__(labels)
        self.badges: dict[tuple, str] = {}

    def badge(self, audience) -> str:
        key = (audience.code, audience.grade_from, audience.grade_to)
        found = self.badges.get(key)
        if found is None:
            found = self(audience.code)
            if audience.code == "pupils":
                found += f" ({grades_text(audience.grade_from, audience.grade_to)})"
            self.badges[key] = found
        return found


def grades_text(first: int | None, last: int | None) -> str:
    """A pupils audience's grades; without a range the event is for every grade."""
    if first and last:
        return gettext("grades %(first)s–%(last)s", first=first, last=last)
    if first:
        return gettext("from grade %(first)s", first=first)
    if last:
        return gettext("up to grade %(last)s", last=last)
    return gettext("all grades")


# Words this long get soft hyphens where the language's rules allow a break.
LONG_WORD = re.compile(r"\w{12,}")
HYPHENATION = {"de": "de_DE", "en": "en_GB"}


@cache
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=HYPHENATION.get(language, "de_DE"))


def hyphenate(text: str | None) -> str:
    """Soft hyphens in long words for narrow cells (the month grid), so that a title breaks
    as "Ausbildungs-messe", not "Ausbildungsmess e"; browsers on Linux often lack the
    dictionaries CSS ``hyphens: auto`` needs. Escaping still applies to the result."""
    if not text:
        return ""
    hyphenator = _hyphenator(str(get_locale() or "de")[:2])
    return LONG_WORD.sub(lambda word: hyphenator.inserted(word.group(0), hyphen="\u00ad"), text)


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
