"""The clash check on the event form: what the form's values would clash with, free dates,
and whether saving needs the organiser's acknowledgement. Nothing here saves anything."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, timedelta
from types import SimpleNamespace

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select

from app.calendar import services as calendar
from app.calendar.models import Event, Venue
from app.clashes import check as clash_check
from app.clashes.notes import WHY_GO_AHEAD
from app.extensions import db
from app.planning.forms import EventForm, StatusAcknowledgementForm, event_data
from app.reference.models import Municipality
from app.routing import parse_id
from app.time import in_date_range, local_today


@dataclasses.dataclass
class ClashReview:
    """What the clash check says about the form's event: the findings (hard first), free
    dates, and whether saving needs the organiser's acknowledgement."""

    findings: list = dataclasses.field(default_factory=list)
    suggestions: list[date] = dataclasses.field(default_factory=list)
    needs_ack: bool = False
    checked: bool = False  # the organiser only asked for a check (nothing saved)
    complete: bool = False  # date, place and audiences were there to check
    draft: bool = False  # a saved draft: other organisers do not see its clashes yet

    @property
    def hard(self) -> list:
        return clash_check.hard_findings(self.findings)


def only_checking(form: EventForm) -> bool:
    """The "Check for clashes" button or a suggested date: check, never save."""
    if request.form.get("use_date"):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(request.form["use_date"][:10])
            if in_date_range(day):
                use_date(form, day)
        return True
    return bool(request.form.get("check"))


def use_date(form: EventForm, day: date) -> None:
    """Move the form's schedule to start on ``day`` (same length, same times)."""
    def put(field, value):
        field.data = value
        field.raw_data = [value.isoformat()] if value else []

    if form.all_day.data:
        length = (form.last_day.data - form.first_day.data
                  if form.first_day.data and form.last_day.data else timedelta(0))
        put(form.first_day, day)
        put(form.last_day, day + max(length, timedelta(0)))
    else:
        if form.end_day.data and form.day.data:
            put(form.end_day, day + (form.end_day.data - form.day.data))
        put(form.day, day)


def candidate_data(form: EventForm, organisation) -> calendar.EventData | None:
    """The form's when, where and for whom, even before the rest is filled in; the venue
    is looked up but never created (a new venue has no clashes of its own)."""
    data = event_data(form)
    moments = (data.starts_at, data.ends_at, data.first_day, data.last_day)
    if any(moment is not None and not in_date_range(moment) for moment in moments):
        return None  # refused by the form; far dates would overflow the clash rules
    municipality_id = parse_id(form.municipality.data)
    municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
    if municipality is None or organisation is None:
        return None
    name = (form.venue_name.data or "").strip()
    if any(ord(char) < 32 for char in name) or len(name) > 200:
        name = ""  # refused by the form anyway; PostgreSQL would refuse a NUL in a query
    venue = db.session.execute(
        select(Venue).where(Venue.municipality_id == municipality.id, Venue.name == name)
    ).scalar_one_or_none() if name else None
    data.venue = venue or SimpleNamespace(id=None, municipality=municipality)
    return data


def review_clashes(form: EventForm, organisation, event: Event | None, *,
                   with_suggestions: bool = True, checked: bool = False) -> ClashReview:
    """Check the form's event without saving anything. The form judges a date as a
    reserved one: it warns of what the date will clash with once others see it."""
    data = candidate_data(form, organisation)
    review = ClashReview(checked=checked, draft=event is not None and event.status == "draft")
    if data is None or clash_check.candidate_times(data) is None:
        return review
    event_id = event.id if event else None
    review.complete = True
    review.findings = clash_check.check_candidate(data, organisation, event_id=event_id)
    review.needs_ack = bool(review.hard) and bool(clash_check.new_hard_findings(
        event, data, organisation, findings=review.findings))
    if review.findings and with_suggestions:
        review.suggestions = clash_check.suggest_free_dates(
            data, organisation, event_id=event_id, today=local_today())
    return review


def clash_note(form: EventForm | StatusAcknowledgementForm) -> str | None:
    """The note that goes with a hard clash: only when the box is ticked."""
    return (form.clash_note.data or "") if form.clash_acknowledged.data else None


def mark_missing_acknowledgement(form: EventForm | StatusAcknowledgementForm) -> None:
    """A hard clash is saved only with the box ticked and a note: mark what is missing."""
    if not form.clash_acknowledged.data:
        form.clash_acknowledged.errors = [*form.clash_acknowledged.errors, _(
            "Please confirm that the event goes ahead despite the hard clash, or choose "
            "another date.") if isinstance(form, StatusAcknowledgementForm) else _(
            "The event clashes hard with another one. Please confirm that you want to save "
            "it anyway, or choose another date.")]
    if not (form.clash_note.data or "").strip():
        form.clash_note.errors = [*form.clash_note.errors, str(WHY_GO_AHEAD)]


@dataclasses.dataclass
class StatusConfirmation:
    """A status change waiting for the organiser's acknowledgement: the new status, the
    hard clashes it would add and the form with the tick box and the note."""

    status: str
    findings: list
    form: StatusAcknowledgementForm


def status_confirmation(event: Event, status: str) -> StatusConfirmation | None:
    """The confirmation to show on the edit page for ``status`` (``?confirm=``), if the
    change is possible and still adds a hard clash."""
    if status not in calendar.TRANSITIONS.get(event.status, ()):
        return None
    new = clash_check.status_change_hard_findings(event, status)
    if not new:
        return None
    return StatusConfirmation(status, new, StatusAcknowledgementForm(formdata=None,
                                                                     status=status))
