"""How every class-visit page and mail writes slots, statuses and numbers."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_skeleton

from app.i18n import FORMATTING_LOCALES, formatting_locale
from app.time import to_local
from app.visits.codes import CLASS_STATUSES, MAX_GRADE, MIN_GRADE


def labels() -> dict:
    """For the templates of the visit pages."""
    return {"class_statuses": CLASS_STATUSES, "slot_span": local_span,
            "slot_time": slot_time, "grades": range(MIN_GRADE, MAX_GRADE + 1)}


def _locale(language: str | None) -> str:
    return FORMATTING_LOCALES.get(language, "de_DE") if language else formatting_locale()


def local_span(starts_at: datetime, ends_at: datetime | None = None,
               language: str | None = None) -> str:
    """"Fr., 12. Sept. 2025, 08:30–10:00 Uhr" in Europe/Berlin, in the current language
    or ``language`` (mails have no request to ask); a single instant without an end."""
    locale = _locale(language)
    start = to_local(starts_at)
    day = format_date(start.date(), format="medium", locale=locale)
    weekday = format_date(start.date(), format="EEE", locale=locale)
    suffix = " Uhr" if locale.startswith("de") else ""
    text = f"{weekday}, {day}, {format_skeleton('Hm', start, locale=locale)}"
    if ends_at is None:
        return text + suffix
    end = to_local(ends_at)
    if end.date() != start.date():
        return (f"{text}{suffix} – {format_date(end.date(), format='medium', locale=locale)}, "
                f"{format_skeleton('Hm', end, locale=locale)}{suffix}")
    return f"{text}–{format_skeleton('Hm', end, locale=locale)}{suffix}"


def slot_time(starts_at: datetime, ends_at: datetime, language: str | None = None) -> str:
    """"08:30–10:00" (the day is said elsewhere)."""
    locale = _locale(language)
    return (f"{format_skeleton('Hm', to_local(starts_at), locale=locale)}–"
            f"{format_skeleton('Hm', to_local(ends_at), locale=locale)}")


def slot_clock(starts_at: datetime, ends_at: datetime) -> str:
    """"09:00–10:15 Uhr" (German) or "09:00–10:15", for a list on one day."""
    suffix = " Uhr" if _locale(None).startswith("de") else ""
    return slot_time(starts_at, ends_at) + suffix
