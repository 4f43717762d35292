"""Malformed, oversized and hostile input: every write endpoint and the list answer with
a 4xx JSON error in the documented shape, store nothing and never fail with a 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.calendar.models import Event, EventChange, Venue
from app.extensions import db
from tests.api.conftest import bearer, timed

JSON = "application/json"


def raw(text: str, content_type: str = JSON) -> dict:
    return {"data": text.encode("utf-8", "surrogatepass"), "content_type": content_type}


def body(**overrides) -> dict:
    return {"json": timed(**overrides)}


def without(*names: str, **overrides) -> dict:
    data = timed(**overrides)
    for name in names:
        data.pop(name, None)
    return {"json": data}


def all_day(**overrides) -> dict:
    data = timed(**{"all_day": True, "first_day": "2027-09-24", "last_day": "2027-09-25",
                    **overrides})
    del data["start"], data["end"]
    for name in [name for name, value in overrides.items() if value is None]:
        del data[name]  # None means: leave the field out
    return {"json": data}


DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "x" * (3 * 1024 * 1024)

# (case id, request kwargs, expected status, a field the error must name or None)
CREATE_CASES = [
    ("malformed json", raw('{"title": '), 400, None),
    ("not json at all", raw("<xml/>"), 400, None),
    ("invalid utf-8", {"data": b'{"title": "\xff"}', "content_type": JSON}, 400, None),
    ("deeply nested json", raw(DEEP), 400, None),
    ("form content type", raw("title=x", "application/x-www-form-urlencoded"), 415, None),
    ("json as text/plain", raw(json.dumps(timed()), "text/plain"), 415, None),
    ("empty body", raw(""), 422, "title"),
    ("json array", raw("[]"), 422, "body"),
    ("json string", raw('"event"'), 422, "body"),
    ("json null", raw("null"), 422, "body"),
    ("enormous body", raw(json.dumps({"title": HUGE})), 413, None),
    ("title a number", body(title=42), 422, "title"),
    ("title a list", body(title=["a"]), 422, "title"),
    ("title null", body(title=None), 422, "title"),
    ("title too long", body(title="x" * 201), 422, "title"),
    ("title blank", body(title="   "), 422, "title"),
    ("title with NUL", body(title="Messe\u0000"), 422, "title"),
    ("title lone surrogate", raw('{"title": "\\ud800", "type": "job_fair"}'), 422, "title"),
    ("description too long", body(description="x" * 5001), 422, "description"),
    ("description a dict", body(description={"a": 1}), 422, "description"),
    ("type unknown", body(type="party"), 422, "type"),
    ("type missing", without("type"), 422, "type"),
    ("audiences a string", body(audiences="pupils"), 422, "audiences"),
    ("audiences codes", body(audiences=["pupils"]), 422, "audiences.0"),
    ("audiences empty", body(audiences=[]), 422, "audiences"),
    ("audience unknown", body(audiences=[{"code": "aliens"}]), 422, "audiences.0.code"),
    ("grades on parents", body(audiences=[{"code": "parents", "grade_from": 5}]), 422,
     "audiences.0"),
    ("grade out of range", body(audiences=[{"code": "pupils", "grade_to": 14}]), 422,
     "audiences.0.grade_to"),
    ("grade a string", body(audiences=[{"code": "pupils", "grade_from": "8"}]), 422,
     "audiences.0.grade_from"),
    ("grades reversed", body(audiences=[{"code": "pupils", "grade_from": 10,
                                         "grade_to": 8}]), 422, "audiences"),
    ("too many audiences", body(audiences=[{"code": "public"}] * 50), 422, "audiences"),
    ("industries a string", body(industries="AUTO"), 422, "industries"),
    ("industry unknown", body(industries=["AUTO", "SPACE"]), 422, "industries.1"),
    ("industries empty", body(industries=[]), 422, "industries"),
    ("end before start", body(end="2027-03-28T09:00:00+02:00"), 422, "end"),
    ("end equals start", body(end="2027-03-28T10:00:00+02:00"), 422, "end"),
    ("start only a date", body(start="2027-03-28"), 422, "start"),
    ("start garbage", body(start="tomorrow"), 422, "start"),
    ("start a number", body(start=1800000000), 422, "start"),
    ("start far future", body(start="9999-12-31T23:59:59-14:00"), 422, "start"),
    ("start nonexistent local", body(start="2027-03-28T02:30:00"), 422, "start"),
    ("start missing", without("start"), 422, "start"),
    ("timed with first_day", body(all_day=False, first_day="2027-03-28"), 422, "first_day"),
    ("implicitly timed with day", body(last_day="2027-03-28"), 422, "last_day"),
    ("all-day with start", body(all_day=True, first_day="2027-03-28",
                                last_day="2027-03-28"), 422, "start"),
    ("all-day reversed", all_day(last_day="2027-09-20"), 422, "last_day"),
    ("all-day missing day", all_day(last_day=None), 422, "last_day"),
    ("all-day invalid date", all_day(first_day="2027-02-30"), 422, "first_day"),
    ("all_day a string", body(all_day="perhaps"), 422, "all_day"),
    ("venue missing", without("venue"), 422, "venue"),
    ("venue a string", body(venue="Siegerlandhalle"), 422, "venue"),
    ("venue and venue_id", body(venue_id=1), 422, "venue"),
    ("venue_id unknown", without("venue", venue_id=999999), 422, "venue_id"),
    ("venue_id huge", without("venue", venue_id=10**30), 422, "venue_id"),
    ("venue_id a string", without("venue", venue_id="1"), 422, "venue_id"),
    ("venue_id a boolean", without("venue", venue_id=True), 422, "venue_id"),
    ("venue_id infinite", raw('{"venue_id": 1e400}'), 422, "venue_id"),
    ("venue_id NaN", raw('{"venue_id": NaN}'), 422, "venue_id"),
    ("venue town unknown", body(venue={"name": "Halle", "municipality": "Berlin"}), 422,
     "venue.municipality"),
    ("venue ags unknown", body(venue={"name": "Halle", "municipality": "99999999"}), 422,
     "venue.municipality"),
    ("venue name blank", body(venue={"name": " ", "municipality": "Olpe"}), 422,
     "venue.name"),
    ("venue name too long", body(venue={"name": "x" * 201, "municipality": "Olpe"}), 422,
     "venue.name"),
    ("venue postal code", body(venue={"name": "Halle", "municipality": "Olpe",
                                      "postal_code": "ABCDE"}), 422, "venue.postal_code"),
    ("venue unknown key", body(venue={"name": "Halle", "municipality": "Olpe",
                                      "id": 3}), 422, "venue.id"),
    ("url javascript", body(url="javascript:alert(1)"), 422, "url"),
    ("url too long", body(url="https://example.org/" + "a" * 500), 422, "url"),
    ("contact email invalid", body(contact={"email": "not-an-address"}), 422,
     "contact.email"),
    ("contact a list", body(contact=["a"]), 422, "contact"),
    ("contact phone too long", body(contact={"phone": "1" * 41}), 422, "contact.phone"),
    ("unknown field", body(evil="1; DROP TABLE events"), 422, "evil"),
    ("status cancelled", body(status="cancelled"), 422, "status"),
    ("status unknown", body(status="secret"), 422, "status"),
    ("organisation_id a string", body(organisation_id="1"), 422, "organisation_id"),
]

PATCH_CASES = [
    ("malformed json", raw("{"), 400, None),
    ("deeply nested json", raw(DEEP), 400, None),
    ("form content type", raw("title=x", "application/x-www-form-urlencoded"), 415, None),
    ("enormous body", raw(json.dumps({"description": HUGE})), 413, None),
    ("json array", raw("[1, 2]"), 422, "body"),
    ("json null", raw("null"), 422, "body"),
    ("title a number", {"json": {"title": 7}}, 422, "title"),
    ("title too long", {"json": {"title": "x" * 201}}, 422, "title"),
    ("title null", {"json": {"title": None}}, 422, "title"),
    ("description too long", {"json": {"description": "x" * 5001}}, 422, "description"),
    ("audiences a string", {"json": {"audiences": "pupils"}}, 422, "audiences"),
    ("industries unknown", {"json": {"industries": ["NOPE"]}}, 422, "industries.0"),
    ("end before start", {"json": {"end": "2020-01-01T10:00:00+01:00"}}, 422, "end"),
    ("start nonexistent local", {"json": {"start": "2027-03-28T02:15:00"}}, 422, "start"),
    ("all-day without days", {"json": {"all_day": True}}, 422, "first_day"),
    ("day for a timed event", {"json": {"first_day": "2027-03-28"}}, 422, "first_day"),
    ("status via patch", {"json": {"status": "cancelled"}}, 422, "status"),
    ("venue_id unknown", {"json": {"venue_id": 2147483647}}, 422, "venue_id"),
    ("venue incomplete", {"json": {"venue": {"name": "Halle"}}}, 422, "venue.municipality"),
    ("uid is read-only", {"json": {"uid": "x@example.org"}}, 422, "uid"),
]

STATUS_CASES = [
    ("malformed json", raw("{]"), 400, None),
    ("form content type", raw("status=published", "multipart/form-data; boundary=x"), 415,
     None),
    ("missing status", {"json": {}}, 422, "status"),
    ("status unknown", {"json": {"status": "deleted"}}, 422, "status"),
    ("status a number", {"json": {"status": 3}}, 422, "status"),
    ("status not allowed", {"json": {"status": "draft"}}, 422, "status"),
    ("reason without cancel", {"json": {"status": "published", "reason": "x"}}, 422,
     "reason"),
    ("reason too long", {"json": {"status": "cancelled", "reason": "x" * 1001}}, 422,
     "reason"),
]

CANCEL_CASES = [
    ("malformed json", raw('{"reason": "x"'), 400, None),
    ("form content type", raw("reason=x", "application/x-www-form-urlencoded"), 415, None),
    ("enormous body", raw(json.dumps({"reason": HUGE})), 413, None),
    ("reason a number", {"json": {"reason": 12}}, 422, "reason"),
    ("reason too long", {"json": {"reason": "x" * 1001}}, 422, "reason"),
    ("reason with NUL", {"json": {"reason": "\u0000"}}, 422, "reason"),
    ("unknown field", {"json": {"notify": True}}, 422, "notify"),
    ("json list", raw('["reason"]'), 422, "body"),
    ("whitespace body", raw("   "), 400, None),
]

LIST_CASES = [
    ("page negative", "page=-1", 422, "page"),
    ("page zero", "page=0", 422, "page"),
    ("page huge", "page=" + "9" * 30, 422, "page"),
    ("page text", "page=abc", 422, "page"),
    ("per_page too big", "per_page=201", 422, "per_page"),
    ("per_page zero", "per_page=0", 422, "per_page"),
    ("district unknown", "district=XX", 422, "district"),
    ("district injection", "district=HSK%27%20OR%201%3D1", 422, "district"),
    ("too many districts", "&".join(["district=HSK"] * 21), 422, "district"),
    ("type unknown", "type=party", 422, "type"),
    ("audience NUL", "audience=%00", 422, "audience"),
    ("from invalid", "from=2027-13-01", 422, "from"),
    ("from garbage", "from=yesterday", 422, "from"),
    ("to before from", "from=2027-05-01&to=2027-04-01", 422, "to"),
]


def _snapshot() -> tuple:
    db.session.expire_all()
    events = db.session.execute(
        select(Event.id, Event.title, Event.status, Event.sequence, Event.updated_at,
               Event.starts_at, Event.ends_at, Event.venue_id).order_by(Event.id)
    ).all()
    counts = tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                   for model in (EventChange, Venue))
    return tuple(events), counts


@pytest.fixture
def setup(make_event, organiser_a, token_for) -> dict:
    event = make_event(organisation=organiser_a.organisation, status="published")
    return {"event": event.id, "headers": bearer(token_for(organiser_a))}


def _check(response, status: int, field: str | None) -> None:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    if field is not None:
        assert field in error.get("fields", {}), error


@pytest.mark.parametrize(("kwargs", "status", "field"),
                         [case[1:] for case in CREATE_CASES],
                         ids=[case[0] for case in CREATE_CASES])
def test_create_refuses(api, setup, kwargs, status, field):
    before = _snapshot()
    response = api.post("/api/v1/events", headers=setup["headers"], **kwargs)
    _check(response, status, field)
    assert _snapshot() == before


@pytest.mark.parametrize(("kwargs", "status", "field"),
                         [case[1:] for case in PATCH_CASES],
                         ids=[case[0] for case in PATCH_CASES])
def test_patch_refuses(api, setup, kwargs, status, field):
    before = _snapshot()
    response = api.patch(f"/api/v1/events/{setup['event']}", headers=setup["headers"],
                         **kwargs)
    _check(response, status, field)
    assert _snapshot() == before


@pytest.mark.parametrize(("kwargs", "status", "field"),
                         [case[1:] for case in STATUS_CASES],
                         ids=[case[0] for case in STATUS_CASES])
def test_status_refuses(api, setup, kwargs, status, field):
    before = _snapshot()
    response = api.post(f"/api/v1/events/{setup['event']}/status", headers=setup["headers"],
                        **kwargs)
    _check(response, status, field)
    assert _snapshot() == before


@pytest.mark.parametrize(("kwargs", "status", "field"),
                         [case[1:] for case in CANCEL_CASES],
                         ids=[case[0] for case in CANCEL_CASES])
def test_cancel_refuses(api, setup, kwargs, status, field):
    before = _snapshot()
    response = api.post(f"/api/v1/events/{setup['event']}/cancel", headers=setup["headers"],
                        **kwargs)
    _check(response, status, field)
    assert _snapshot() == before


@pytest.mark.parametrize(("query", "status", "field"),
                         [case[1:] for case in LIST_CASES],
                         ids=[case[0] for case in LIST_CASES])
def test_list_refuses(api, setup, query, status, field):
    _check(api.get(f"/api/v1/events?{query}"), status, field)


@pytest.mark.parametrize(("method", "path", "payload"), [
    ("patch", "/api/v1/events/99999999999999999999", {"title": "x"}),
    ("post", "/api/v1/events/99999999999999999999/cancel", {}),
    ("post", "/api/v1/events/99999999999999999999/status", {"status": "cancelled"}),
    ("post", "/api/v1/events/0/cancel", {}),
])
def test_write_to_out_of_range_ids_is_404(api, setup, method, path, payload):
    before = _snapshot()
    response = getattr(api, method)(path, json=payload, headers=setup["headers"])
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path", "status"), [
    ("delete", "/api/v1/events", 405),
    ("put", "/api/v1/events/1", 405),
    ("get", "/api/v1/nothing", 404),
    ("get", "/api/v1/events/1/cancel", 405),
])
def test_unrouted_requests_are_json(api, setup, method, path, status):
    response = getattr(api, method)(path, headers=setup["headers"])
    assert response.status_code == status
