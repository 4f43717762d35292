"""E-mails to the *other* organiser of a clash, queued in the outbox in each recipient's
language.

Two occasions:

- a decision (accepted, marked resolved) on the board or through the API: the
  organisations of the events involved, except the acting user's own, learn who decided
  what, with the note (``clash_decided``, called by ``board.accept``/``resolve``);
- a new clash with another organisation's event: found when an organiser saves an event
  (``announce_new_clashes``, called by the event's life cycle in ``app.planning``) or
  by the scan (``scan_found``, called after ``scan.scan_all``). The organisation whose event was
  there first is told; the one that caused the clash saw it on its form.

A clash is announced once, whichever path sees it first; a re-scan, a second save or a
move within the clash sends nothing. It is news again only after it was settled
(accepted, resolved, or gone because an event moved away) and an event moves back into
it. Each message's outbox key names the clash and its *state* (where and when both
events are), so the same clash state is never announced twice.
Drafts and cancelled events never cause a message (drafts are private to their
organisation), nor do events that are already over.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from babel.dates import format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.calendar.models import Event, Venue
from app.calendar.recipients import organiser_recipients
from app.calendar.services import event_data
from app.clashes.check import check_candidate
from app.clashes.explain import explain
from app.clashes.models import Clash, ClashAction
from app.clashes.rules import RULES, SEVERITY, SHARED_STATUSES
from app.clashes.rules import Clash as RuleClash
from app.extensions import db
from app.i18n import FORMATTING_LOCALES
from app.outbox.models import OutboxMessage
from app.outbox.recipients import Recipient, absolute_url
from app.outbox.services import queue
from app.time import to_local

NEW_PREFIX = "clash-new"
DECIDED_PREFIX = "clash-decision"


# --- what counts --------------------------------------------------------------------------


def _shared(*events: Event) -> bool:
    """Events other organisations may hear of: planned (reserved) or published."""
    return all(event.status in SHARED_STATUSES for event in events)


def _over(now: datetime, *events: Event) -> bool:
    return any(event.ends_at <= now for event in events)


def clash_state(rule: str, first: Event, second: Event) -> tuple[str, str]:
    """The clash's key (as the scan stores it) and a digest of where and when both events
    are: the same pair in the same places is the same clash, a move makes it new."""
    low, high = sorted((first, second), key=lambda event: event.id)
    key = RuleClash(rule, low.id, high.id).key
    parts = [key] + [f"{event.id}:{int(event.starts_at.timestamp())}-"
                     f"{int(event.ends_at.timestamp())}-{event.venue_id}" for event in (low, high)]
    return key, hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _announced(key: str, since: datetime | None) -> bool:
    """Whether the clash ``key`` was announced (to anyone) after ``since``: the last
    decision on it, after which it counts as new again."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.key.startswith(f"{NEW_PREFIX}:{key}:", autoescape=True))
    if since is not None:
        query = query.where(OutboxMessage.created_at > since)
    return db.session.execute(query.limit(1)).first() is not None


# --- texts ---------------------------------------------------------------------------------


def _when(event: Event, language: str) -> str:
    """E.g. 'Samstag, 12. Juni 2027, 10:00–15:00' in the recipient's language."""
    locale = FORMATTING_LOCALES.get(language, "de_DE")
    if event.all_day:
        first = format_date(event.first_day, "full", locale=locale)
        if event.first_day == event.last_day:
            return first
        return f"{first} – {format_date(event.last_day, 'full', locale=locale)}"
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    text = f"{format_date(start.date(), 'full', locale=locale)}, {start:%H:%M}"
    if end.date() == start.date():
        return f"{text}–{end:%H:%M}"
    return f"{text} – {format_date(end.date(), 'full', locale=locale)}, {end:%H:%M}"


def _described(event: Event, language: str) -> str:
    """“Title” (when, venue, town; organiser)."""
    return _("“%(title)s” (%(when)s, %(venue)s, %(town)s; %(organiser)s)",
             title=event.title, when=_when(event, language), venue=event.venue.name,
             town=event.venue.municipality.name, organiser=event.organisation.name)


def _contact(event: Event) -> str | None:
    parts = [part for part in (event.contact_name, event.contact_email, event.contact_phone)
             if part]
    if not parts:
        return None
    return _("Contact for “%(title)s”: %(contact)s", title=event.title,
             contact=", ".join(parts))


def _actor(user: User | None) -> str:
    if user is None:
        return _("A former user")
    who = user.name or user.email
    if user.organisation is not None:
        return f"{who} ({user.organisation.name})"
    return _("%(who)s (administrator)", who=who)


def _rule(rule: str, severity: str) -> str:
    label = _("hard") if severity == "hard" else _("soft")
    return _("Rule: %(rule)s (%(severity)s).", rule=str(RULES.get(rule, rule)), severity=label)


def _closing() -> str:
    return _("Kind regards\nMessekalender Südwestfalen")


def _new_text(rule: str, own: Event, other: Event, language: str, *, actor: User | None,
              note: str | None) -> tuple[str, str]:
    """Subject and body of a new-clash message to ``own``'s organisation (forced locale)."""
    subject = _("Date clash with your event “%(title)s”", title=own.title)
    explanation = explain(rule, own.audience_codes, own.event_type, other, None,
                                   None, language)
    lines = [
        _("Dear Sir or Madam,"),
        _("The event %(other)s clashes with your event %(own)s.",
          other=_described(other, language), own=_described(own, language)),
        f"{_rule(rule, SEVERITY[rule])} {explanation}",
    ]
    if actor is not None:
        changed = _("%(who)s has just saved “%(title)s”.", who=_actor(actor), title=other.title)
        if note:
            changed += " " + _("Their note: %(note)s", note=note)
        lines.append(changed)
    if contact := _contact(other):
        lines.append(contact)
    lines.append(_("Please agree with %(organiser)s how to proceed. If both events go "
                   "ahead, you can accept the clash with a note on the clash board, or "
                   "mark it resolved once you have agreed.", organiser=other.organisation.name))
    lines.append(_("Your event with its clash warnings: %(url)s",
                   url=absolute_url(f"/manage/events/{own.id}/edit")))
    lines.append(_("Clash board: %(url)s", url=absolute_url("/clashes")))
    lines.append(_closing())
    return subject, "\n\n".join(lines) + "\n"


def _decision_text(clash: Clash, action: ClashAction, own: Event, other: Event,
                   language: str) -> tuple[str, str]:
    facts = {"who": _actor(action.user), "own": _described(own, language),
             "other": _described(other, language)}
    if action.action == "accepted":
        subject = _("Clash accepted: “%(own)s” and “%(other)s”", own=own.title,
                    other=other.title)
        what = _("%(who)s has accepted the clash between your event %(own)s and the event "
                 "%(other)s. Both events go ahead.", **facts)
    else:
        subject = _("Clash marked resolved: “%(own)s” and “%(other)s”", own=own.title,
                    other=other.title)
        what = _("%(who)s has marked the clash between your event %(own)s and the event "
                 "%(other)s as resolved.", **facts)
    explanation = explain(clash.rule, own.audience_codes, own.event_type, other,
                                   None, None, language)
    lines = [
        _("Dear Sir or Madam,"),
        what,
        f"{_rule(clash.rule, clash.severity)} {explanation}",
        _("Note: %(note)s", note=action.note) if action.note else _("No note was given."),
    ]
    if contact := _contact(other):
        lines.append(contact)
    lines.append(_("The clash board shows the clash and its history: %(url)s",
                   url=absolute_url(f"/clashes?status=all#clash-{clash.id}")))
    lines.append(_closing())
    return subject, "\n\n".join(lines) + "\n"


# --- queueing ------------------------------------------------------------------------------


def _send(recipients: list[Recipient], key: str, now: datetime, text) -> int:
    new = 0
    for recipient in recipients:
        with force_locale(recipient.language):
            subject, body = text(recipient.language)
        new += queue(f"{key}:{recipient.key}", recipient.email, subject, body, now,
                     language=recipient.language)
    return new


def _announce(rule: str, cause: Event, other: Event, now: datetime, *,
              since: datetime | None = None, actor: User | None = None,
              note: str | None = None) -> int:
    """Tell ``other``'s organisation about its new clash with ``cause``, unless the clash
    was announced already (after ``since``, its last decision)."""
    key, state = clash_state(rule, cause, other)
    if _announced(key, since):
        return 0
    return _send(organiser_recipients(other),
                 f"{NEW_PREFIX}:{key}:{state}:org{other.organisation_id}", now,
                 lambda language: _new_text(rule, other, cause, language, actor=actor,
                                            note=note))


def clash_decided(clash: Clash, action: ClashAction) -> int:
    """Queue the news of ``action`` (accepted/resolved) to the organisations of the
    clash's events other than the acting user's. Returns how many messages were new."""
    if clash.other_event is None or not _shared(*clash.events):
        return 0
    acting = action.user.organisation_id if action.user is not None else None
    new = 0
    told = set()
    for own in clash.events:
        if own.organisation_id in told or own.organisation_id == acting:
            continue
        told.add(own.organisation_id)
        other = clash.other_event if own.id == clash.event_id else clash.event
        new += _send(organiser_recipients(own),
                     f"{DECIDED_PREFIX}:{clash.id}:{action.id}:org{own.organisation_id}",
                     action.at, lambda language, own=own, other=other:
                     _decision_text(clash, action, own, other, language))
    return new


def announce_new_clashes(event: Event, actor: User | None, now: datetime, *,
                         note: str | None = None) -> int:
    """After ``event`` was saved (changed, reserved, published, cancelled) and before its
    stored clashes are brought up to date: tell the other organisations whose planned or
    published events it now clashes with, unless the stored state knows the clash
    already. ``note`` is the acknowledgement of a hard clash, if one was given. Returns
    how many messages were new."""
    if not _shared(event) or _over(now, event):
        return 0
    new = 0
    for finding in check_candidate(event_data(event), event.organisation,
                                   event_id=event.id):
        other = finding.other
        if (other is None or other.organisation_id == event.organisation_id
                or not _shared(other) or _over(now, other)):
            continue
        key, _state = clash_state(finding.rule, event, other)
        stored = db.session.execute(
            select(Clash.active, Clash.decided_at).where(Clash.key == key)).first()
        if stored is not None and stored.active:
            continue  # known: on the board, and the scan reopens it if it was settled
        new += _announce(finding.rule, event, other, now, actor=actor, note=note,
                         since=stored.decided_at if stored is not None else None)
    return new


def _last_changed(event: Event) -> tuple:
    return (event.updated_at, event.created_at, event.id)


def scan_found(now: datetime) -> int:
    """After ``scan.scan_all(now)``: announce the clashes it opened (or opened again
    because an event moved) between events of two organisations. The event changed last
    caused the clash; the other one's organisation is told. Returns how many were new."""
    clashes = db.session.execute(
        select(Clash).join(ClashAction, ClashAction.clash_id == Clash.id)
        .where(ClashAction.at == now, ClashAction.action.in_(("opened", "reopened")),
               Clash.other_event_id.is_not(None), Clash.active, Clash.status == "open")
        .options(*[selectinload(attribute).selectinload(Event.venue)
                   .selectinload(Venue.municipality)
                   for attribute in (Clash.event, Clash.other_event)],
                 selectinload(Clash.event).selectinload(Event.organisation),
                 selectinload(Clash.other_event).selectinload(Event.organisation))
        .order_by(Clash.id)
    ).scalars().unique().all()
    new = 0
    for clash in clashes:
        first, second = clash.event, clash.other_event
        if (first.organisation_id == second.organisation_id or not _shared(first, second)
                or _over(now, first, second)):
            continue
        cause, other = ((first, second) if _last_changed(first) >= _last_changed(second)
                        else (second, first))
        # Reopened: it counts as new again after its last decision.
        new += _announce(clash.rule, cause, other, now, since=clash.decided_at)
    return new
