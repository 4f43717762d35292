"""Checking an event being planned: the clashes it would cause, free dates, and which
hard clashes a change would add (these need the organiser's acknowledgement, which is
recorded in the event's history)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    Select,
    bindparam,
    select,
)
from sqlalchemy.orm import joinedload

from app.accounts.models import Organisation, User
from app.calendar.models import Event, EventChange, Venue
from app.calendar.services import EventData, event_data
from app.clashes import rules
from app.clashes.explain import LANGUAGES, explain
from app.clashes.inputs import (
    blackout_periods,
    candidate_slot,
    candidate_times,
    clash_config,
    nearby_slots,
    neighbours,
    public_holidays,
)
from app.clashes.models import BlackoutPeriod
from app.clashes.notes import WHY_GO_AHEAD, clean_note
from app.clashes.rules import (
    HARD,
    PUBLIC_HOLIDAY,
    RULES,
    SEVERITY,
    day_clashes,
    pair_clash,
)
from app.extensions import db
from app.reference.models import Municipality
from app.time import (
    NonexistentLocalTime,
    local_to_utc,
    to_local,
)


@dataclass
class Finding:
    """A clash that an event being planned would cause (nothing is stored).

    The explanation (``messages``) is rendered when first asked for: a date search runs
    many checks and needs only whether they are empty.
    """

    rule: str
    severity: str
    other: Event | None = None
    period: BlackoutPeriod | None = None
    holiday: date | None = None
    subject_audiences: list[str] = field(default_factory=list)
    subject_type: str = ""
    _messages: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def messages(self) -> dict[str, str]:
        """``{"de": ..., "en": ...}``: names the other event, its organiser and why."""
        return {language: self.message(language) for language in LANGUAGES}

    @property
    def rule_label(self) -> str:
        return str(RULES[self.rule])

    @property
    def is_hard(self) -> bool:
        return self.severity == HARD

    def message(self, language: str) -> str:
        """The explanation in ``language`` (German if unknown), rendered once: a form
        shows one language, the API both."""
        language = language if language in LANGUAGES else "de"
        if language not in self._messages:
            self._messages[language] = explain(
                self.rule, self.subject_audiences, self.subject_type, self.other,
                self.period, self.holiday, language)
        return self._messages[language]


def check_candidate(data: EventData, organisation: Organisation, *,
                    event_id: int | None = None) -> list[Finding]:
    """The clashes ``data`` would cause for ``organisation`` (hard ones first).

    Reads only the events near the candidate with indexed queries (start-time range
    within the candidate's days widened by the rules' slack, its own and neighbouring
    districts, plain columns) and judges each with the same rules as the full scan; only
    the events that clash are loaded as objects. ``event_id`` is the event being edited,
    left out of the comparison. Returns [] while dates or venue are missing.
    """
    slot = candidate_slot(data, organisation)
    if slot is None:
        return []
    config = clash_config()
    borders = neighbours()
    subject = {"subject_audiences": list(data.audiences), "subject_type": data.event_type}
    clashing = {}
    for other in nearby_slots(slot, config, borders, exclude=event_id):
        clash = pair_clash(slot, other, config, borders)
        if clash is not None:
            clashing[other.id] = clash.rule
    findings = []
    if clashing:
        events = db.session.execute(_clashing_events_query(),
                                    {"ids": list(clashing)}).unique().scalars()
        findings = [Finding(clashing[event.id], SEVERITY[clashing[event.id]], other=event,
                            **subject) for event in events]
    first, last = date.fromordinal(slot.first_day), date.fromordinal(slot.last_day)
    periods = blackout_periods(first, last)
    for clash in day_clashes(slot, public_holidays(first, last), periods):
        if clash.rule == PUBLIC_HOLIDAY:
            findings.append(Finding(clash.rule, clash.severity,
                                    holiday=date.fromisoformat(clash.subject), **subject))
        else:
            findings.append(Finding(clash.rule, clash.severity, **subject,
                                    period=db.session.get(BlackoutPeriod, int(clash.subject))))
    findings.sort(key=lambda finding: finding.severity != HARD)  # stable: by time within
    return findings


def _event_loading():
    # Everything an explanation names, in one query (an event has few audiences).
    return (joinedload(Event.venue).joinedload(Venue.municipality)
            .joinedload(Municipality.district),
            joinedload(Event.organisation), joinedload(Event.audiences))


@lru_cache(maxsize=1)
def _clashing_events_query() -> Select:
    return (select(Event).where(Event.id.in_(bindparam("ids", expanding=True)))
            .options(*_event_loading()).order_by(Event.starts_at, Event.id))


def suggest_free_dates(data: EventData, organisation: Organisation, *, window_days: int = 90,
                       keep_weekday: bool = True, limit: int = 5,
                       event_id: int | None = None, today: date) -> list[date]:
    """The next first days (after the planned one, from tomorrow on, within
    ``window_days``) on which the event would cause no clash and no holiday warning.
    Times of day and length stay as they are; ``keep_weekday`` keeps e.g. Saturdays."""
    times = candidate_times(data)
    if times is None:
        return []
    local_start, local_end = to_local(times[0]), to_local(times[1])
    current = data.first_day if data.all_day else local_start.date()
    length = ((data.last_day - data.first_day) if data.all_day
              else local_end.date() - local_start.date())
    begin = max(current + timedelta(days=1), today + timedelta(days=1))
    found = []
    for offset in range(window_days):
        day = begin + timedelta(days=offset)
        if keep_weekday and day.weekday() != current.weekday():
            continue
        if data.all_day:
            moved = replace(data, first_day=day, last_day=day + length)
        else:
            try:
                moved = replace(data, starts_at=local_to_utc(day, local_start.time()),
                                ends_at=local_to_utc(day + length, local_end.time()))
            except NonexistentLocalTime:
                continue
        if not check_candidate(moved, organisation, event_id=event_id):
            found.append(day)
            if len(found) >= limit:
                break
    return found


def hard_findings(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == HARD]




# --- acknowledging hard clashes on the event form -------------------------------------------

ACKNOWLEDGED = "clash_acknowledged"


def acknowledge(event: Event, user: User | None, findings: list[Finding], note: str,
                *, now: datetime, via: str = "web") -> EventChange:
    """Record in the event's audit trail that ``user`` saved it despite hard clashes,
    with their note and which clashes they saw (the scan stores the clashes themselves)."""
    note = clean_note(note, required=str(WHY_GO_AHEAD))
    change = EventChange(
        event=event, user=user, action=ACKNOWLEDGED, at=now, via=via,
        changes={"note": note, "clashes": [
            {"rule": finding.rule, "other_event_id": finding.other.id if finding.other else None}
            for finding in hard_findings(findings)]},
    )
    db.session.add(change)
    db.session.flush()
    return change


# --- which hard clashes a change would add ------------------------------------------------
# Saving needs the organiser's acknowledgement only for a hard clash the event did not
# have before: an unrelated change (a title, a phone number) of an event whose clash was
# already acknowledged does not ask again. The pages and the API share these.

# The fields of the audit trail that change which events an event can clash with.
CLASH_FIELDS = frozenset({"starts_at", "ends_at", "all_day", "venue_id", "audiences",
                          "event_type"})


def clash_key(finding: Finding) -> tuple[str, int | None]:
    """A hard clash's identity for the comparison: the rule and the other event."""
    return finding.rule, finding.other.id if finding.other is not None else None


def counted_hard_findings(findings: list[Finding], organisation_id: int,
                          status: str | None = None) -> list[Finding]:
    """The hard findings that count for an event of ``organisation_id`` in ``status``.

    ``check_candidate`` looks at an event as a planned one; a draft clashes only with its
    own organisation's events (others do not see it yet) and a cancelled event with none.
    ``status`` None keeps the planned view: the event form warns of what the date will
    clash with once it is reserved.
    """
    if status == "cancelled":
        return []
    hard = hard_findings(findings)
    if status == "draft":
        hard = [finding for finding in hard
                if finding.other is None or finding.other.organisation_id == organisation_id]
    return hard


def new_hard_findings(event: Event | None, data: EventData,
                      organisation: Organisation | None = None, *, status: str | None = None,
                      findings: list[Finding] | None = None) -> list[Finding]:
    """The hard clashes that saving ``data`` would add to those ``event`` has now (all of
    them for a new event): these need an acknowledgement with a note.

    ``status`` is the event's status after the save (see ``counted_hard_findings``; the
    stored event is judged in its own status then, else both in the planned view).
    ``findings`` is ``check_candidate``'s answer for ``data`` if the caller has it.
    """
    organisation = organisation or event.organisation
    event_id = event.id if event is not None else None
    if findings is None:
        findings = check_candidate(data, organisation, event_id=event_id)
    after = counted_hard_findings(findings, organisation.id, status)
    if not after or event is None:
        return after
    before = counted_hard_findings(
        check_candidate(event_data(event), organisation, event_id=event_id),
        organisation.id, event.status if status is not None else None)
    known = {clash_key(finding) for finding in before}
    return [finding for finding in after if clash_key(finding) not in known]


def acknowledged_keys(event: Event) -> set[tuple[str, int | None]]:
    """The hard clashes acknowledged for ``event`` since it last changed when, where, for
    whom or what kind (a move makes an old acknowledgement void)."""
    return set(acknowledgements(event))


def acknowledgements(event: Event) -> dict[tuple[str, int | None], EventChange]:
    """Each hard clash acknowledged for ``event`` since its last move, with the latest
    acknowledgement (who, when, the note in ``changes["note"]``)."""
    changes = db.session.execute(
        select(EventChange)
        .where(EventChange.event_id == event.id,
               EventChange.action.in_((ACKNOWLEDGED, "updated")))
        .order_by(EventChange.id.desc())
    ).scalars()
    found: dict[tuple[str, int | None], EventChange] = {}
    for change in changes:
        if change.action == "updated":
            if CLASH_FIELDS & set(change.changes or {}):
                break
            continue
        for clash in (change.changes or {}).get("clashes", []):
            found.setdefault((clash.get("rule"), clash.get("other_event_id")), change)
    return found


def status_change_hard_findings(event: Event, status: str) -> list[Finding]:
    """The hard clashes that moving ``event`` to ``status`` would add: these need an
    acknowledgement with a note.

    A draft sees only its own organisation's events; reserving or publishing it makes the
    others' events count. Clashes acknowledged since its last move (e.g. on the form
    while it was a draft) are not asked for again.
    """
    if status not in rules.SHARED_STATUSES or event.status == "cancelled":
        return []
    findings = check_candidate(event_data(event), event.organisation, event_id=event.id)
    after = counted_hard_findings(findings, event.organisation_id, status)
    if not after:
        return []
    known = {clash_key(finding) for finding in
             counted_hard_findings(findings, event.organisation_id, event.status)}
    known |= acknowledged_keys(event)
    return [finding for finding in after if clash_key(finding) not in known]
