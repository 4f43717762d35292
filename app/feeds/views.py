"""Feed routes: per district, per industry, all, and one event ("add to my calendar")."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request, url_for
from werkzeug.http import is_resource_modified

from app.calendar import services as calendar
from app.calendar.codes import DISTRICT_CODES, INDUSTRY_CODES
from app.calendar.models import Event
from app.extensions import db
from app.feeds import services as feeds
from app.feeds.ical import build_calendar
from app.time import now_utc

bp = Blueprint("feeds", __name__)

CACHE_CONTROL = "public, max-age=900"


@bp.app_template_global()
def add_to_calendar_links(event: Event) -> dict[str, str]:
    """The event page's "add to my calendar" links: an .ics file and Google Calendar."""
    page = url_for("calendar.event", event_id=event.id, _external=True)
    return {"ics": url_for("feeds.single_event", event_id=event.id),
            "google": feeds.google_calendar_url(event, page)}


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.get("/feeds/all.ics")
def all_events():
    """Every public event of the region, narrowed by the query's filters."""
    return _feed(filename="messekalender-suedwestfalen.ics")


@bp.get("/feeds/district/<code>.ics")
def district(code: str):
    """One district's events; query filters narrow it further."""
    if code not in DISTRICT_CODES:
        return _plain(404, f"There is no district {code[:20]!r}. "
                      f"Known districts: {', '.join(DISTRICT_CODES)}.")
    return _feed(filename=f"messekalender-{code.lower()}.ics", districts=(code,))


@bp.get("/feeds/industry/<code>.ics")
def industry(code: str):
    """One industry's events; query filters narrow it further."""
    if code not in INDUSTRY_CODES:
        return _plain(404, f"There is no industry {code[:20]!r}. "
                      f"Known industries: {', '.join(INDUSTRY_CODES)}.")
    return _feed(filename=f"messekalender-{code.lower()}.ics", industries=(code,))


@bp.get("/events/<int:event_id>.ics")
def single_event(event_id: int):
    """One public event as a calendar file, to add it to one's own calendar."""
    event = db.session.execute(
        calendar.events_query().where(Event.id == event_id)
    ).scalar_one_or_none()
    if event is None or not event.is_public:
        abort(404)
    ics = build_calendar([event], name=event.title, description=event.title,
                         base_url=current_app.config["BASE_URL"]).to_ical()
    response = Response(ics, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    return response


def _feed(filename: str, **narrowing: tuple[str, ...]) -> Response:
    try:
        event_filter = calendar.EventFilter.from_args(request.args)
    except calendar.FilterError as error:
        return _plain(400, error.message)
    for name, codes in narrowing.items():
        chosen = getattr(event_filter, name)
        if chosen and codes[0] not in chosen:
            return _plain(400, f"This feed is for {codes[0]} only; to combine several, use "
                          f"/feeds/all.ics with repeated parameters.")
        event_filter = replace(event_filter, **{name: codes})
    now = now_utc()
    base_url = current_app.config["BASE_URL"]
    validator = feeds.feed_validator(event_filter, now, base_url)
    if not is_resource_modified(request.environ, etag=validator.etag,
                                last_modified=validator.last_modified):
        response = Response(status=304)
    else:
        response = Response(feeds.render_feed(event_filter, now), mimetype="text/calendar")
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(validator.etag)
    if validator.last_modified:
        response.last_modified = validator.last_modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
