"""schema.org ``Event`` data (JSON-LD) for the public event page, for search engines.

Only what the calendar knows for sure: dates in Europe/Berlin with their offset (whole
days as dates), the status (scheduled, cancelled, or rescheduled with the first
published start), the venue with address and coordinates, the organiser, the audiences
(pupils as an ``EducationalAudience`` with their grades). Types and properties are
checked against the schema.org vocabulary by the tests.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import select

from app.calendar.ical import german_labels
from app.calendar.models import Event, EventChange
from app.extensions import db
from app.reference.models import District
from app.time import to_local

SCHEMA = "https://schema.org/"


def _instant(value: datetime) -> str:
    return to_local(value).isoformat(timespec="minutes")


def _grades(first: int | None, last: int | None) -> str:
    if first and last:
        return f" (Klasse {first}–{last})" if first != last else f" (Klasse {first})"
    if first:
        return f" (ab Klasse {first})"
    return f" (bis Klasse {last})" if last else ""


def first_published_start(event: Event) -> datetime | None:
    """The start the event had when it was published, if it has moved since."""
    if event.published_at is None or not event.sequence:
        return None  # SEQUENCE counts every visible change since publication: none yet
    changes = db.session.execute(
        select(EventChange.changes).where(EventChange.event_id == event.id,
                                          EventChange.action == "updated",
                                          EventChange.at >= event.published_at)
        .order_by(EventChange.id)
    ).scalars()
    for change in changes:
        if "starts_at" in change and change["starts_at"][0]:
            before = datetime.fromisoformat(change["starts_at"][0])
            return before if before != event.starts_at else None
    return None


def event_json_ld(event: Event) -> dict:
    """The event as a schema.org ``Event`` (a dict; ``fragments.event_facts`` writes it
    with ``htmlsafe_json_dumps``, which escapes ``<``, ``>`` and ``&`` so that no text
    can end the script element)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    page = base + url_for("calendar.event", event_id=event.id)
    labels = german_labels()
    venue = event.venue
    town = venue.municipality
    district = db.session.get(District, town.district_code)
    latitude, longitude = venue.coordinates
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": page + "#event",
        "name": event.title,
        "url": page,
        "inLanguage": "de",
        "eventAttendanceMode": SCHEMA + "OfflineEventAttendanceMode",
        "location": {
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                **({"streetAddress": venue.street} if venue.street else {}),
                "postalCode": venue.postal_code or town.postal_code,
                "addressLocality": town.name,
                "addressRegion": district.name if district else town.district_code,
                "addressCountry": "DE",
            },
            "geo": {"@type": "GeoCoordinates", "latitude": round(latitude, 5),
                    "longitude": round(longitude, 5)},
        },
        "organizer": {"@type": "Organization", "name": event.organisation.name},
        "audience": [_audience(audience, labels.audiences[audience.code])
                     for audience in event.audiences],
    }
    if event.description:
        data["description"] = event.description
    if event.all_day:
        data["startDate"] = event.first_day.isoformat()
        data["endDate"] = event.last_day.isoformat()
    else:
        data["startDate"] = _instant(event.starts_at)
        data["endDate"] = _instant(event.ends_at)
    if event.admission_free:
        data["isAccessibleForFree"] = True
    if event.status == "cancelled":
        data["eventStatus"] = SCHEMA + "EventCancelled"
    elif (previous := first_published_start(event)) is not None:
        data["eventStatus"] = SCHEMA + "EventRescheduled"
        data["previousStartDate"] = to_local(previous).date().isoformat()  # a Date
    else:
        data["eventStatus"] = SCHEMA + "EventScheduled"
    return data


def _audience(audience, label: str) -> dict:
    if audience.code == "pupils":
        return {"@type": "EducationalAudience", "educationalRole": "student",
                "audienceType": label + _grades(audience.grade_from, audience.grade_to)}
    return {"@type": "Audience", "audienceType": label}
