"""What the scheduler's ``class-visits`` job does (``app.jobs`` registers it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.calendar.models import Event
from app.extensions import db
from app.visits import notifications, services
from app.visits.codes import ACTIVE_STATUSES
from app.visits.models import ClassVisit


@dataclass(frozen=True)
class Report:
    expired: int
    queued: int


def run(now: datetime) -> Report:
    """Expire holds, settle cancelled fairs, queue reminders; the caller commits.

    Each step is safe to repeat and to run in two processes at once: expiry re-checks
    every registration under its slots' lock, a cancelled fair's classes are settled
    under the lock, and reminders are marked by a conditional UPDATE."""
    expired = services.expire_holds(now)
    events = db.session.execute(
        select(Event).where(Event.status == "cancelled", Event.id.in_(
            select(ClassVisit.event_id).where(ClassVisit.status.in_(ACTIVE_STATUSES))))
        .order_by(Event.id)
    ).scalars().all()
    queued = sum(services.event_cancelled(event, now) for event in events)
    queued += notifications.due_reminders(now)
    return Report(expired=expired, queued=queued)
