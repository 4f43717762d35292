"""The calendar for other websites' iframes (``/embed``): the list view, compact, without
the site's header; the only page that other sites may frame (``security.allow_framing``).

Chambers, towns and schools paste the ``<iframe>`` that the feed builder writes; the
query parameters are the calendar's filters (``EventFilter``), plus ``limit`` (how many
events) and ``lang`` (``de`` or ``en``: the embedding page's language, not the
visitor's session, decides).
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.calendar.filters import EventFilter, FilterError, filter_message
from app.feeds.services import data_version
from app.public.fragments import calendar_choices, fragment_key, upcoming_events
from app.security import allow_framing
from app.time import local_today

bp = Blueprint("embed", __name__)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The height the snippet gives the iframe; the embedding site may change it.
SNIPPET_HEIGHT = 600


def _limit(raw: str | None) -> int:
    """``limit``: a whole number from 1 to MAX_LIMIT (FilterError otherwise)."""
    if raw is None or not raw.strip():
        return DEFAULT_LIMIT
    if not raw.strip().isdigit() or not 1 <= int(raw.strip()) <= MAX_LIMIT:
        raise FilterError(f"'limit' must be a number from 1 to {MAX_LIMIT}.", field="limit")
    return int(raw.strip())


@bp.get("/embed")
@allow_framing
def index():
    """The next events for the filters, as a compact list with links to this site."""
    language = request.args.get("lang", "de")
    if language not in current_app.config["LANGUAGES"]:
        language = "de"
    with force_locale(language):
        errors: list[str] = []
        try:
            event_filter = EventFilter.from_args(request.args)
            limit = _limit(request.args.get("limit"))
        except FilterError as error:
            errors.append(_("The number of events must be between 1 and %(max)s.",
                            max=MAX_LIMIT) if error.field == "limit" else filter_message(error))
            event_filter, limit = EventFilter(), DEFAULT_LIMIT
        today = local_today()
        version = data_version()
        key = fragment_key("embed", event_filter, language, today, version, limit=limit)
        context = {
            "event_filter": event_filter, "errors": errors, "language": language,
            "fragment_key": key, "choices": calendar_choices(language, version),
            "events": (lambda: upcoming_events(event_filter, today, limit)),
            "calendar_url": url_for("calendar.index", **event_filter.to_args()),
        }
        page = render_template("public/embed.html", **context)
    return page, (400 if errors else 200)


def embed_url(event_filter: EventFilter, language: str = "de") -> str:
    """The full address of the embedded calendar for ``event_filter``."""
    args = list(_pairs(event_filter.to_args()))
    if language != "de":
        args.append(("lang", language))
    base = current_app.config["BASE_URL"].rstrip("/") + url_for("embed.index")
    return f"{base}?{urlencode(args)}" if args else base


def _pairs(args: dict):
    for name, value in args.items():
        for item in (value if isinstance(value, list) else [value]):
            yield name, item


@bp.app_template_global()
def embed_snippet(event_filter: EventFilter, language: str = "de") -> str:
    """The ``<iframe>`` code for other websites, with the chosen filters (plain text:
    the template escapes it once more for the text field)."""
    title = _("Training fairs and recruiting events in Südwestfalen")
    return (f'<iframe src="{escape(embed_url(event_filter, language))}" '
            f'title="{escape(title)}" width="100%" height="{SNIPPET_HEIGHT}" '
            f'style="border:0;max-width:100%" loading="lazy"></iframe>')
