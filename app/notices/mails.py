"""The mails of change notices, plain text in the subscriber's language, links from
``BASE_URL``. Every mail to a confirmed subscriber carries the one-click unsubscribe link
in its text and in the ``List-Unsubscribe``/``List-Unsubscribe-Post`` headers (RFC 8058).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.calendar.filters import EventFilter
from app.calendar.models import Event, Venue
from app.calendar.recipients import event_url
from app.feeds.services import selection_parts
from app.i18n import format_event_when
from app.notices.models import NoticeSubscription
from app.outbox.recipients import absolute_url
from app.time import to_local

RULE = "—" * 24


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str
    language: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    """When an event takes (or took) place, in the shape ``format_event_when`` reads."""

    all_day: bool
    starts_at: datetime
    ends_at: datetime

    @property
    def first_day(self) -> date:
        return to_local(self.starts_at).date()

    @property
    def last_day(self) -> date:
        return (to_local(self.ends_at) - timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class DigestEntry:
    """One event in a digest: ``kind`` is new, changed or cancelled; ``changed`` names
    what a subscriber sees that changed (date, place, title, details)."""

    kind: str
    event: Event
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    """An event in the next 14 days was cancelled (``moved_from`` None) or moved: then
    ``moved_from`` is its former schedule and ``venue_from`` its former place, if changed."""

    event: Event
    moved_from: Schedule | None = None
    venue_from: Venue | None = None


def describe(event_filter: EventFilter, language: str) -> str:
    """The selection in words, in ``language``."""
    with force_locale(language):
        return " · ".join(selection_parts(event_filter, language)) or _("all events")


# The order in which ``selection_parts`` names the parts of a selection.
_DIMENSIONS = ("districts", "industries", "audiences", "types", "grades", "occupations")


class Descriptions:
    """``describe`` for runs over many mails: each part of a selection (its districts, its
    grades …) is put into words once per language, and selections are made of them."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, tuple, str], list[str]] = {}

    def of(self, event_filter: EventFilter, language: str) -> str:
        parts = []
        for dimension in _DIMENSIONS:
            value = getattr(event_filter, dimension)
            if not value:
                continue
            key = (dimension, value, language)
            if key not in self._parts:
                self._parts[key] = selection_parts(EventFilter(**{dimension: value}), language)
            parts += self._parts[key]
        if parts:
            return " · ".join(parts)
        with force_locale(language):
            return _("all events")


def unsubscribe_url(token: str) -> str:
    return absolute_url(f"/notices/unsubscribe/{token}")


def _unsubscribe_headers(token: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{unsubscribe_url(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


class Phrases:
    """The fixed texts of change-notice mails in one language, translated once."""

    def __init__(self, language: str) -> None:
        with force_locale(language):
            self.hello = _("Hello,")
            self.digest_intro = _("this is what changed this week in the Messekalender "
                                  "Südwestfalen for your selection:")
            self.headings = {"new": _("New events"), "changed": _("Changed events"),
                             "cancelled": _("Cancelled events")}
            self._footer = [
                RULE,
                _("You receive this mail because this address subscribed to change notices "
                  "of the Messekalender Südwestfalen."),
                _("Stop them with one click (your address is then deleted):"),
            ]
            self._another = _("Another selection: subscribe to it on %(url)s.",
                              url=absolute_url("/feeds"))

    def footer(self, token: str) -> str:
        return "\n".join([*self._footer, unsubscribe_url(token), self._another])


class MailCache:
    """What the mails of one run share: phrases per language, each event's block."""

    def __init__(self) -> None:
        self.phrases: dict[str, Phrases] = {}
        self.blocks: dict[tuple, list[str]] = {}

    def phrases_in(self, language: str) -> Phrases:
        if language not in self.phrases:
            self.phrases[language] = Phrases(language)
        return self.phrases[language]


def confirmation(subscription: NoticeSubscription, selection: str, token: str,
                 valid_for: timedelta) -> Mail:
    """Double opt-in: the link confirms the address (on a page, with one button)."""
    language = subscription.language
    hours = int(valid_for.total_seconds() // 3600)
    with force_locale(language):
        subject = _("Please confirm: change notices of the Messekalender Südwestfalen")
        body = "\n".join([
            _("Hello,"),
            "",
            _("please confirm that you want to receive change notices of the Messekalender "
              "Südwestfalen for this selection:"),
            "",
            f"  {selection}",
            "",
            ngettext("Open this link and press “Confirm” (it works for %(num)d hour):",
                     "Open this link and press “Confirm” (it works for %(num)d hours):",
                     hours),
            absolute_url(f"/notices/confirm/{token}"),
            "",
            _("You will then get a weekly summary of new, changed and cancelled events of "
              "this selection, and a notice at once when an event in the next 14 days is "
              "cancelled or moves. When nothing changed, you get no mail."),
            "",
            ngettext("If you did not ask for this, simply ignore this mail: your address "
                     "will be deleted in %(num)d hour.",
                     "If you did not ask for this, simply ignore this mail: your address "
                     "will be deleted in %(num)d hours.", hours),
        ])
    return Mail(subject, body + "\n", language)


def already_subscribed(subscription: NoticeSubscription, selection: str, token: str) -> Mail:
    """Someone asked again for a subscription that exists: say so, and how to stop it."""
    language = subscription.language
    with force_locale(language):
        subject = _("You already receive these change notices")
        body = "\n".join([
            _("Hello,"),
            "",
            _("this address already receives change notices of the Messekalender "
              "Südwestfalen for this selection:"),
            "",
            f"  {selection}",
            "",
            _("There is nothing else to do."),
            "",
            Phrases(language).footer(token),
        ])
    return Mail(subject, body + "\n", language, _unsubscribe_headers(token))


def _event_lines(event: Event, language: str) -> list[str]:
    """When, where and the link of an event."""
    venue = event.venue
    return [f"  {format_event_when(event, language)}",
            f"  {venue.name}, {venue.municipality.name}",
            f"  {event_url(event)}"]


def _entry_block(entry: DigestEntry, language: str) -> list[str]:
    """One event in a digest: its title (and what changed), when, where, the link; for a
    cancelled event the reason. Called within ``force_locale(language)``."""
    title = entry.event.title
    if entry.changed:
        words = {"date": _("date and time"), "place": _("place"), "title": _("title"),
                 "details": _("details")}
        title += " — " + _("changed: %(what)s",
                           what=", ".join(words[name] for name in entry.changed))
    lines = [f"* {title}", *_event_lines(entry.event, language)]
    if entry.kind == "cancelled" and entry.event.cancellation_reason:
        lines.append("  " + _("Reason: %(reason)s", reason=entry.event.cancellation_reason))
    return lines


def digest(subscription: NoticeSubscription, selection: str, entries: list[DigestEntry],
           token: str, cache: MailCache | None = None) -> Mail:
    """The weekly summary: new, changed and cancelled events of the selection. With a
    ``cache``, what several mails share is put into words once."""
    language = subscription.language
    cache = cache or MailCache()
    phrases = cache.phrases_in(language)
    sections: dict[str, list[DigestEntry]] = {"new": [], "changed": [], "cancelled": []}
    for entry in entries:
        sections[entry.kind].append(entry)
    with force_locale(language):
        subject = ngettext(
            "Messekalender Südwestfalen: %(num)d change in your selection this week",
            "Messekalender Südwestfalen: %(num)d changes in your selection this week",
            len(entries))
        lines = [phrases.hello, "", phrases.digest_intro, "", f"  {selection}"]
        for kind, items in sections.items():
            if not items:
                continue
            lines += ["", f"{phrases.headings[kind]} ({len(items)})", ""]
            for entry in items:
                key = (entry.event.id, entry.kind, entry.changed, language)
                if key not in cache.blocks:
                    cache.blocks[key] = _entry_block(entry, language)
                lines += [*cache.blocks[key], ""]
        lines += ["", phrases.footer(token)]
    return Mail(subject, "\n".join(lines) + "\n", language, _unsubscribe_headers(token))


def alert(subscription: NoticeSubscription, selection: str, notice: Alert, token: str
          ) -> Mail:
    """At once: an event of the selection in the next 14 days was cancelled or moved."""
    language = subscription.language
    event = notice.event
    with force_locale(language):
        when = format_event_when(event, language)
        if event.status == "cancelled":
            subject = _("Cancelled: %(title)s", title=event.title)
            lines = [_("Hello,"), "",
                     _("an event of your selection has been cancelled:"), "",
                     f"* {event.title}", *_event_lines(event, language)]
            if event.cancellation_reason:
                lines.append("  " + _("Reason: %(reason)s", reason=event.cancellation_reason))
        else:
            subject = _("Moved: %(title)s", title=event.title)
            lines = [_("Hello,"), "", _("an event of your selection has moved:"), "",
                     f"* {event.title}"]
            if notice.moved_from is not None:
                lines += ["  " + _("New: %(when)s", when=when),
                          "  " + _("Before: %(when)s",
                                   when=format_event_when(notice.moved_from, language))]
            else:
                lines.append(f"  {when}")
            venue = event.venue
            if notice.venue_from is not None:
                lines += ["  " + _("New place: %(place)s",
                                   place=f"{venue.name}, {venue.municipality.name}"),
                          "  " + _("Before: %(place)s", place=f"{notice.venue_from.name}, "
                                   f"{notice.venue_from.municipality.name}")]
            else:
                lines.append(f"  {venue.name}, {venue.municipality.name}")
            lines.append(f"  {event_url(event)}")
        lines += ["", _("Your selection: %(selection)s", selection=selection), "",
                  Phrases(language).footer(token)]
    return Mail(subject, "\n".join(lines) + "\n", language, _unsubscribe_headers(token))
