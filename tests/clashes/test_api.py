"""``/api/v1/clashes``: list, check (nothing stored), accept, resolve; bad input is a 4xx
JSON error in the documented shape, never a 500."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.calendar.models import Venue
from app.clashes import scan as clash_scan
from app.clashes.models import Clash, ClashAction
from app.extensions import db
from app.time import now_utc
from tests.api.conftest import api, bearer, spec, token_for  # noqa: F401
from tests.clashes.conftest import SATURDAY

JSON = "application/json"


def body(**overrides) -> dict:
    data = {
        "type": "training_fair",
        "start": "2027-06-12T10:00:00+02:00",
        "end": "2027-06-12T15:00:00+02:00",
        "audiences": [{"code": "pupils", "grade_from": 8, "grade_to": 10}],
        "venue": {"name": "Siegerlandhalle", "municipality": "Siegen"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def setup(make_event, org_a, org_b, organiser_a, organiser_b, organiser_c, token_for):  # noqa: F811
    first = make_event("Messe A", organisation=org_a, day=SATURDAY)
    second = make_event("Messe B", organisation=org_b, day=SATURDAY, event_type="job_fair")
    clash_scan.scan_all(now_utc())
    db.session.commit()
    clash = db.session.execute(select(Clash)).scalar_one()
    return {
        "clash": clash.id, "first": first, "second": second,
        "a": bearer(token_for(organiser_a)), "b": bearer(token_for(organiser_b)),
        "c": bearer(token_for(organiser_c)),
    }


def test_list_shows_the_clash_from_the_own_side(api, setup):  # noqa: F811
    response = api.get("/api/v1/clashes", headers=setup["b"])
    assert response.status_code == 200
    item = response.get_json()["items"][0]
    assert item["rule"] == "same_venue" and item["severity"] == "hard"
    assert item["event"]["title"] == "Messe B" and item["other_event"]["title"] == "Messe A"
    assert "Messe A" in item["explanation"]["de"] and "IHK Siegen" in item["explanation"]["en"]
    assert api.get("/api/v1/clashes", headers=setup["c"]).get_json()["items"] == []
    assert api.get("/api/v1/clashes?district=MK", headers=setup["a"]).get_json()["total"] == 0
    assert api.get(f"/api/v1/clashes?event={setup['first'].id}&status=open",
                   headers=setup["a"]).get_json()["total"] == 1


def test_list_needs_an_organiser_token(api, setup, make_user, make_company, token_for):  # noqa: F811
    assert api.get("/api/v1/clashes").status_code == 401
    company = make_user("firma@example.org", "company", company=make_company())
    assert api.get("/api/v1/clashes", headers=bearer(token_for(company))).status_code == 403


@pytest.mark.usefixtures("fixed_clock")  # suggestions start today; the fair is in 2027
def test_check_returns_clashes_and_stores_nothing(api, setup):  # noqa: F811
    venues = db.session.execute(select(func.count()).select_from(Venue)).scalar()
    response = api.post("/api/v1/clashes/check", headers=setup["c"],
                        json=body(venue={"name": "Neue Halle", "municipality": "Siegen"},
                                  suggest_days=28))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["hard"] == 2  # same district, both training fairs / shared audience
    assert {item["other_event"]["title"] for item in result["clashes"]} == {"Messe A",
                                                                             "Messe B"}
    assert result["suggestions"] == ["2027-06-19", "2027-06-26", "2027-07-03", "2027-07-10"]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Venue)).scalar() == venues
    assert db.session.execute(select(func.count()).select_from(Clash)).scalar() == 1


def test_check_of_an_edited_event_leaves_it_out(api, setup):  # noqa: F811
    response = api.post("/api/v1/clashes/check", headers=setup["a"],
                        json=body(event_id=setup["first"].id))
    titles = [item["other_event"]["title"] for item in response.get_json()["clashes"]]
    assert titles == ["Messe B"]
    other = api.post("/api/v1/clashes/check", headers=setup["a"],
                     json=body(event_id=setup["second"].id))
    assert other.status_code == 403


def test_accept_and_resolve(api, setup):  # noqa: F811
    url = f"/api/v1/clashes/{setup['clash']}"
    response = api.post(f"{url}/accept", headers=setup["b"], json={"note": "Abgesprochen"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    assert response.get_json()["actions"][-1]["note"] == "Abgesprochen"
    response = api.post(f"{url}/resolve", headers=setup["a"])
    assert response.status_code == 422  # neither event changed: say how it was resolved
    assert "note" in str(response.get_json())
    response = api.post(f"{url}/resolve", headers=setup["a"], json={"note": "B zieht um"})
    assert response.get_json()["status"] == "resolved"
    assert db.session.execute(select(func.count()).select_from(ClashAction)).scalar() == 3


def test_an_organiser_of_another_organisation_cannot_accept(api, setup):  # noqa: F811
    response = api.post(f"/api/v1/clashes/{setup['clash']}/accept", headers=setup["c"],
                        json={"note": "Nicht meins"})
    assert response.status_code == 404
    assert db.session.get(Clash, setup["clash"]).status == "open"


def raw(text: str, content_type: str = JSON) -> dict:
    return {"data": text.encode("utf-8", "surrogatepass"), "content_type": content_type}


# (case id, method, path (with {clash}), request kwargs, status, field the error names)
CASES = [
    ("check malformed json", "post", "/check", raw("{"), 400, None),
    ("check form body", "post", "/check", raw("a=b", "application/x-www-form-urlencoded"),
     415, None),
    ("check empty", "post", "/check", {"json": {}}, 422, "type"),
    ("check json list", "post", "/check", raw("[]"), 422, "body"),
    ("check end before start", "post", "/check",
     {"json": body(end="2027-06-12T09:00:00+02:00")}, 422, "end"),
    ("check nonexistent time", "post", "/check",
     {"json": body(start="2027-03-28T02:30:00", end="2027-03-28T05:00:00")}, 422, "start"),
    ("check unknown town", "post", "/check",
     {"json": body(venue={"name": "Halle", "municipality": "Berlin"})}, 422,
     "venue.municipality"),
    ("check unknown audience", "post", "/check", {"json": body(audiences=[{"code": "x"}])},
     422, "audiences.0.code"),
    ("check status given", "post", "/check", {"json": body(status="published")}, 422,
     "status"),
    ("check suggest too far", "post", "/check", {"json": body(suggest_days=5000)}, 422,
     "suggest_days"),
    ("check suggest a string", "post", "/check", {"json": body(suggest_days="7")}, 422,
     "suggest_days"),
    ("check event_id unknown", "post", "/check", {"json": body(event_id=2147483647)}, 404,
     None),
    ("check event_id huge", "post", "/check", {"json": body(event_id=10**30)}, 422,
     "event_id"),
    ("check deep json", "post", "/check", raw("[" * 100_000 + "]" * 100_000), 400, None),
    ("accept without note", "post", "/{clash}/accept", {"json": {}}, 422, "note"),
    ("accept blank note", "post", "/{clash}/accept", {"json": {"note": "   "}}, 422, "note"),
    ("accept note too long", "post", "/{clash}/accept", {"json": {"note": "x" * 1001}}, 422,
     "note"),
    ("accept note NUL", "post", "/{clash}/accept", {"json": {"note": "a\u0000"}}, 422, "note"),
    ("accept unknown field", "post", "/{clash}/accept", {"json": {"note": "x", "y": 1}}, 422,
     "y"),
    ("accept malformed", "post", "/{clash}/accept", raw('{"note": '), 400, None),
    ("accept unknown clash", "post", "/999999/accept", {"json": {"note": "x"}}, 404, None),
    ("accept huge id", "post", "/99999999999999999999/accept", {"json": {"note": "x"}}, 404,
     None),
    ("resolve note a number", "post", "/{clash}/resolve", {"json": {"note": 5}}, 422, "note"),
    ("resolve form body", "post", "/{clash}/resolve", raw("note=x", "text/plain"), 415, None),
    ("list status unknown", "get", "?status=maybe", {}, 422, "status"),
    ("list district unknown", "get", "?district=XX", {}, 422, "district"),
    ("list event text", "get", "?event=abc", {}, 422, "event"),
    ("list page zero", "get", "?page=0", {}, 422, "page"),
    ("list per_page huge", "get", "?per_page=100000", {}, 422, "per_page"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "field"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused(api, setup, method, path, kwargs, status, field):  # noqa: F811
    before = db.session.execute(select(Clash.status, Clash.note)).all()
    url = "/api/v1/clashes" + path.format(clash=setup["clash"])
    response = getattr(api, method)(url, headers=setup["a"], **kwargs)
    assert response.status_code == status, response.get_json()
    if field is not None:
        assert field in response.get_json()["error"].get("fields", {}), response.get_json()
    db.session.expire_all()
    assert db.session.execute(select(Clash.status, Clash.note)).all() == before


def test_openapi_documents_the_clash_endpoints(spec):  # noqa: F811
    paths = spec["paths"]
    assert {"/api/v1/clashes", "/api/v1/clashes/check", "/api/v1/clashes/{clash_id}/accept",
            "/api/v1/clashes/{clash_id}/resolve"} <= set(paths)
    assert json.dumps(paths["/api/v1/clashes/check"]["post"]["responses"]["422"])
