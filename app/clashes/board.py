"""The clash board's rules: who sees which stored clashes and who settles them (accept
with a note, mark resolved); the other organisers are told by mail."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Select,
    and_,
    case,
    false,
    or_,
    select,
)
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import User
from app.calendar.models import Event, EventChange, Venue
from app.clashes import notifications
from app.clashes.models import BlackoutPeriod, Clash, ClashAction
from app.clashes.notes import ClashError, ClashPermissionError, clean_note
from app.extensions import db
from app.reference.models import Municipality


def clashes_for(user: User | None, *, status: str | None = None, district: str | None = None,
                event_id: int | None = None, severity: str | None = None,
                include_gone: bool = False) -> Select:
    """The stored clashes ``user`` may see (admins: all; organisers: those of their
    organisation's events): hard ones first, each kind in time order; filterable."""
    first, second = aliased(Event), aliased(Event)
    query = (
        select(Clash)
        .join(first, Clash.event_id == first.id)
        .outerjoin(second, Clash.other_event_id == second.id)
        .options(
            selectinload(Clash.event).selectinload(Event.venue).selectinload(Venue.municipality),
            selectinload(Clash.event).selectinload(Event.organisation),
            selectinload(Clash.event).selectinload(Event.audiences),
            selectinload(Clash.other_event).selectinload(Event.venue)
            .selectinload(Venue.municipality),
            selectinload(Clash.other_event).selectinload(Event.organisation),
            selectinload(Clash.other_event).selectinload(Event.audiences),
            selectinload(Clash.blackout_period).selectinload(BlackoutPeriod.calendar),
            selectinload(Clash.decided_by),
        )
        .order_by(case((Clash.severity == "hard", 0), else_=1), first.starts_at, Clash.id)
    )
    if user is None or not user.is_authenticated or not (user.is_admin or user.is_organiser):
        return query.where(false())
    if not user.is_admin:
        own = user.organisation_id
        query = query.where(
            or_(first.organisation_id == own, second.organisation_id == own),
            or_(first.status != "draft", first.organisation_id == own),
            or_(second.id.is_(None), second.status != "draft", second.organisation_id == own),
        )
    if not include_gone:
        query = query.where(Clash.active)
    if status:
        query = query.where(Clash.status == status)
    if severity:
        query = query.where(Clash.severity == severity)
    if event_id is not None:
        query = query.where(or_(Clash.event_id == event_id, Clash.other_event_id == event_id))
    if district:
        in_district = (select(Event.id).join(Venue, Event.venue_id == Venue.id)
                       .join(Municipality, Venue.municipality_id == Municipality.id)
                       .where(Municipality.district_code == district))
        query = query.where(or_(Clash.event_id.in_(in_district),
                                and_(Clash.other_event_id.is_not(None),
                                     Clash.other_event_id.in_(in_district))))
    return query


def open_count(user: User | None) -> int:
    """How many open clashes ``user`` sees (the organiser's start page links the board)."""
    query = clashes_for(user, status="open").with_only_columns(Clash.id)
    return db.session.execute(select(db.func.count()).select_from(query.subquery())).scalar_one()


def can_view(user: User | None, clash: Clash) -> bool:
    if user is None or not user.is_authenticated or not user.active:
        return False
    if user.is_admin:
        return True
    if not user.is_organiser or user.organisation_id not in clash.organisation_ids:
        return False
    return all(event.status != "draft" or event.organisation_id == user.organisation_id
               for event in clash.events)


def can_settle(user: User | None, clash: Clash) -> bool:
    """Organisers of one of the two events' organisations, and admins."""
    return can_view(user, clash)


ACCEPT_NEEDS_NOTE = _l("Please say in a note why the clash is acceptable.")
RESOLVE_NEEDS_NOTE = _l("Neither event has changed since the clash was found: please say in "
                        "a note how it is resolved (e.g. what you agreed with the other "
                        "organiser).")


def changed_since_found(clash: Clash) -> bool:
    """Whether either event was changed since the clash was (last) found open."""
    opened = [action.at for action in clash.actions if action.action in ("opened", "reopened")]
    since = max(opened) if opened else clash.first_seen_at
    event_ids = [event_id for event_id in (clash.event_id, clash.other_event_id) if event_id]
    return db.session.execute(select(EventChange.id).where(
        EventChange.event_id.in_(event_ids), EventChange.action == "updated",
        EventChange.at > since).limit(1)).first() is not None


def _decide(clash: Clash, user: User, action: str, note: str | None, now: datetime) -> None:
    if not can_settle(user, clash):
        raise ClashPermissionError(str(_l(
            "Only organisers of the events concerned can settle this clash.")))
    if action == "accepted":
        required = str(ACCEPT_NEEDS_NOTE)
    else:  # "resolved" by hand, though both events stand as they were: say how
        required = None if changed_since_found(clash) else str(RESOLVE_NEEDS_NOTE)
    note = clean_note(note, required=required)
    clash.status = action
    clash.note = note
    clash.decided_by = user
    clash.decided_at = now
    record = ClashAction(action=action, user=user, note=note, at=now)
    clash.actions.append(record)
    db.session.flush()
    notifications.clash_decided(clash, record)


def accept(clash: Clash, user: User, note: str, *, now: datetime) -> None:
    """Accept a clash with a note (both events go ahead); it stays accepted across
    re-scans until one of the events moves."""
    if not clash.active:
        raise ClashError(str(_l("This clash no longer exists.")))
    _decide(clash, user, "accepted", note, now)


def accept_acknowledged(event: Event, acknowledged: dict[tuple[str, int | None], EventChange],
                        now: datetime) -> list[Clash]:
    """Accept the open stored clashes of ``event`` that its organiser acknowledged with a
    note when saving it (``check.acknowledgements``: key → the history entry with the note
    and who wrote it), so that the board does not ask for the note again. No mail: the
    other organiser was told of the clash with this note when it arose."""
    if not acknowledged:
        return []
    stored = db.session.execute(select(Clash).where(
        Clash.active, Clash.status == "open",
        or_(Clash.event_id == event.id, Clash.other_event_id == event.id))).scalars().all()
    accepted = []
    for clash in stored:
        other = clash.other_event_id if clash.event_id == event.id else clash.event_id
        change = acknowledged.get((clash.rule, other))
        note = (change.changes or {}).get("note") if change is not None else None
        if not note:
            continue
        clash.status, clash.note = "accepted", note
        clash.decided_by, clash.decided_at = change.user, now
        clash.actions.append(ClashAction(action="accepted", user=change.user, note=note, at=now))
        accepted.append(clash)
    db.session.flush()
    return accepted


def resolve(clash: Clash, user: User, note: str | None = None, *, now: datetime) -> None:
    """Mark a clash as settled (e.g. agreed with the other organiser); a note saying how
    is needed unless one of the events changed since the clash was found."""
    _decide(clash, user, "resolved", note, now)
