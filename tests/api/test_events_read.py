"""Listing and reading events: filters, pagination, visibility, the JSON shape."""

from __future__ import annotations

from datetime import date

from app.accounts.services import revoke_token
from app.extensions import db
from tests.api.conftest import bearer


def titles(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def test_filters_return_exactly_the_matching_events(api, make_event):
    make_event("Siegen Pupils", town="Siegen", day=date(2027, 3, 6))
    make_event("Arnsberg Jobs", town="Arnsberg", venue="Sauerlandtheater",
               day=date(2027, 3, 13), event_type="job_fair",
               audiences=("jobseekers",), industries=("METALL",))
    make_event("Soest Open Day", town="Soest", venue="Stadthalle", day=date(2027, 4, 3),
               event_type="open_day", audiences=("pupils",), industries=("AUTO",))
    make_event("Olpe Parents", town="Olpe", venue="Stadthalle Olpe", day=date(2027, 5, 1),
               event_type="info_evening", audiences=("parents",))

    assert titles(api.get("/api/v1/events")) == [
        "Siegen Pupils", "Arnsberg Jobs", "Soest Open Day", "Olpe Parents"]
    assert titles(api.get("/api/v1/events?district=HSK&district=SO")) == [
        "Arnsberg Jobs", "Soest Open Day"]
    assert titles(api.get("/api/v1/events?audience=pupils")) == [
        "Siegen Pupils", "Soest Open Day"]
    assert titles(api.get("/api/v1/events?type=job_fair&type=info_evening")) == [
        "Arnsberg Jobs", "Olpe Parents"]
    assert titles(api.get("/api/v1/events?industry=AUTO&industry=METALL")) == [
        "Arnsberg Jobs", "Soest Open Day"]
    assert titles(api.get("/api/v1/events?from=2027-03-13&to=2027-04-03")) == [
        "Arnsberg Jobs", "Soest Open Day"]
    assert titles(api.get("/api/v1/events?district=SI&district=SO&audience=pupils"
                          "&from=2027-03-07")) == ["Soest Open Day"]
    assert titles(api.get("/api/v1/events?district=MK")) == []


def test_pagination_counts_everything(api, make_event):
    for day in range(1, 6):
        make_event(f"Messe {day}", day=date(2027, 6, day))

    first = api.get("/api/v1/events?per_page=2").get_json()
    last = api.get("/api/v1/events?per_page=2&page=3").get_json()
    beyond = api.get("/api/v1/events?per_page=2&page=9").get_json()

    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (5, 3, 1, 2)
    assert [item["title"] for item in first["items"]] == ["Messe 1", "Messe 2"]
    assert [item["title"] for item in last["items"]] == ["Messe 5"]
    assert beyond["items"] == [] and beyond["total"] == 5


def test_unknown_query_parameters_are_ignored(api, make_event):
    make_event("Messe")
    assert titles(api.get("/api/v1/events?sort=evil&callback=x")) == ["Messe"]


def _statuses(make_event, org_a, org_b) -> dict[str, int]:
    return {
        "a-draft": make_event("a-draft", organisation=org_a, status="draft").id,
        "a-planned": make_event("a-planned", organisation=org_a, status="planned").id,
        "b-draft": make_event("b-draft", organisation=org_b, status="draft").id,
        "b-planned": make_event("b-planned", organisation=org_b, status="planned").id,
        "b-published": make_event("b-published", organisation=org_b).id,
        "b-cancelled": make_event("b-cancelled", organisation=org_b, status="cancelled").id,
    }


def test_visibility_by_token(api, make_event, org_a, org_b, organiser_a, company_user,
                             admin_user, token_for):
    ids = _statuses(make_event, org_a, org_b)
    public = {"b-published", "b-cancelled"}
    expected = {
        None: public,
        company_user: public,
        organiser_a: public | {"a-draft", "a-planned", "b-planned"},
        admin_user: set(ids),
    }
    for user, visible in expected.items():
        headers = bearer(token_for(user)) if user else {}
        listed = set(titles(api.get("/api/v1/events", headers=headers)))
        assert listed == visible, user
        for title, event_id in ids.items():
            response = api.get(f"/api/v1/events/{event_id}", headers=headers)
            assert response.status_code == (200 if title in visible else 404), (user, title)
            if title not in visible:
                assert response.get_json()["error"]["code"] == "not_found"


def test_invisible_and_missing_events_look_the_same(api, make_event, org_b):
    draft = make_event("Geheim", organisation=org_b, status="draft")
    hidden = api.get(f"/api/v1/events/{draft.id}").get_json()
    missing = api.get("/api/v1/events/987654").get_json()
    assert hidden == missing


def test_out_of_range_ids_are_404(api):
    for path in ("/api/v1/events/99999999999999999999", "/api/v1/events/0",
                 "/api/v1/events/-1", "/api/v1/events/abc", "/api/v1/events/2147483648"):
        assert api.get(path).status_code == 404, path


def test_revoked_token_cannot_read(api, make_event, organiser_a, token_for):
    make_event("Öffentlich")
    token = token_for(organiser_a)
    revoke_token(organiser_a.tokens[0])
    db.session.commit()
    response = api.get("/api/v1/events", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_token_use_is_recorded(api, organiser_a, token_for):
    token = token_for(organiser_a)
    api.get("/api/v1/events", headers=bearer(token))
    db.session.expire_all()
    assert organiser_a.tokens[0].last_used_at is not None


def test_event_json(api, make_event):
    event = make_event(
        "Azubi-Speed-Dating", town="Lüdenscheid", venue="Kulturhaus", day=date(2027, 3, 27),
        event_type="speed_dating", industries=("METALL", "AUTO"), grade_from=9, grade_to=13,
        contact_name="Frau Beispiel", url="https://example.org/speed",
    )
    whole_day = make_event("Zweitägige Messe", day=date(2027, 10, 30),
                           all_day_until=date(2027, 10, 31))

    body = api.get(f"/api/v1/events/{event.id}").get_json()
    assert body["uid"] == event.uid and body["type"] == "speed_dating"
    assert (body["start"], body["end"]) == ("2027-03-27T09:00:00+01:00",
                                            "2027-03-27T14:00:00+01:00")
    assert body["audiences"][1] == {"code": "pupils", "grade_from": 9, "grade_to": 13}
    assert body["industries"] == ["AUTO", "METALL"]
    assert body["venue"]["name"] == "Kulturhaus"
    assert body["venue"]["district"] == "MK"
    assert body["venue"]["municipality_ags"].startswith("05962")
    assert isinstance(body["venue"]["latitude"], float)
    assert body["contact"] == {"name": "Frau Beispiel", "email": None, "phone": None}
    assert body["url"] == "https://example.org/speed"
    assert body["links"]["html"] == f"http://localhost/events/{event.id}"

    day = api.get(f"/api/v1/events/{whole_day.id}").get_json()
    assert day["all_day"] is True
    assert (day["first_day"], day["last_day"]) == ("2027-10-30", "2027-10-31")
    # The night of 30/31 October changes from summer to winter time.
    assert (day["start"], day["end"]) == ("2027-10-30T00:00:00+02:00",
                                          "2027-11-01T00:00:00+01:00")
