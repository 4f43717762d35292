"""The API's ETag and If-Match on events: the version as a strong entity tag; a write
naming a stale one is 412 with the error JSON and changes nothing; a write without
If-Match proceeds as before (and moves the ETag on)."""

from __future__ import annotations

import pytest

from app.calendar.models import Event
from app.extensions import db
from tests.api.conftest import bearer, timed


@pytest.fixture
def event(make_event, organiser_a):
    return make_event("Ausbildungsmesse Siegen", organisation=organiser_a.organisation,
                      status="planned")


@pytest.fixture
def auth(organiser_a, token_for):
    return bearer(token_for(organiser_a))


def stored(event_id: int) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event_id)


def test_get_and_writes_send_the_version_as_etag(api, event, auth):
    read = api.get(f"/api/v1/events/{event.id}", headers=auth)
    assert read.headers["ETag"] == '"v1"'
    changed = api.patch(f"/api/v1/events/{event.id}", json={"title": "Neuer Titel"},
                        headers={**auth, "If-Match": '"v1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert api.get(f"/api/v1/events/{event.id}", headers=auth).headers["ETag"] == '"v2"'
    created = api.post("/api/v1/events", headers=auth, json=timed())
    assert created.status_code == 201 and created.headers["ETag"] == '"v1"'


def test_a_stale_if_match_is_412_and_changes_nothing(api, event, auth):
    api.patch(f"/api/v1/events/{event.id}", json={"title": "Erster"},
              headers={**auth, "If-Match": '"v1"'})
    for method, path, body in (
            ("patch", "", {"title": "Zweiter"}),
            ("post", "/status", {"status": "published"}),
            ("post", "/cancel", {"reason": "Zu spät"})):
        response = getattr(api, method)(f"/api/v1/events/{event.id}{path}", json=body,
                                        headers={**auth, "If-Match": '"v1"'})
        assert response.status_code == 412, (path, response.get_json())
        assert response.get_json()["error"]["code"] == "precondition_failed"
        assert response.headers["ETag"] == '"v2"'
    event = stored(event.id)
    assert (event.title, event.status, event.version) == ("Erster", "planned", 2)


@pytest.mark.parametrize("condition", ['W/"v1"', '"v1x"', '"1"', '"v99999999999"',
                                       '"v１"', "", "garbage, ,"])
def test_a_weak_or_foreign_tag_never_matches(api, event, auth, condition):
    response = api.patch(f"/api/v1/events/{event.id}", json={"title": "Zweiter"},
                         headers={**auth, "If-Match": condition})
    assert response.status_code == 412
    assert stored(event.id).title == "Ausbildungsmesse Siegen"


def test_matching_star_or_no_if_match_go_ahead(api, event, auth):
    ok = api.post(f"/api/v1/events/{event.id}/status", json={"status": "published"},
                  headers={**auth, "If-Match": '"v0", "v1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"v2"'
    star = api.patch(f"/api/v1/events/{event.id}", json={"title": "Mit Stern"},
                     headers={**auth, "If-Match": "*"})
    assert star.status_code == 200 and star.headers["ETag"] == '"v3"'
    plain = api.post(f"/api/v1/events/{event.id}/cancel", json={"reason": "Ausfall"},
                     headers=auth)
    assert plain.status_code == 200 and plain.headers["ETag"] == '"v4"'
    assert stored(event.id).status == "cancelled"


def test_permission_comes_before_the_condition(api, event, organiser_b, token_for):
    response = api.patch(f"/api/v1/events/{event.id}", json={"title": "Fremd"},
                         headers={**bearer(token_for(organiser_b)), "If-Match": '"v9"'})
    assert response.status_code == 403


def test_the_openapi_document_describes_etag_and_if_match(spec):
    path = spec["paths"]["/api/v1/events/{event_id}"]
    assert "ETag" in path["get"]["responses"]["200"]["headers"]
    for operation in (path["patch"], spec["paths"]["/api/v1/events/{event_id}/status"]["post"],
                      spec["paths"]["/api/v1/events/{event_id}/cancel"]["post"]):
        assert "412" in operation["responses"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        names = [(parameter["in"], parameter["name"]) for parameter in
                 operation.get("parameters", [])]
        assert ("header", "If-Match") in names
