"""The full scan and the stored state of clashes: found again, opened, reopened after a
move, gone."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from app.calendar.models import Event
from app.clashes import engine, rules
from app.clashes.inputs import (
    blackout_periods,
    clash_config,
    load_slots,
    nearby_slots,
    neighbours,
    public_holidays,
    slot_of,
)
from app.clashes.models import Clash, ClashAction
from app.clashes.rules import (
    BLACKOUT,
    COUNTED_STATUSES,
    HARD,
    PUBLIC_HOLIDAY,
    Slot,
    day_clashes,
    pair_clash,
)
from app.extensions import db


@dataclass
class ScanReport:
    """What a scan found and changed."""

    events: int = 0
    found: int = 0
    opened: int = 0
    reopened: int = 0
    gone: int = 0
    open_hard: int = 0
    open_soft: int = 0
    accepted: int = 0


def _fingerprint(clash, slots: dict[int, Slot]) -> str:
    """When and where both events are: a change means one of them moved."""
    parts = [clash.rule, clash.subject]
    for event_id in (clash.event_id, clash.other_id):
        if event_id is not None:
            slot = slots[event_id]
            parts.append(f"{slot.start}-{slot.end}-{slot.venue_id}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def scan_all(now: datetime) -> ScanReport:
    """Find every clash and bring the stored ones up to date.

    New clashes open; a clash found again keeps its decision (accepted/resolved) unless
    one of its events moved, then it opens again; a clash no longer found is resolved
    ("gone"). Every change is recorded as a ClashAction without a user.
    """
    slots = load_slots()
    by_id = {slot.id: slot for slot in slots}
    periods = blackout_periods()
    holidays_by_day: dict[int, str] = {}
    if slots:
        first = date.fromordinal(min(slot.first_day for slot in slots))
        last = date.fromordinal(max(slot.last_day for slot in slots))
        holidays_by_day = public_holidays(first, last)
    found = engine.scan(slots, clash_config(), neighbours(), holidays_by_day, periods)
    report = ScanReport(events=len(slots), found=len(found))

    stored = db.session.execute(
        select(Clash.id, Clash.key, Clash.status, Clash.fingerprint, Clash.active)).all()
    _bring_up_to_date(stored, found, by_id, now, report)
    db.session.flush()
    for severity, status, count in db.session.execute(
        select(Clash.severity, Clash.status, db.func.count())
        .where(Clash.active).group_by(Clash.severity, Clash.status)
    ):
        if status == "open":
            if severity == HARD:
                report.open_hard = count
            else:
                report.open_soft = count
        elif status == "accepted":
            report.accepted += count
    return report


def refresh_event_clashes(event: Event, now: datetime) -> ScanReport:
    """Bring the stored clashes of one event up to date, as the full scan would, right
    after the event was saved: the board shows a new clash at once, and a clash the move
    settled is gone at once, not after the nightly scan.

    It looks for the other events as the candidate check does (indexed, nearby), so a
    clash with an event longer than ``CLASH_MAX_EVENT_DAYS`` is left to the scan.
    """
    slot = slot_of(event)
    slots, found = {slot.id: slot}, []
    if event.status in COUNTED_STATUSES:  # a cancelled event's clashes are all gone
        config, borders = clash_config(), neighbours()
        for other in nearby_slots(slot, config, borders, exclude=event.id):
            slots[other.id] = other
            if (clash := pair_clash(slot, other, config, borders)) is not None:
                found.append(clash)
        first, last = date.fromordinal(slot.first_day), date.fromordinal(slot.last_day)
        found += day_clashes(slot, public_holidays(first, last), blackout_periods(first, last))
    report = ScanReport(events=1, found=len(found))
    stored = db.session.execute(
        select(Clash.id, Clash.key, Clash.status, Clash.fingerprint, Clash.active)
        .where(or_(Clash.event_id == event.id, Clash.other_event_id == event.id))).all()
    _bring_up_to_date(stored, found, slots, now, report)
    db.session.flush()
    return report


def _bring_up_to_date(stored: Sequence[Row], found: Sequence[rules.Clash],
                      slots: dict[int, Slot], now: datetime, report: ScanReport) -> None:
    """Store what a scan found among the ``stored`` clashes (the scan's whole table, or one
    event's): new clashes open; a clash found again keeps its decision unless one of its
    events moved, then it opens again; a clash of ``stored`` no longer found is gone."""
    stored_by_key = {row.key: row for row in stored}
    seen_ids = []
    for clash in found:
        fingerprint = _fingerprint(clash, slots)
        row = stored_by_key.get(clash.key)
        if row is None:
            record = Clash(
                key=clash.key, rule=clash.rule, severity=clash.severity,
                event_id=clash.event_id, other_event_id=clash.other_id,
                blackout_period_id=int(clash.subject) if clash.rule == BLACKOUT else None,
                holiday=date.fromisoformat(clash.subject) if clash.rule == PUBLIC_HOLIDAY
                else None,
                status="open", active=True, fingerprint=fingerprint,
                first_seen_at=now, last_seen_at=now,
            )
            record.actions.append(ClashAction(action="opened", at=now))
            db.session.add(record)
            report.opened += 1
            continue
        seen_ids.append(row.id)
        moved = row.fingerprint != fingerprint
        if moved or not row.active:
            record = db.session.get(Clash, row.id)
            record.fingerprint = fingerprint
            record.active = True
            if record.status != "open" and (moved or record.decided_by_id is None):
                record.status = "open"
                record.actions.append(ClashAction(action="reopened", at=now))
                report.reopened += 1
    if seen_ids:
        db.session.execute(update(Clash), [{"id": clash_id, "last_seen_at": now}
                                           for clash_id in seen_ids])
    found_keys = {clash.key for clash in found}
    for key, row in stored_by_key.items():
        if row.active and key not in found_keys:
            record = db.session.get(Clash, row.id)
            record.active = False
            if record.status != "resolved":
                record.status = "resolved"
                record.decided_by_id, record.decided_at = None, now
            record.actions.append(ClashAction(action="gone", at=now))
            report.gone += 1
