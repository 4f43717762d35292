"""Language choice and the date formatting that templates, feeds and mails share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from babel.dates import format_date, format_interval, format_skeleton, get_day_names
from babel.numbers import format_currency
from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale
from flask_login import current_user

from app.time import as_utc, local_zone, to_local


def select_locale() -> str:
    """German unless the visitor switched languages or their account prefers English."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        if session.get("lang") in languages:
            return session["lang"]
        if current_user and current_user.is_authenticated and current_user.language in languages:
            return current_user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale else "de"


# English dates in the British order ("Saturday, 14 March 2027"), as people here read them.
FORMATTING_LOCALES = {"de": "de_DE", "en": "en_GB"}


def formatting_locale() -> str:
    """The Babel locale for dates and numbers in the current language."""
    return FORMATTING_LOCALES.get(current_language(), "de_DE")


# Dates are formatted with Babel, which costs a good fraction of a millisecond per call;
# a list of 200 events has few distinct dates and times. The results depend only on the
# arguments (and the zone, which is part of the key), so they are remembered.
_FORMATS = 4096


@lru_cache(maxsize=_FORMATS)
def _format_date(day: date, form: str, locale: str) -> str:
    return format_date(day, format=form, locale=locale)


def format_day(day: date, form: str = "full") -> str:
    """E.g. 'Samstag, 14. März 2027' or 'Saturday, 14 March 2027'."""
    return _format_date(day, form, formatting_locale())


def format_event_when(event, language: str | None = None) -> str:
    """The date and time of an event in one readable line, in the local zone: the
    current language, or ``language`` ("de", "en") where there is no request to ask,
    e.g. in a mail (``force_locale`` does not reach ``current_language`` there)."""
    language = (FORMATTING_LOCALES.get(language, "de_DE") if language
                else formatting_locale())
    if event.all_day:
        return _when(language, None, event.first_day, event.last_day)
    return _when(language, local_zone(), as_utc(event.starts_at), as_utc(event.ends_at))


@lru_cache(maxsize=_FORMATS)
def _when(language: str, zone, first, last) -> str:
    """``format_event_when`` of whole days (``zone`` None) or of two UTC instants."""
    if zone is None:
        if first == last:
            return format_date(first, format="full", locale=language)
        return format_interval(first, last, "yMMMMEEEEd", locale=language)
    start, end = first.astimezone(zone), last.astimezone(zone)
    if start.date() == end.date():
        day = format_date(start.date(), format="full", locale=language)
        times = format_interval(start.time(), end.time(), "Hm", locale=language)
        # Babel's German interval already ends in "Uhr" in newer CLDR versions.
        suffix = " Uhr" if language.startswith("de") and not times.endswith("Uhr") else ""
        return f"{day}, {times}{suffix}"
    return format_interval(start, end, "yMMMMEEEEdHm", tzinfo=zone, locale=language)


def format_euros(cents: int, language: str | None = None) -> str:
    """A price for people: 250 € or 249,50 € in German, €250 / €249.50 in English; in
    the current language or in ``language``."""
    language = language or current_language()
    pattern = None if cents % 100 else "#,##0 ¤" if language == "de" else "¤#,##0"
    return format_currency(cents / 100, "EUR", format=pattern, locale=language,
                           currency_digits=bool(cents % 100))


def format_time(value: datetime) -> str:
    return _format_time(as_utc(value), local_zone(), formatting_locale())


@lru_cache(maxsize=_FORMATS)
def _format_time(value: datetime, zone, locale: str) -> str:
    return format_skeleton("Hm", value.astimezone(zone), locale=locale)


def format_deadline(value: datetime, language: str | None = None) -> str:
    """The last moment of a deadline, unambiguous: "25.05.2027, 23:59 Uhr" or
    "25 May 2027, 23:59", in the local zone; in the current language or ``language``
    (mails). A deadline at local midnight is shown as 23:59 of the day before, so
    "until 26 May, 00:00" never reads as if the 26th were still included."""
    local = to_local(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        local -= timedelta(minutes=1)
    locale = FORMATTING_LOCALES.get(language, "de_DE") if language else formatting_locale()
    day = _format_date(local.date(), "medium", locale)
    suffix = " Uhr" if locale.startswith("de") else ""
    return f"{day}, {format_skeleton('Hm', local, locale=locale)}{suffix}"


def format_month(day: date) -> str:
    """E.g. 'März 2027' or 'March 2027' (standalone month name, for headings)."""
    return _format_date(day, "LLLL yyyy", formatting_locale())


def format_month_short(day: date) -> str:
    """E.g. 'Mär' or 'Mar', for the date badge of a list entry."""
    return _format_date(day, "LLL", formatting_locale())


def weekday_names(width: str = "abbreviated") -> list[str]:
    """Monday-first weekday names, for the month grid's column headings."""
    names = get_day_names(width, context="format", locale=formatting_locale())
    return [names[index] for index in range(7)]


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        format_event_when=format_event_when,
        format_day=format_day,
        format_time=format_time,
        deadline=format_deadline,
        format_month=format_month,
        format_month_short=format_month_short,
        weekday_names=weekday_names,
        current_language=current_language,
        timedelta=timedelta,
    )
