"""Domain logic of the calendar: create, change and query events.

Views, the API, the CLI and the scheduler call these functions. They flush; the caller
commits. The acting user is always passed in, never read from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Organisation, User
from app.calendar.filters import EventFilter
from app.calendar.models import Event, EventAudience, EventChange, Venue
from app.errors import DomainError
from app.extensions import db
from app.reference.codes import (
    AUDIENCES,
    EVENT_TYPES,
    INDUSTRY_CODES,
    STATUSES,
)
from app.reference.models import Industry, Municipality
from app.time import as_utc, day_span_utc

PUBLIC_STATUSES = ("published", "cancelled")
# Allowed moves of the status; "cancelled" is final for subscribers' sake.
TRANSITIONS = {
    "draft": {"planned", "published", "cancelled"},
    "planned": {"draft", "published", "cancelled"},
    "published": {"cancelled"},
    "cancelled": set(),
}
# The fields a feed subscriber sees: a change to any of them raises SEQUENCE.
VISIBLE_FIELDS = (
    "title", "description", "event_type", "all_day", "starts_at", "ends_at", "venue_id",
    "url", "status", "audiences", "industries", "contact_name", "contact_email",
    "contact_phone",
)


class EventError(DomainError):
    """An event's data breaks a rule of the calendar."""


@dataclass
class EventData:
    """Everything an organiser enters for an event, as plain values."""

    title: str
    event_type: str
    venue: Venue
    all_day: bool
    first_day: date | None = None
    last_day: date | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    description: str = ""
    audiences: list[str] = field(default_factory=list)
    grade_from: int | None = None
    grade_to: int | None = None
    industries: list[str] = field(default_factory=list)
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    url: str | None = None
    admission_free: bool = False


def event_data(event: Event) -> EventData:
    """A saved event's values as EventData, the shape every change starts from."""
    grade_from, grade_to = event.pupil_grades
    return EventData(
        title=event.title, event_type=event.event_type, venue=event.venue,
        all_day=event.all_day, first_day=event.first_day, last_day=event.last_day,
        starts_at=event.starts_at, ends_at=event.ends_at,
        description=event.description or "", audiences=event.audience_codes,
        grade_from=grade_from, grade_to=grade_to, industries=event.industry_codes,
        contact_name=event.contact_name, contact_email=event.contact_email,
        contact_phone=event.contact_phone, url=event.url,
        admission_free=bool(event.admission_free),
    )


def validate_event_data(data: EventData) -> None:
    """Raise EventError for every rule the data breaks (all at once, for the form)."""
    errors: list[tuple[str, str]] = []
    if not data.title.strip():
        errors.append(("title", str(_l("Please enter a title."))))
    if data.event_type not in EVENT_TYPES:
        errors.append(("event_type", str(_l("Unknown event type."))))
    unknown = [code for code in data.audiences if code not in AUDIENCES]
    if unknown:
        message = _l("Unknown audience: %(codes)s", codes=", ".join(unknown))
        errors.append(("audiences", str(message)))
    if not data.audiences:
        errors.append(("audiences", str(_l("Choose at least one audience."))))
    unknown = [code for code in data.industries if code not in INDUSTRY_CODES]
    if unknown:
        message = _l("Unknown industry: %(codes)s", codes=", ".join(unknown))
        errors.append(("industries", str(message)))
    if not data.industries:
        errors.append(("industries", str(_l("Choose at least one industry."))))
    has_grades = data.grade_from is not None or data.grade_to is not None
    if has_grades and "pupils" not in data.audiences:
        errors.append(("grade_from", str(_l("A grade range only applies to pupils."))))
    if data.grade_from and data.grade_to and data.grade_from > data.grade_to:
        errors.append(("grade_to", str(_l("The last grade must not be lower than the first."))))
    if data.all_day:
        if data.first_day is None or data.last_day is None:
            errors.append(("first_day", str(_l("Please enter the first and last day."))))
        elif data.last_day < data.first_day:
            errors.append(("last_day", str(_l("The last day must not be before the first day."))))
    elif data.starts_at is None or data.ends_at is None:
        errors.append(("starts_at", str(_l("Please enter when the event starts and ends."))))
    elif data.ends_at <= data.starts_at:
        errors.append(("ends_at", str(_l("The event must end after it starts."))))
    if errors:
        raise EventError(errors)


def set_schedule(event: Event, data: EventData) -> None:
    """The only place that sets an event's times (whole days keep their dates)."""
    event.all_day = data.all_day
    if data.all_day:
        event.first_day, event.last_day = data.first_day, data.last_day
        event.starts_at, event.ends_at = day_span_utc(data.first_day, data.last_day)
    else:
        event.first_day = event.last_day = None
        event.starts_at, event.ends_at = as_utc(data.starts_at), as_utc(data.ends_at)


def _apply(event: Event, data: EventData) -> None:
    event.title = data.title.strip()
    event.description = data.description.strip()
    event.event_type = data.event_type
    event.venue = data.venue
    event.contact_name = data.contact_name or None
    event.contact_email = data.contact_email or None
    event.contact_phone = data.contact_phone or None
    event.admission_free = bool(data.admission_free)
    event.url = data.url or None
    set_schedule(event, data)
    wanted = {code: (data.grade_from, data.grade_to) if code == "pupils" else (None, None)
              for code in dict.fromkeys(data.audiences)}
    by_code = {audience.code: audience for audience in event.audiences}
    event.audiences = [by_code.get(code) or EventAudience(code=code) for code in wanted]
    for audience in event.audiences:
        audience.grade_from, audience.grade_to = wanted[audience.code]
    event.industries = list(
        db.session.execute(
            select(Industry).where(Industry.code.in_(data.industries)).order_by(Industry.code)
        ).scalars()
    )


def _snapshot(event: Event) -> dict[str, object]:
    """The event's fields as plain, JSON-friendly values, for diffs and the audit trail."""
    values: dict[str, object] = {
        name: getattr(event, name)
        for name in ("title", "description", "event_type", "all_day", "starts_at", "ends_at",
                     "venue_id", "url", "status", "contact_name", "contact_email",
                     "contact_phone", "admission_free")
    }
    if event.venue is not None:
        values["venue_id"] = event.venue.id
    values["audiences"] = sorted(
        f"{a.code}:{a.grade_from or ''}-{a.grade_to or ''}" if a.code == "pupils" else a.code
        for a in event.audiences
    )
    values["industries"] = sorted(i.code for i in event.industries)
    return {name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in values.items()}


def _record(event: Event, actor: User | None, action: str, changes: dict, via: str,
            now: datetime) -> None:
    event.changes.append(EventChange(user=actor, action=action, changes=changes, via=via,
                                     at=now))


def create_event(
    organisation: Organisation, actor: User | None, data: EventData, *, now: datetime,
    via: str = "web",
) -> Event:
    """A new draft event of ``organisation`` (the bare record: ``app.planning.operations``
    is the life cycle around it)."""
    validate_event_data(data)
    event = Event(organisation=organisation, status="draft", sequence=0)
    _apply(event, data)
    event.created_at = event.updated_at = now
    db.session.add(event)
    _record(event, actor, "created", {k: [None, v] for k, v in _snapshot(event).items()}, via,
            now)
    db.session.flush()
    return event


def update_event(event: Event, actor: User | None, data: EventData, *, now: datetime,
                 via: str = "web") -> dict:
    """Change an event; returns the changed fields ({} when nothing changed).

    A cancelled event is frozen: subscribers have already been told it is off.
    """
    if event.status == "cancelled":
        raise EventError([("status", str(_l("A cancelled event can no longer be changed.")))])
    validate_event_data(data)
    before = _snapshot(event)
    _apply(event, data)
    db.session.flush()
    after = _snapshot(event)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changes:
        _touch(event, changes, now)
        _record(event, actor, "updated", changes, via, now)
    return changes


def _touch(event: Event, changes: dict, now: datetime) -> None:
    event.updated_at = now
    if event.status in PUBLIC_STATUSES and any(name in VISIBLE_FIELDS for name in changes):
        event.sequence += 1


def change_status(
    event: Event, actor: User | None, status: str, *, now: datetime,
    reason: str | None = None, via: str = "web",
) -> None:
    """Move an event along draft → planned → published → cancelled."""
    if status not in TRANSITIONS:
        raise EventError([("status", str(_l("Unknown status.")))])
    if status == event.status:
        return
    if status not in TRANSITIONS[event.status]:
        raise EventError([("status", str(_l(
            "An event that is %(old)s cannot become %(new)s.",
            old=STATUSES[event.status], new=STATUSES[status]
        )))])
    old = event.status
    if old in PUBLIC_STATUSES:
        event.sequence += 1
    event.status = status
    event.updated_at = now
    if status == "published":
        event.published_at = now
    if status == "cancelled":
        event.cancelled_at = now
        event.cancellation_reason = (reason or "").strip() or None
    changes: dict = {"status": [old, status]}
    if reason:
        changes["reason"] = [None, reason]
    _record(event, actor, status, changes, via, now)
    db.session.flush()


def find_or_create_venue(
    name: str, municipality: Municipality, street: str | None = None,
    postal_code: str | None = None,
) -> Venue:
    """Reuse a venue of the same name in the same municipality, so clashes see one place.

    Venues are shared by every organisation's events, so a typed street never changes
    the address others show: a street unlike the stored one makes a venue of its own (a
    correction takes effect for this event), and a street is only filled in where none
    was known.
    """
    name, street = name.strip(), (street or "").strip() or None
    venues = db.session.execute(
        select(Venue).where(Venue.municipality_id == municipality.id, Venue.name == name)
        .order_by(Venue.id)
    ).scalars().all()
    if street is None and venues:
        return venues[0]
    for venue in venues:
        if venue.street and _same_street(venue.street, street):
            return venue
    for venue in venues:
        if not venue.street:
            venue.street = street
            venue.postal_code = postal_code or venue.postal_code
            db.session.flush()
            return venue
    venue = Venue(name=name, municipality=municipality, street=street,
                  postal_code=postal_code or municipality.postal_code)
    db.session.add(venue)
    db.session.flush()
    return venue


def _same_street(a: str, b: str | None) -> bool:
    """'Koblenzer Str. 151' and 'koblenzer  str. 151' are one address."""
    return b is not None and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


# --- who may see and change what -------------------------------------------------------


def can_edit(user: User | None, event: Event) -> bool:
    """Organisers edit their own organisation's events; admins edit all."""
    if user is None or not user.is_authenticated or not user.active:
        return False
    return user.is_admin or (user.is_organiser and user.organisation_id == event.organisation_id)


def can_view(user: User | None, event: Event) -> bool:
    """Published and cancelled events are public; planned ones are visible to every
    organiser (they reserve a date); drafts only to their own organisation."""
    if event.status in PUBLIC_STATUSES:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if event.status == "planned":
        return user.is_organiser
    return can_edit(user, event)


# --- queries -----------------------------------------------------------------------------


def events_query() -> Select:
    """All events with what every listing shows, loaded without N+1 queries."""
    return select(Event).options(
        selectinload(Event.venue).selectinload(Venue.municipality),
        selectinload(Event.organisation),
        selectinload(Event.industries),
        selectinload(Event.audiences),
    ).order_by(Event.starts_at, Event.id)


def public_events(event_filter: EventFilter | None = None) -> Select:
    """What anyone may see: published events and cancelled ones (marked as such)."""
    query = events_query().where(Event.status.in_(PUBLIC_STATUSES))
    return event_filter.apply(query) if event_filter else query


def visible_events(user: User | None, event_filter: EventFilter | None = None) -> Select:
    """What ``user`` may see in listings (the API's and the organiser pages')."""
    query = events_query()
    if user is None or not user.is_authenticated:
        query = query.where(Event.status.in_(PUBLIC_STATUSES))
    elif not user.is_admin:
        conditions = [Event.status.in_(PUBLIC_STATUSES)]
        if user.is_organiser:
            conditions += [Event.status == "planned",
                           and_(Event.status == "draft",
                                Event.organisation_id == user.organisation_id)]
        query = query.where(or_(*conditions))
    return event_filter.apply(query) if event_filter else query


def organisation_events(organisation_id: int) -> Select:
    return events_query().where(Event.organisation_id == organisation_id)

