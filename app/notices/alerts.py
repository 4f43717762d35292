"""Immediate notices: an event of a subscriber's selection in the next 14 days is
cancelled or moves (another date or time, another place).

The events' history (``event_changes``) is the source, whichever way the change came
(pages, API, CLI): each run reads the entries after the last one it has finished with
(``NoticeProgress``). An entry younger than ``SETTLE`` is read again on the next run, as an
older transaction may still commit an entry with a smaller id; the outbox key (the
subscription and the history entry) makes the second reading queue nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.calendar.filters import FilterIndex, presenting_events
from app.calendar.models import Event, EventChange, Venue
from app.extensions import db
from app.notices import mails
from app.notices.models import NoticeProgress
from app.notices.services import (
    confirmed_subscriptions,
    outbox_prefix,
    parse_selections,
    serialise_runs,
    unsubscribe_token,
)
from app.outbox.services import queue
from app.time import as_utc

SOON = timedelta(days=14)
# An older change is no news any more (e.g. the scheduler was stopped for days).
STALE = timedelta(days=1)
SETTLE = timedelta(minutes=5)
SCHEDULE_FIELDS = ("starts_at", "ends_at", "all_day")


def send_alerts(now: datetime) -> int:
    """Queue a notice per subscriber for each recent cancellation or move; returns how
    many were queued. The first run ever starts from the present."""
    serialise_runs()
    progress = db.session.get(NoticeProgress, 1)
    if progress is None:
        _start(now)
        return 0
    rows = db.session.execute(
        select(EventChange).where(EventChange.id > progress.last_change_id,
                                  EventChange.action.in_(("updated", "cancelled")))
        .order_by(EventChange.id)
    ).scalars().all()
    if not rows:
        return 0
    young = [row.id for row in rows if as_utc(row.at) > now - SETTLE]
    done = min(young) - 1 if young else rows[-1].id
    progress.last_change_id = max(progress.last_change_id, done)
    alerts = [(row, alert) for row in rows
              if as_utc(row.at) >= now - STALE and (alert := _alert(row, now))]
    queued = _queue(alerts, now) if alerts else 0
    db.session.flush()
    return queued


def _start(now: datetime) -> None:
    last = db.session.execute(select(func.max(EventChange.id))).scalar() or 0
    try:
        with db.session.begin_nested():
            db.session.add(NoticeProgress(id=1, last_change_id=last))
    except IntegrityError:
        pass  # another run started it at the same moment


def _soon(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    return as_utc(starts_at) < now + SOON and as_utc(ends_at) > now


def _alert(change: EventChange, now: datetime) -> mails.Alert | None:
    """The notice an entry of the history calls for, or None."""
    event = change.event
    if event.published_at is None or as_utc(event.published_at) > as_utc(change.at):
        return None  # subscribers never saw it before this change
    if change.action == "cancelled":
        was = (change.changes.get("status") or [None])[0]
        if was != "published" or not _soon(event.starts_at, event.ends_at, now):
            return None
        return mails.Alert(event)
    fields = change.changes
    moved = any(name in fields for name in SCHEDULE_FIELDS)
    if event.status != "published" or not (moved or "venue_id" in fields):
        return None  # a later cancellation has a notice of its own
    before = mails.Schedule(
        all_day=_old(fields, "all_day", event.all_day),
        starts_at=_old_time(fields, "starts_at", event.starts_at),
        ends_at=_old_time(fields, "ends_at", event.ends_at))
    if not (_soon(before.starts_at, before.ends_at, now)
            or _soon(event.starts_at, event.ends_at, now)):
        return None
    venue_from = None
    if "venue_id" in fields and fields["venue_id"][0] is not None:
        venue_from = db.session.get(Venue, fields["venue_id"][0])
    return mails.Alert(event, before if moved else None, venue_from)


def _old(fields: dict, name: str, current):
    return fields[name][0] if name in fields else current


def _old_time(fields: dict, name: str, current: datetime) -> datetime:
    value = _old(fields, name, None)
    return as_utc(datetime.fromisoformat(value)) if value else as_utc(current)


def _queue(alerts: list[tuple[EventChange, mails.Alert]], now: datetime) -> int:
    """One mail per matching subscription and history entry."""
    subscriptions = confirmed_subscriptions()
    selections = parse_selections({sub.selection for sub in subscriptions})
    events: dict[int, Event] = {alert.event.id: alert.event for _change, alert in alerts}
    occupations = {o for f in selections.values() if f for o in f.occupations}
    index = FilterIndex(events.values(), presenting_events(occupations, list(events))
                        if occupations else {})
    matching = {selection: index.matching(f) for selection, f in selections.items() if f}
    descriptions = mails.Descriptions()
    queued = 0
    for change, alert in alerts:
        for sub in subscriptions:
            if (as_utc(sub.confirmed_at) > as_utc(change.at)
                    or alert.event.id not in matching.get(sub.selection, ())):
                continue
            words = descriptions.of(selections[sub.selection], sub.language)
            mail = mails.alert(sub, words, alert, unsubscribe_token(sub))
            queued += queue(f"{outbox_prefix(sub)}alert:{change.id}", sub.email, mail.subject,
                            mail.body, now, language=mail.language, headers=mail.headers)
    return queued
