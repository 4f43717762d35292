"""Open data: every published event as CSV and JSON under the "Datenlizenz Deutschland –
Namensnennung – 2.0", and the page that documents every field (``/open-data``).

The field list below is the one source of the CSV header, the JSON keys and the
documentation, so they cannot drift apart; the addresses and field names are a public
contract: fields may be added at the end, never renamed or removed.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import NamedTuple

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.booths.exports import neutralise
from app.booths.models import Booking, BoothSetup, booking_occupations
from app.calendar.models import Event
from app.calendar.services import PUBLIC_STATUSES, events_query
from app.extensions import db
from app.reference.codes import AUDIENCES, DISTRICT_CODES, EVENT_TYPES, INDUSTRY_CODES
from app.reference.models import Occupation
from app.time import as_utc, local_zone, now_utc, to_local

bp = Blueprint("open_data", __name__)

LICENCE = {
    "name": "Datenlizenz Deutschland – Namensnennung – 2.0",
    "id": "dl-de/by-2-0",
    "url": "https://www.govdata.de/dl-de/by-2-0",
    "attribution": "Messekalender Südwestfalen",
}
LIST_SEPARATOR = ";"


class Field(NamedTuple):
    name: str
    kind: str  # as documented: text, integer, number, boolean, date, date-time, list
    description: object  # a lazy translation


FIELDS: tuple[Field, ...] = (
    Field("id", "integer", _l("The event's number in the calendar; never reused.")),
    Field("uid", "text", _l("The event's permanent identifier, the same as the UID in the "
                            "iCal feeds.")),
    Field("url", "text", _l("The event's page in the calendar.")),
    Field("title", "text", _l("The title, as the organiser wrote it.")),
    Field("type", "text", _l("The kind of event, as a code (see the codes below).")),
    Field("status", "text", _l("published, or cancelled (the event is off).")),
    Field("all_day", "boolean", _l("true for events over whole days (then start and end "
                                   "are dates).")),
    Field("start", "date-time", _l("Start in local time (Europe/Berlin) with its UTC "
                                   "offset, e.g. 2027-03-14T09:00:00+01:00; a date for "
                                   "whole-day events.")),
    Field("end", "date-time", _l("End, in the same form; for whole-day events the last "
                                 "day (inclusive).")),
    Field("district", "text", _l("The district's code: HSK, OE, SI, SO or MK.")),
    Field("municipality", "text", _l("The town or municipality of the venue.")),
    Field("ags", "text", _l("The municipality's official key (Amtlicher "
                            "Gemeindeschlüssel, 8 digits).")),
    Field("venue", "text", _l("The venue's name.")),
    Field("street", "text", _l("The venue's street and number, where known.")),
    Field("postal_code", "text", _l("The venue's postal code.")),
    Field("latitude", "number", _l("The venue's latitude (WGS 84); the municipality's "
                                   "reference point where the venue has none.")),
    Field("longitude", "number", _l("The venue's longitude (WGS 84), likewise.")),
    Field("organiser", "text", _l("The organising chamber, agency, university or "
                                  "network.")),
    Field("industries", "list", _l("The industries addressed, as codes.")),
    Field("audiences", "list", _l("The audiences addressed, as codes.")),
    Field("grade_from", "integer", _l("For pupils: the lowest school grade addressed, "
                                      "where given.")),
    Field("grade_to", "integer", _l("For pupils: the highest school grade addressed, "
                                    "where given.")),
    Field("occupations", "list", _l("The apprenticeship occupations that the confirmed "
                                    "exhibitors offer (fairs with booths only).")),
    Field("exhibitors", "integer", _l("The number of confirmed exhibitors (fairs with "
                                      "booths only; otherwise empty).")),
    Field("updated", "date-time", _l("The last change of the event, in UTC.")),
    Field("admission_free", "boolean", _l("true when the organiser says admission is "
                                          "free; false when not said.")),
)


def _exhibitors() -> tuple[dict[int, int], dict[int, list[str]]]:
    """Confirmed exhibitors per fair, and the occupations they offer, by event id."""
    counts = dict(db.session.execute(
        select(BoothSetup.event_id, func.count(Booking.id))
        .outerjoin(Booking, (Booking.event_id == BoothSetup.event_id)
                   & (Booking.status == "confirmed"))
        .where(BoothSetup.takes_exhibitors)
        .group_by(BoothSetup.event_id)).tuples().all())
    occupations: dict[int, list[str]] = defaultdict(list)
    for event_id, name in db.session.execute(
        select(Booking.event_id, Occupation.name).distinct()
        .join(booking_occupations, booking_occupations.c.booking_id == Booking.id)
        .join(Occupation, Occupation.id == booking_occupations.c.occupation_id)
        .join(BoothSetup, BoothSetup.event_id == Booking.event_id)
        .where(Booking.status == "confirmed", BoothSetup.takes_exhibitors)
        .order_by(Booking.event_id, Occupation.name)
    ).tuples():
        occupations[event_id].append(name)
    return counts, occupations


def event_records() -> list[dict]:
    """Every published (or cancelled) event as a record of ``FIELDS``."""
    base = current_app.config["BASE_URL"].rstrip("/")
    counts, occupations = _exhibitors()
    records = []
    events = db.session.execute(
        events_query().where(Event.status.in_(PUBLIC_STATUSES))).scalars()
    for event in events:
        town = event.venue.municipality
        latitude, longitude = event.venue.coordinates
        grade_from, grade_to = event.pupil_grades
        records.append({
            "id": event.id, "uid": event.uid, "url": f"{base}/events/{event.id}",
            "title": event.title, "type": event.event_type, "status": event.status,
            "all_day": event.all_day,
            "start": (event.first_day.isoformat() if event.all_day
                      else to_local(event.starts_at).isoformat()),
            "end": (event.last_day.isoformat() if event.all_day
                    else to_local(event.ends_at).isoformat()),
            "district": town.district_code,
            "municipality": town.name, "ags": town.ags, "venue": event.venue.name,
            "street": event.venue.street,
            "postal_code": event.venue.postal_code or town.postal_code,
            "latitude": latitude, "longitude": longitude,
            "organiser": event.organisation.name,
            "industries": event.industry_codes, "audiences": event.audience_codes,
            "grade_from": grade_from, "grade_to": grade_to,
            "occupations": occupations.get(event.id, []),
            "exhibitors": counts.get(event.id),
            "updated": as_utc(event.updated_at).isoformat(),
            "admission_free": bool(event.admission_free),
        })
    return records


def _download(data: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=900"
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


@bp.get("/open-data/events.csv")
def events_csv():
    """The events as CSV (RFC 4180, UTF-8, comma; lists separated by semicolons)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([field.name for field in FIELDS])
    for record in event_records():
        writer.writerow([_cell(record[field.name]) for field in FIELDS])
    return _download(out.getvalue(), "text/csv", "messekalender-events.csv")


def _cell(value: object) -> object:
    if isinstance(value, list):
        return neutralise(LIST_SEPARATOR.join(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


@bp.get("/open-data/events.json")
def events_json():
    """The events as JSON, with the licence and the documentation's address."""
    base = current_app.config["BASE_URL"].rstrip("/")
    document = {
        "licence": LICENCE,
        "documentation": base + url_for("open_data.index"),
        "generated": now_utc().isoformat(timespec="seconds"),
        "timezone": local_zone().key,
        "events": event_records(),
    }
    return _download(json.dumps(document, ensure_ascii=False), "application/json",
                     "messekalender-events.json")


@bp.get("/open-data")
def index():
    """What the data holds, field by field, its licence and its stable addresses."""
    return render_template("public/open_data.html", fields=FIELDS, licence=LICENCE,
                           event_types=EVENT_TYPES, audiences=AUDIENCES,
                           districts=DISTRICT_CODES, industries=INDUSTRY_CODES,
                           separator=LIST_SEPARATOR)
