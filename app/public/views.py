"""The public calendar pages (the ``calendar`` blueprint): the list and month views, the
event page with its exhibitors, the language switch."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import groupby

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.booths import services as booths
from app.calendar.filters import (
    EventFilter,
    FilterError,
    filter_message,
    within,
)
from app.calendar.models import Event, Venue
from app.calendar.services import can_view
from app.extensions import db
from app.feeds.services import data_version
from app.i18n import current_language
from app.public.fragments import calendar_choices, event_facts, fragment_key, listed
from app.redirects import is_safe_next
from app.reference.codes import AUDIENCES, EVENT_TYPES
from app.templating import viewer
from app.time import local_today, now_utc
from app.visits import services as visits

bp = Blueprint("calendar", __name__)

VIEWS = ("list", "month")
# The list view is a reading list, not an export: beyond this, filters are the better tool.
LIST_LIMIT = 200
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")


def _parse_month(raw: str | None) -> date | None:
    match = MONTH_PATTERN.fullmatch((raw or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


@bp.get("/")
def index():
    """The calendar: upcoming events as a list (default) or one month as a grid."""
    errors: list[str] = []
    view = request.args.get("view", "list")
    if view not in VIEWS:
        view = "list"
    try:
        event_filter = EventFilter.from_args(request.args)
    except FilterError as error:
        errors.append(filter_message(error))
        event_filter = EventFilter()
    today = local_today()
    month = None
    if view == "month":
        month = _parse_month(request.args.get("month"))
        if month is None and request.args.get("month"):
            errors.append(_("Please choose a month like 2027-03."))
        month = month or (event_filter.date_from or today).replace(day=1)
    language = current_language()
    version = data_version()
    context = {
        "view": view,
        "event_filter": event_filter,
        "filter_args": event_filter.to_args(),
        "choices": calendar_choices(language, version),
        "errors": errors,
        "today": today,
        "event_types": EVENT_TYPES,
        "audiences": AUDIENCES,
        "month": month,
        # Rendered lists are cached (app.public.fragments): the events are read only
        # when the template renders the list afresh.
        "fragment": fragment_key(f"calendar-{view}", event_filter, language, today, version,
                                 month=month.isoformat() if month else None),
        "results": ((lambda: _month_context(month, event_filter)) if view == "month"
                    else (lambda: _list_context(event_filter, today))),
    }
    return render_template("calendar/index.html", **context), (400 if errors else 200)


def _list_context(event_filter: EventFilter, today: date) -> dict:
    """Upcoming events (from today unless the filter says otherwise), grouped by month."""
    starting = event_filter if event_filter.date_from else replace(event_filter, date_from=today)
    events = list(db.session.execute(listed(starting).limit(LIST_LIMIT + 1)).scalars())
    truncated = len(events) > LIST_LIMIT
    events = events[:LIST_LIMIT]
    groups = [(month, list(items))
              for month, items in groupby(events, key=lambda e: _first_day(e).replace(day=1))]
    return {"groups": groups, "event_count": len(events), "truncated": truncated,
            "list_from": starting.date_from}


def _first_day(event: Event) -> date:
    return event.first_day or event.local_start.date()


@dataclass
class Day:
    day: date
    in_month: bool
    events: list[Event]


def _month_context(month: date, event_filter: EventFilter) -> dict:
    """A Monday-first grid of the month; loads only the events touching the month."""
    last = month.replace(day=monthrange(month.year, month.month)[1])
    month_filter = replace(event_filter, date_from=None, date_to=None)
    # The grid shows title, time and place only.
    events = db.session.execute(within(listed(month_filter, audiences=False), month,
                                       last)).scalars()
    by_day: dict[date, list[Event]] = {}
    for event in events:
        for day in event.local_days:
            if month <= day <= last:
                by_day.setdefault(day, []).append(event)
    start = month - timedelta(days=month.weekday())
    end = last + timedelta(days=6 - last.weekday())
    days = [Day(start + timedelta(days=n), (start + timedelta(days=n)).month == month.month,
                by_day.get(start + timedelta(days=n), []))
            for n in range((end - start).days + 1)]
    previous = (month - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return {"month": month, "days": days, "previous_month": previous,
            "next_month": following, "event_count": sum(len(v) for v in by_day.values())}


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    """Everything a school needs to know about one event; drafts stay hidden (404)."""
    found = db.session.execute(
        select(Event).where(Event.id == event_id).options(
            joinedload(Event.venue).joinedload(Venue.municipality),
            joinedload(Event.organisation))
    ).scalar_one_or_none()
    if found is None or not can_view(viewer(), found):
        abort(404)
    setup = booths.setup_of(found)  # read once: a fair without one would be asked again
    takes_exhibitors = setup is not None and setup.takes_exhibitors
    return render_template(
        "calendar/event.html", event=found, facts=event_facts(found, current_language()),
        exhibitors=booths.exhibitors(found) if takes_exhibitors else [],
        viewer_booking=_own_booking(found) if takes_exhibitors else None,
        class_visits=visits.public_offer(found, now_utc()),
        booth_rules=booths.allocation_rules(setup))


def _own_booking(event: Event):
    """For a company user at a fair that takes exhibitors: its active booking, else
    "book"; None for everybody else."""
    user = viewer()
    if user is None or user.role != "company" or user.company is None:
        return None
    return booths.active_booking(user.company, event) or "book"


def safe_next(target: str | None) -> str:
    """A same-site relative path to go back to; anything else (``//evil``, URLs) → ``/``."""
    return target if is_safe_next(target) else url_for("calendar.index")


@bp.post("/language")
def set_language():
    """Switch the UI language; logged-in users keep it as their preference."""
    language = request.form.get("lang", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = language
    user = viewer()
    if user is not None and user.language != language:
        user.language = language
        db.session.commit()
    return redirect(safe_next(request.form.get("next")), code=303)
