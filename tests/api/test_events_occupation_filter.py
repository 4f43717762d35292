"""``GET /api/v1/events?occupation=<id>``: the calendar's occupation filter in the API —
the same events, the same refusals (as JSON errors), documented in the OpenAPI document;
and ``GET /api/v1/occupations``, where clients find the ids."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401
from tests.feeds.test_occupations_filter import fairs, occupation  # noqa: F401


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return sorted(item["title"] for item in response.get_json()["items"])


def test_only_fairs_where_a_confirmed_exhibitor_presents_it(api, fairs):  # noqa: F811
    mech, other = fairs
    assert titles(api.get(f"/api/v1/events?occupation={mech.id}")) == ["Messe Mechanik"]
    assert titles(api.get(f"/api/v1/events?occupation={other.id}")) == [
        "Messe Warteliste", "Messe Zerspanung"]
    both = api.get(f"/api/v1/events?occupation={mech.id}&occupation={other.id}")
    assert titles(both) == ["Messe Mechanik", "Messe Warteliste", "Messe Zerspanung"]
    assert both.get_json()["total"] == 3
    # Combined with the other filters like the calendar does (AND across parameters).
    assert titles(api.get(f"/api/v1/events?occupation={mech.id}&district=MK")) == []
    assert titles(api.get("/api/v1/events")) == [
        "Messe Mechanik", "Messe Warteliste", "Messe Zerspanung", "Messe ohne Aussteller"]


def test_an_occupation_nobody_presents_gives_an_empty_list(api, fairs):  # noqa: F811
    unused = occupation("Kaufmann/-frau für Büromanagement")
    body = api.get(f"/api/v1/events?occupation={unused.id}").get_json()
    assert body["items"] == [] and body["total"] == 0


def test_the_same_with_a_token(api, fairs, organiser, token_for):  # noqa: F811
    mech, _ = fairs
    response = api.get(f"/api/v1/events?occupation={mech.id}",
                       headers=bearer(token_for(organiser)))
    assert titles(response) == ["Messe Mechanik"]


@pytest.mark.parametrize(("raw", "message"), [
    ("999999", "Unknown occupation id 999999."),
    ("Industriemechaniker", "'occupation' takes occupation ids (numbers)."),
    ("-3", "'occupation' takes occupation ids (numbers)."),
    ("1" * 12, "'occupation' takes occupation ids (numbers)."),
])
def test_bad_values_are_a_json_422_naming_the_parameter(api, fairs, raw, message):  # noqa: F811
    response = api.get(f"/api/v1/events?occupation={raw}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"] == message
    assert error["fields"] == {"occupation": [message]}


def test_too_many_values_are_refused(api, fairs):  # noqa: F811
    mech, _ = fairs
    query = "&".join(f"occupation={mech.id}" for _ in range(21))
    response = api.get(f"/api/v1/events?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "occupation": ["Too many values for 'occupation'."]}


def test_the_parameter_is_documented(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    documented = parameters["occupation"]
    assert documented["in"] == "query"
    assert documented["schema"]["type"] == "array"
    assert documented["schema"]["items"] == {"type": "integer", "minimum": 1}
    assert documented["explode"] is True
    assert "/api/v1/occupations" in documented["description"]


def test_occupations_list_gives_the_ids(api, spec):
    body = api.get("/api/v1/occupations").get_json()
    mech = occupation("Industriemechaniker/-in")
    assert {"id": mech.id, "name": "Industriemechaniker/-in", "industry": "METALL"} in body[
        "items"]
    names = [item["name"] for item in body["items"]]
    assert names == sorted(names) and len(names) == len(set(names)) > 50
    assert spec["paths"]["/api/v1/occupations"]["get"]["responses"]["200"]
