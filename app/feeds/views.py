"""Feed routes: per district, per industry, all, and one event ("add to my calendar")."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.http import is_resource_modified

from app.calendar import filters
from app.calendar import services as calendar
from app.calendar.ical import REFRESH_INTERVAL, build_calendar
from app.calendar.models import Event
from app.extensions import db
from app.feeds import health
from app.feeds import services as feeds
from app.feeds.qr import qr_svg
from app.reference.codes import AUDIENCES, DISTRICT_CODES, EVENT_TYPES, INDUSTRY_CODES
from app.time import now_utc

bp = Blueprint("feeds", __name__)

CACHE_CONTROL = "public, max-age=900"
FILTER_NAMES = ("district", "industry", "audience", "type", "occupation", "grade")
PREVIEW_SIZE = 10


@bp.app_template_global()
def add_to_calendar_links(event: Event) -> dict[str, str]:
    """The event page's "add to my calendar" links: an .ics file and Google Calendar."""
    page = url_for("calendar.event", event_id=event.id, _external=True)
    return {"ics": url_for("feeds.single_event", event_id=event.id),
            "google": feeds.google_calendar_url(event, page)}


@bp.get("/feeds")
def index():
    """The feed builder: a school picks filters and gets addresses, a QR code, a preview."""
    errors: list[str] = []
    try:
        # The subscription filters only: a subscription has no date range.
        event_filter = filters.EventFilter.from_args(MultiDict(
            [(name, value) for name in FILTER_NAMES for value in request.args.getlist(name)]))
    except filters.FilterError as error:
        errors.append(filters.filter_message(error))
        event_filter = filters.EventFilter()
    url = current_app.config["BASE_URL"].rstrip("/") + subscription_path(event_filter)
    context = {
        "event_filter": event_filter,
        "choices": filters.filter_choices(),
        "audiences": AUDIENCES,
        "event_types": EVENT_TYPES,
        "errors": errors,
        "feed_url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[-1],
        "feed_name": feeds.feed_name(event_filter),
        "qr_code": qr_svg(url, title=_("QR code of the feed address")),
        "preview": feeds.upcoming_feed_events(event_filter, now_utc(), PREVIEW_SIZE),
        "preview_size": PREVIEW_SIZE,
        "refresh_hours": int(REFRESH_INTERVAL.total_seconds() // 3600),
    }
    return render_template("feeds/index.html", **context), (400 if errors else 200)


def subscription_path(event_filter: filters.EventFilter) -> str:
    """The shortest feed address: one district or one industry has a file of its own
    (served statically when published), anything else is the all-feed with filters."""
    args = event_filter.to_args()
    if list(args) == ["district"] and len(event_filter.districts) == 1:
        return url_for("feeds.district", code=event_filter.districts[0])
    if list(args) == ["industry"] and len(event_filter.industries) == 1:
        return url_for("feeds.industry", code=event_filter.industries[0])
    return url_for("feeds.all_events", **args)


def plain(status: int, message: str) -> Response:
    """A short text answer, e.g. a feed request that cannot be served."""
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.get("/feeds/all.ics")
def all_events():
    """Every public event of the region, narrowed by the query's filters."""
    return _feed(filename="messekalender-suedwestfalen.ics")


@bp.get("/feeds/district/<code>.ics")
def district(code: str):
    """One district's events; query filters narrow it further."""
    if code not in DISTRICT_CODES:
        return plain(404, _("There is no district “%(code)s”. Known districts: %(codes)s.",
                             code=code[:20], codes=", ".join(DISTRICT_CODES)))
    return _feed(filename=f"messekalender-{code.lower()}.ics", districts=(code,))


@bp.get("/feeds/industry/<code>.ics")
def industry(code: str):
    """One industry's events; query filters narrow it further."""
    if code not in INDUSTRY_CODES:
        return plain(404, _("There is no industry “%(code)s”. Known industries: %(codes)s.",
                             code=code[:20], codes=", ".join(INDUSTRY_CODES)))
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
                         base_url=current_app.config["BASE_URL"],
                         occupations=feeds.exhibitor_occupations([event.id])).to_ical()
    response = Response(ics, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{event.id}.ics"'
    return response


def requested_filter(**narrowing: tuple[str, ...]) -> filters.EventFilter | Response:
    """The query's filters narrowed to the feed's district or industry, or a plain 400
    that says what is wrong (shared by the iCal and the Atom feeds)."""
    try:
        event_filter = filters.EventFilter.from_args(request.args)
    except filters.FilterError as error:
        return plain(400, error.message)
    for name, codes in narrowing.items():
        chosen = getattr(event_filter, name)
        if chosen and codes[0] not in chosen:
            return plain(400, _("This feed is for %(code)s only; to combine several, use "
                                 "/feeds/all.ics with repeated parameters.", code=codes[0]))
        event_filter = replace(event_filter, **{name: codes})
    return event_filter


def _feed(filename: str, **narrowing: tuple[str, ...]) -> Response:
    event_filter = requested_filter(**narrowing)
    if isinstance(event_filter, Response):
        return event_filter
    now = now_utc()
    base_url = current_app.config["BASE_URL"]
    validator = feeds.feed_validator(event_filter, now, base_url)
    if not is_resource_modified(request.environ, etag=validator.etag,
                                last_modified=validator.last_modified):
        response = Response(status=304)
    else:
        response = Response(feeds.cached_feed(event_filter, now, validator),
                            mimetype="text/calendar")
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(validator.etag)
    if validator.last_modified:
        response.last_modified = validator.last_modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    health.record_request(health.feed_key(event_filter), response, request)
    return response
