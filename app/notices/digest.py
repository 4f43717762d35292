"""The weekly digest: for every confirmed subscription, the new, changed and cancelled
events of its selection since its last digest; no mail when nothing changed.

Built for thousands of subscriptions: the events that changed in the window are loaded
once, indexed once (``FilterIndex``, the Python twin of the filters' SQL), and every
selection costs a few set operations; descriptions and event blocks are shared between
mails, which go into the outbox in a few statements. Safe to run twice, also at once: a
digest's outbox key names the subscription and the week, and a subscription's window only
moves on when its digest was queued.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.calendar.filters import FilterIndex, presenting_events
from app.calendar.models import Event, EventChange
from app.calendar.services import PUBLIC_STATUSES, VISIBLE_FIELDS, events_query
from app.extensions import db
from app.notices import mails
from app.notices.models import NoticeSubscription
from app.notices.services import (
    confirmed_subscriptions,
    outbox_prefix,
    parse_selections,
    serialise_runs,
    unsubscribe_token,
)
from app.outbox.services import Queued, queue_many
from app.time import as_utc, to_local

# A digest looks back at most this far (after a long pause, the feeds hold the rest).
MAX_WINDOW = timedelta(days=14)
# What a digest says changed, by the fields of the event's history.
CHANGE_KINDS = {
    "date": {"starts_at", "ends_at", "all_day"},
    "place": {"venue_id"},
    "title": {"title"},
}
DETAILS = set(VISIBLE_FIELDS) - set().union(*CHANGE_KINDS.values()) - {"status"}
_UPDATE_CHUNK = 500


@dataclass
class DigestReport:
    queued: int = 0  # digests put into the outbox
    quiet: int = 0  # subscriptions with nothing to tell (no mail)
    already: int = 0  # this week's digest was queued before (another run)
    unreadable: int = 0  # a selection that no longer parses (e.g. a removed occupation)


def week_key(now: datetime) -> str:
    year, week, _day = to_local(now).isocalendar()
    return f"{year}-W{week:02d}"


def send_digests(now: datetime) -> DigestReport:
    """Queue this week's digests; subscriptions with nothing new get none."""
    report = DigestReport()
    serialise_runs()
    subscriptions = confirmed_subscriptions()
    if not subscriptions:
        return report
    since = {sub.id: max(as_utc(sub.digest_since or sub.confirmed_at), now - MAX_WINDOW)
             for sub in subscriptions}
    events = _changed_events(min(since.values()), now)
    changes = _visible_changes(list(events), min(since.values()))
    selections = parse_selections({sub.selection for sub in subscriptions})
    occupations = {o for f in selections.values() if f for o in f.occupations}
    index = FilterIndex(events.values(),
                        presenting_events(occupations, list(events)) if occupations and events
                        else {})
    descriptions, cache = mails.Descriptions(), mails.MailCache()
    week = week_key(now)
    moved_on, outgoing = [], {}
    for sub in subscriptions:
        event_filter = selections[sub.selection]
        if event_filter is None:
            report.unreadable += 1
            continue
        entries = [entry for event_id in index.matching(event_filter)
                   if (entry := _entry(events[event_id], since[sub.id], changes[event_id]))]
        if not entries:
            report.quiet += 1
            moved_on.append(sub.id)
            continue
        entries.sort(key=lambda entry: (entry.event.starts_at, entry.event.id))
        mail = mails.digest(sub, descriptions.of(event_filter, sub.language), entries,
                            unsubscribe_token(sub), cache=cache)
        key = f"{outbox_prefix(sub)}digest:{week}"
        outgoing[key] = (sub.id, Queued(key, sub.email, mail.subject, mail.body,
                                        mail.language, mail.headers))
    messages = [message for _sub, message in outgoing.values()]
    for start in range(0, len(messages), _UPDATE_CHUNK):
        new = queue_many(messages[start:start + _UPDATE_CHUNK], now)
        for key in (message.key for message in messages[start:start + _UPDATE_CHUNK]):
            if key in new:
                report.queued += 1
                moved_on.append(outgoing[key][0])
            else:
                report.already += 1
    for start in range(0, len(moved_on), _UPDATE_CHUNK):
        db.session.execute(
            update(NoticeSubscription)
            .where(NoticeSubscription.id.in_(moved_on[start:start + _UPDATE_CHUNK]))
            .values(digest_since=now).execution_options(synchronize_session=False))
    db.session.flush()
    return report


def _changed_events(earliest: datetime, now: datetime) -> dict[int, Event]:
    """Public events not yet over that changed since ``earliest`` (any change moves
    ``updated_at``), with what the mails show, in one query per relation."""
    query = events_query().where(
        Event.status.in_(PUBLIC_STATUSES), Event.published_at.is_not(None),
        Event.updated_at >= earliest, Event.ends_at > now)
    return {event.id: event for event in db.session.execute(query).scalars()}


def _visible_changes(event_ids: list[int], earliest: datetime
                     ) -> dict[int, list[tuple[datetime, set[str]]]]:
    """Event id → (when, kinds) of each change a subscriber sees, since ``earliest``."""
    found: dict[int, list[tuple[datetime, set[str]]]] = defaultdict(list)
    for start in range(0, len(event_ids), _UPDATE_CHUNK):
        for event_id, at, fields in db.session.execute(
            select(EventChange.event_id, EventChange.at, EventChange.changes).where(
                EventChange.event_id.in_(event_ids[start:start + _UPDATE_CHUNK]),
                EventChange.action == "updated", EventChange.at >= earliest)
        ).all():
            kinds = {kind for kind, names in CHANGE_KINDS.items() if names & set(fields)}
            if DETAILS & set(fields):
                kinds.add("details")
            if kinds:
                found[event_id].append((as_utc(at), kinds))
    return found


def _entry(event: Event, since: datetime, changes: list[tuple[datetime, set[str]]]
           ) -> mails.DigestEntry | None:
    """What the digest says about ``event`` for a window from ``since``: new (published
    since), cancelled (after subscribers saw it), changed (seen before, changed since)."""
    published = as_utc(event.published_at)
    if event.status == "cancelled":
        cancelled = event.cancelled_at and as_utc(event.cancelled_at) >= since
        return mails.DigestEntry("cancelled", event) if cancelled and published < since else None
    if published >= since:
        return mails.DigestEntry("new", event)
    kinds = set().union(*(kinds for at, kinds in changes if at >= since))
    if not kinds:
        return None
    order = ("date", "place", "title", "details")
    return mails.DigestEntry("changed", event, tuple(kind for kind in order if kind in kinds))
