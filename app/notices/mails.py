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


class Descriptions:
    """``describe`` remembered per selection and language, for runs over many mails."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], str] = {}

    def of(self, selection: str, event_filter: EventFilter, language: str) -> str:
        key = (selection, language)
        if key not in self._known:
            self._known[key] = describe(event_filter, language)
        return self._known[key]


def unsubscribe_url(token: str) -> str:
    return absolute_url(f"/notices/unsubscribe/{token}")


def _unsubscribe_headers(token: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{unsubscribe_url(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _footer(token: str) -> str:
    return "\n".join([
        RULE,
        _("You receive this mail because this address subscribed to change notices of "
          "the Messekalender Südwestfalen."),
        _("Stop them with one click (your address is then deleted):"),
        unsubscribe_url(token),
        _("Another selection: subscribe to it on %(url)s.", url=absolute_url("/feeds")),
    ])


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
            _footer(token),
        ])
    return Mail(subject, body + "\n", language, _unsubscribe_headers(token))


def _event_lines(event: Event, language: str, cache: dict | None = None) -> list[str]:
    """When, where and the link of an event (remembered in ``cache`` across mails)."""
    key = (event.id, language)
    if cache is not None and key in cache:
        return cache[key]
    venue = event.venue
    lines = [f"  {format_event_when(event, language)}",
             f"  {venue.name}, {venue.municipality.name}",
             f"  {event_url(event)}"]
    if cache is not None:
        cache[key] = lines
    return lines


def _changed_words(changed: tuple[str, ...]) -> str:
    words = {"date": _("date and time"), "place": _("place"), "title": _("title"),
             "details": _("details")}
    return ", ".join(words[name] for name in changed)


def digest(subscription: NoticeSubscription, selection: str, entries: list[DigestEntry],
           token: str, cache: dict | None = None) -> Mail:
    """The weekly summary: new, changed and cancelled events of the selection."""
    language = subscription.language
    sections = {"new": [], "changed": [], "cancelled": []}
    for entry in entries:
        sections[entry.kind].append(entry)
    with force_locale(language):
        subject = ngettext(
            "Messekalender Südwestfalen: %(num)d change in your selection this week",
            "Messekalender Südwestfalen: %(num)d changes in your selection this week",
            len(entries))
        lines = [_("Hello,"), "",
                 _("this is what changed this week in the Messekalender Südwestfalen for "
                   "your selection:"), "", f"  {selection}"]
        headings = {"new": _("New events"), "changed": _("Changed events"),
                    "cancelled": _("Cancelled events")}
        for kind, items in sections.items():
            if not items:
                continue
            lines += ["", f"{headings[kind]} ({len(items)})", ""]
            for entry in items:
                title = entry.event.title
                if entry.changed:
                    title += " — " + _("changed: %(what)s", what=_changed_words(entry.changed))
                lines += [f"* {title}", *_event_lines(entry.event, language, cache)]
                if kind == "cancelled" and entry.event.cancellation_reason:
                    lines.append("  " + _("Reason: %(reason)s",
                                          reason=entry.event.cancellation_reason))
                lines.append("")
        lines += ["", _footer(token)]
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
                  _footer(token)]
    return Mail(subject, "\n".join(lines) + "\n", language, _unsubscribe_headers(token))
