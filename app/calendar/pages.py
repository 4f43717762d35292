"""What the organisers' pages of every area ask before they show or change an event."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from app.accounts.models import User
from app.calendar.models import Event
from app.calendar.services import can_view
from app.extensions import db


def event_to_change(event_id: int, may_change: Callable[[User, Event], bool]) -> Event:
    """The event, if the current user ``may_change`` it: 403 for anyone who is neither an
    organiser nor an admin, 404 when they may not even see it (nobody learns that a draft
    exists), 403 when they see it but may not change it."""
    if not (current_user.is_organiser or current_user.is_admin):
        abort(403)
    event = db.get_or_404(Event, event_id)
    if not can_view(current_user, event):
        abort(404)
    if not may_change(current_user, event):
        abort(403)
    return event
