"""Clashes explained in plain language, in every UI language."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_time
from flask_babel import force_locale, ngettext
from flask_babel import lazy_gettext as _l

from app.calendar.models import Event
from app.clashes.inputs import clash_config, holiday_name
from app.clashes.models import BlackoutPeriod, Clash
from app.clashes.rules import (
    BLACKOUT,
    NEIGHBOUR_DISTRICT,
    PUBLIC_HOLIDAY,
    RULES,
    SAME_DISTRICT,
    SAME_VENUE,
    TOO_CLOSE,
    TRAINING_FAIR,
)
from app.i18n import FORMATTING_LOCALES
from app.reference.codes import AUDIENCES, EVENT_TYPES
from app.time import (
    to_local,
)

LANGUAGES = ("de", "en")

MESSAGES = {
    SAME_VENUE: _l("“%(other)s” (%(organiser)s) takes place at the same venue, %(venue)s, "
                   "at the same time: %(when)s."),
    SAME_DISTRICT: _l("“%(other)s” (%(organiser)s) takes place at the same time in the same "
                      "district (%(district)s) for the same audience (%(audiences)s): "
                      "%(when)s."),
    "same_district_fairs": _l("“%(other)s” (%(organiser)s) is another training fair at the "
                              "same time in the same district (%(district)s): %(when)s."),
    NEIGHBOUR_DISTRICT: _l("“%(other)s” (%(organiser)s) takes place on the same day in the "
                           "neighbouring district %(district)s for the same audience "
                           "(%(audiences)s): %(when)s."),
    TOO_CLOSE: _l("“%(other)s” (%(organiser)s) is an event of the same kind (%(type)s) in "
                  "the same district (%(district)s) %(within_days)s: %(when)s."),
    PUBLIC_HOLIDAY: _l("%(day)s is a public holiday in North Rhine-Westphalia (%(name)s)."),
    BLACKOUT: _l("The event falls into “%(name)s” (%(first)s – %(last)s) of the calendar "
                 "“%(calendar)s”, which affects %(audiences)s."),
}


def _day(day: date, language: str) -> str:
    """A short date ('14.03.2027', '14 Mar 2027'), with Babel's own locale objects: a
    check explains a score of clashes in two languages, Flask-Babel's per-call context
    look-ups would cost more than the check itself."""
    return format_date(day, "medium", locale=FORMATTING_LOCALES.get(language, "de_DE"))


def _when(event_like, language: str) -> str:
    """A short local date (and time) in ``language``."""
    if event_like.all_day:
        first, last = event_like.first_day, event_like.last_day
        if first == last:
            return _day(first, language)
        return f"{_day(first, language)} – {_day(last, language)}"
    locale = FORMATTING_LOCALES.get(language, "de_DE")
    start, end = to_local(event_like.starts_at), to_local(event_like.ends_at)
    return (f"{_day(start.date(), language)}, {format_time(start.time(), 'short', locale=locale)}"
            f"–{format_time(end.time(), 'short', locale=locale)}")


def _labels(codes, table) -> str:
    return ", ".join(str(table[code]) for code in codes if code in table)


def explain(rule: str, subject_audiences: list[str], subject_type: str, other: Event | None,
            period: BlackoutPeriod | None, holiday: date | None, language: str) -> str:
    """The plain-language reason of a clash in ``language``, from the subject event's side:
    it names the other event, its organiser and why."""
    with force_locale(language):
        if rule == PUBLIC_HOLIDAY and holiday is not None:
            return str(MESSAGES[PUBLIC_HOLIDAY] % {
                "day": _day(holiday, language), "name": holiday_name(holiday, language)})
        if rule == BLACKOUT and period is not None:
            shared = [code for code in period.audiences if code in subject_audiences]
            return str(MESSAGES[BLACKOUT] % {
                "name": period.name, "first": _day(period.first_day, language),
                "last": _day(period.last_day, language),
                "calendar": period.calendar.name,
                "audiences": _labels(shared or period.audiences, AUDIENCES)})
        if other is None:
            return str(RULES.get(rule, rule))
        shared = [code for code in other.audience_codes if code in subject_audiences]
        key = rule
        if rule == SAME_DISTRICT and not shared and subject_type == TRAINING_FAIR:
            key = "same_district_fairs"
        return str(MESSAGES[key] % {
            "other": other.title, "organiser": other.organisation.name,
            "venue": other.venue.name, "when": _when(other, language),
            "district": other.venue.municipality.district.name,
            "audiences": _labels(shared, AUDIENCES),
            "type": str(EVENT_TYPES.get(other.event_type, other.event_type)),
            "within_days": within_days(clash_config().too_close_days),
        })


def messages(rule: str, subject_audiences: list[str], subject_type: str,
             other: Event | None = None, period: BlackoutPeriod | None = None,
             holiday: date | None = None) -> dict[str, str]:
    """The explanation in every UI language: ``{"de": ..., "en": ...}``."""
    return {language: explain(rule, subject_audiences, subject_type, other, period, holiday,
                              language) for language in LANGUAGES}


def clash_messages(clash: Clash, for_event: Event | None = None) -> dict[str, str]:
    """A stored clash explained from ``for_event``'s side (default: its first event)."""
    subject = for_event or clash.event
    other = clash.other_event if subject.id == clash.event_id else clash.event
    return messages(clash.rule, subject.audience_codes, subject.event_type,
                    other if clash.other_event_id else None, clash.blackout_period,
                    clash.holiday)


def within_days(days: int) -> str:
    """"within 2 days" with the right plural (the slack is configurable, 1 is possible)."""
    return ngettext("within %(num)d day", "within %(num)d days", days)
