"""``GET /api/v1/events?grade=…``: the calendar's grade filter in the API — the same
events, refusals as JSON errors, documented in the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import bearer

DAY = date(2027, 3, 10)


@pytest.fixture
def graded(make_event):
    make_event("Klasse 8 bis 10", audiences=("pupils",), grade_from=8, grade_to=10, day=DAY)
    make_event("Alle Klassen", audiences=("pupils",), day=DAY, town="Olpe",
               venue="Stadthalle Olpe")
    make_event("Oberstufe", audiences=("pupils",), grade_from=11, grade_to=13, day=DAY)
    make_event("Eltern", audiences=("parents",), day=DAY)
    make_event("Entwurf Klasse 9", audiences=("pupils",), grade_from=9, day=DAY,
               status="draft")


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return sorted(item["title"] for item in response.get_json()["items"])


def test_grades_filter_the_list(api, graded):
    assert titles(api.get("/api/v1/events?grade=9")) == ["Alle Klassen", "Klasse 8 bis 10"]
    assert titles(api.get("/api/v1/events?grade=8&grade=12")) == [
        "Alle Klassen", "Klasse 8 bis 10", "Oberstufe"]
    assert titles(api.get("/api/v1/events?grade=12&district=OE")) == ["Alle Klassen"]
    assert api.get("/api/v1/events?grade=9").get_json()["total"] == 2


def test_an_organiser_sees_own_drafts_by_grade_too(api, organiser_a, graded, token_for):
    """The events belong to organiser_a's organisation (the factory's default)."""
    response = api.get("/api/v1/events?grade=9", headers=bearer(token_for(organiser_a)))
    assert titles(response) == ["Alle Klassen", "Entwurf Klasse 9", "Klasse 8 bis 10"]


@pytest.mark.parametrize("raw", ["4", "14", "neun", "8-10", "", "9.5"])
def test_bad_grades_are_refused_with_a_json_error(api, graded, raw):
    response = api.get(f"/api/v1/events?grade={raw}")
    if raw == "":
        assert response.status_code == 200  # an empty value is no filter, as elsewhere
        return
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert "'grade' takes school grades from 5 to 13" in error["message"]


def test_the_grade_parameter_is_documented(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    grade = parameters["grade"]
    assert grade["schema"]["items"] == {"type": "integer", "minimum": 5, "maximum": 13}
    assert grade["explode"] is True
    assert "without a grade range" in grade["description"]
