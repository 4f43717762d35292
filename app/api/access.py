"""What every API module needs: answers in English, and the event or organisation a token
may see or act for (the same 404 for what it may not see as for what does not exist)."""

from __future__ import annotations

from functools import wraps

from flask_babel import force_locale

from app.accounts.models import Organisation, User
from app.api.errors import api_abort
from app.api.schemas import MAX_ID
from app.calendar import services as calendar
from app.calendar.models import Event
from app.extensions import db


def in_english(view):
    """The API speaks English: its codes and field names are English, and messages from
    the services should not switch language with a browser session's preference."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale("en"):
            return view(*args, **kwargs)

    return wrapper


def visible_event(event_id: int, user: User | None) -> Event:
    """The event if ``user`` may see it; the same 404 otherwise (no existence leak)."""
    event = None
    if 1 <= event_id <= MAX_ID:
        event = db.session.execute(
            calendar.events_query().where(Event.id == event_id)
        ).scalar_one_or_none()
    if event is None or not calendar.can_view(user, event):
        api_abort(404, "not_found", "No such event.")
    return event


def editable_event(event_id: int, user: User) -> Event:
    event = visible_event(event_id, user)
    if not calendar.can_edit(user, event):
        api_abort(403, "forbidden", "This event belongs to another organisation.")
    return event


def organisation_for(user: User, organisation_id: int | None) -> Organisation:
    """Organisers create events of their own organisation; admins name one."""
    if user.is_organiser:
        if organisation_id not in (None, user.organisation_id):
            api_abort(403, "forbidden", "You can only create events of your organisation.")
        return user.organisation
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        api_abort(422, fields={"organisation_id": ["Admins must name an existing "
                                                   "organisation."]})
    return organisation
