"""An event's life cycle: create, change, change its status, cancel.

The organiser's pages, the API, the CLI and jobs call these operations, so every path
takes the same steps in the same order: check the data; find the hard clashes the change
would add and refuse it unless they are acknowledged with a note; save it and record it in
the event's history; tell the other organisers of new clashes and store the event's
clashes; settle the bookings of a cancelled fair. Operations flush; the caller commits, or
rolls back when one raises.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.accounts.models import Organisation, User
from app.booths import services as booths
from app.calendar import services as calendar
from app.calendar.models import Event
from app.calendar.services import EventData
from app.clashes import board as clash_board
from app.clashes import check as clash_check
from app.clashes import notifications as clash_notifications
from app.clashes import scan as clash_scan
from app.clashes.check import Finding
from app.clashes.notes import WHY_GO_AHEAD, clean_note
from app.errors import DomainError
from app.versions import bump_version, check_version
from app.visits import services as visits


class HardClash(DomainError):
    """The change would add hard clashes and no note acknowledges them: nothing is saved.
    ``findings`` are those clashes, for the form or the API's 409."""

    code = "hard_clash"
    status = 409

    def __init__(self, findings: list[Finding]):
        super().__init__(str(_l("This would cause a hard clash with another event.")),
                         field="clash_acknowledgement")
        self.findings = findings


def create_event(organisation: Organisation, actor: User | None, data: EventData, *,
                 now: datetime, status: str = "draft", clash_note: str | None = None,
                 judge_as_planned: bool = False, via: str = "web") -> Event:
    """A new event of ``organisation``: a draft, or directly ``status``.

    ``judge_as_planned`` asks for the acknowledgement of every hard clash the date would
    have once reserved, not only those a draft has (the form, while the date is chosen).
    """
    calendar.validate_event_data(data)  # a broken event is refused before any clash
    new = clash_check.new_hard_findings(None, data, organisation,
                                        status=None if judge_as_planned else status)
    _require_acknowledgement(new, clash_note)
    event = calendar.create_event(organisation, actor, data, now=now, via=via)
    if status != "draft":
        calendar.change_status(event, actor, status, now=now, via=via)
    _after_save(event, actor, new, clash_note, now, via)
    return event


def update_event(event: Event, actor: User | None, data: EventData, *, now: datetime,
                 clash_note: str | None = None, judge_as_planned: bool = False,
                 via: str = "web", version: int | None = None) -> dict:
    """Change an event; returns the changed fields ({} when nothing changed). A change a
    subscriber sees raises a published event's SEQUENCE; a cancelled event is frozen.
    ``version``: the one the user's copy had; a stale copy raises VersionConflict."""
    check_version(event, version)
    new = []
    if event.status != "cancelled":  # refused by calendar.update_event, whatever it clashes
        calendar.validate_event_data(data)
        new = clash_check.new_hard_findings(
            event, data, status=None if judge_as_planned else event.status)
        _require_acknowledgement(new, clash_note)
    changes = calendar.update_event(event, actor, data, now=now, via=via)
    if changes:
        bump_version(event)
        _after_save(event, actor, new, clash_note, now, via)
    return changes


def change_status(event: Event, actor: User | None, status: str, *, now: datetime,
                  reason: str | None = None, clash_note: str | None = None,
                  via: str = "web", version: int | None = None) -> list[Finding]:
    """Move the event along draft → planned (date reserved) → published → cancelled.

    Reserving or publishing a draft makes other organisations' events count: the hard
    clashes that adds need an acknowledgement. Cancelling a fair cancels its bookings and
    tells the exhibitors at once. Returns the hard clashes that were acknowledged.
    ``version``: the one the user's copy had; a stale copy raises VersionConflict.
    """
    check_version(event, version)
    if reason and status != "cancelled":
        raise calendar.EventError(str(_l("A reason is only given for a cancellation.")),
                                  field="reason")
    new = clash_check.status_change_hard_findings(event, status)
    _require_acknowledgement(new, clash_note)
    calendar.change_status(event, actor, status, reason=reason, now=now, via=via)
    bump_version(event)
    _after_save(event, actor, new, clash_note, now, via)
    return new


def cancel_event(event: Event, actor: User | None, *, now: datetime,
                 reason: str | None = None, via: str = "web", version: int | None = None) -> None:
    """Cancel the event (final): it stays in the feeds, marked cancelled, with the reason."""
    change_status(event, actor, "cancelled", reason=reason, now=now, via=via, version=version)


def _require_acknowledgement(new: list[Finding], clash_note: str | None) -> None:
    """New hard clashes go ahead only with a note saying why; checked before any write."""
    if not new:
        return
    if clash_note is None:
        raise HardClash(new)
    clean_note(clash_note, required=str(WHY_GO_AHEAD))


def _after_save(event: Event, actor: User | None, acknowledged: list[Finding],
                clash_note: str | None, now: datetime, via: str) -> None:
    """What every saved change sets off, in this order: the acknowledgement in the
    history, news of new clashes to the other organisers (before the stored state knows
    them), the stored clashes (those acknowledged with a note accepted with it, so the
    board does not ask again), a cancelled fair's bookings and class visits."""
    note = clash_note if acknowledged else None
    if acknowledged:
        clash_check.acknowledge(event, actor, acknowledged, clash_note, now=now, via=via)
    clash_notifications.announce_new_clashes(event, actor, now, note=note)
    clash_scan.refresh_event_clashes(event, now)
    clash_board.accept_acknowledged(event, clash_check.acknowledgements(event), now)
    booths.event_cancelled(event, now, actor=actor)
    visits.event_cancelled(event, now)
