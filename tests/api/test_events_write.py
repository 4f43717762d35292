"""Creating, changing, publishing and cancelling events through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.services import revoke_token
from app.calendar.models import Event, EventChange, Venue
from app.extensions import db
from tests.api.conftest import bearer, timed
from tests.conftest import login

JSON = "application/json"


def stored(event_id: int) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event_id)


def changes_of(event_id: int) -> list[EventChange]:
    return list(db.session.execute(
        select(EventChange).where(EventChange.event_id == event_id).order_by(EventChange.id)
    ).scalars())


def event_count() -> int:
    return db.session.execute(select(func.count(Event.id))).scalar_one()


def test_create_timed_event_round_trips_local_time(api, organiser_a, token_for):
    response = api.post("/api/v1/events", json=timed(), headers=bearer(token_for(organiser_a)))

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["start"] == "2027-03-28T10:00:00+02:00"
    assert body["end"] == "2027-03-28T16:00:00+02:00"
    assert body["first_day"] is None and body["all_day"] is False
    assert body["organisation"]["name"] == "IHK Siegen"
    assert body["audiences"] == [
        {"code": "parents", "grade_from": None, "grade_to": None},
        {"code": "pupils", "grade_from": 8, "grade_to": 10},
    ]
    assert body["industries"] == ["AUTO", "METALL"]
    assert body["venue"]["municipality"] == "Olpe" and body["venue"]["district"] == "OE"
    assert body["links"]["html"].endswith(f"/events/{body['id']}")
    assert response.headers["Location"].endswith(f"/api/v1/events/{body['id']}")

    event = stored(body["id"])
    assert event.starts_at == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert event.organisation_id == organiser_a.organisation_id
    [change] = changes_of(event.id)
    assert (change.action, change.via, change.user_id) == ("created", "api", organiser_a.id)

    again = api.get(f"/api/v1/events/{event.id}", headers=bearer(token_for(organiser_a)))
    assert again.get_json()["start"] == "2027-03-28T10:00:00+02:00"


def test_naive_time_is_berlin_local_time(api, organiser_a, token_for):
    body = timed(start="2027-01-15T09:00:00", end="2027-01-15T13:30:00")
    response = api.post("/api/v1/events", json=body, headers=bearer(token_for(organiser_a)))

    assert response.status_code == 201
    assert response.get_json()["start"] == "2027-01-15T09:00:00+01:00"
    assert stored(response.get_json()["id"]).starts_at == datetime(2027, 1, 15, 8, tzinfo=UTC)


def test_nonexistent_local_time_is_refused(api, organiser_a, token_for):
    body = timed(start="2027-03-28T02:30:00", end="2027-03-28T05:00:00")
    response = api.post("/api/v1/events", json=body, headers=bearer(token_for(organiser_a)))

    assert response.status_code == 422
    assert "start" in response.get_json()["error"]["fields"]
    assert event_count() == 0


def test_create_whole_day_event_published_directly(api, organiser_a, token_for):
    body = timed(all_day=True, first_day="2027-09-24", last_day="2027-09-25",
                 status="published", venue=None)
    del body["start"], body["end"], body["venue"]
    body["venue"] = {"name": "Siegerlandhalle", "municipality": "05970040",
                     "street": "Koblenzer Str. 151", "postal_code": "57072"}
    response = api.post("/api/v1/events", json=body, headers=bearer(token_for(organiser_a)))

    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["status"] == "published"
    assert (result["first_day"], result["last_day"]) == ("2027-09-24", "2027-09-25")
    assert result["start"] == "2027-09-24T00:00:00+02:00"
    assert result["end"] == "2027-09-26T00:00:00+02:00"
    assert result["venue"]["municipality"] == "Siegen"
    assert result["venue"]["street"] == "Koblenzer Str. 151"
    actions = [(c.action, c.via) for c in changes_of(result["id"])]
    assert actions == [("created", "api"), ("published", "api")]


def test_venue_by_address_is_reused_and_by_id(api, organiser_a, token_for):
    headers = bearer(token_for(organiser_a))
    first = api.post("/api/v1/events", json=timed(), headers=headers).get_json()
    # The same place at the same time clashes hard with the first: acknowledged.
    same_place = {"clash_acknowledgement": "Test: dieselbe Halle"}
    second = api.post("/api/v1/events", json=timed(venue={"name": "Stadthalle Olpe",
                                                          "municipality": "olpe"},
                                                   **same_place),
                      headers=headers).get_json()
    third = api.post("/api/v1/events", json={**_without_venue(first["venue"]["id"]),
                                             **same_place},
                     headers=headers).get_json()

    assert first["venue"]["id"] == second["venue"]["id"] == third["venue"]["id"]
    assert db.session.execute(select(func.count(Venue.id))).scalar_one() == 1


def _without_venue(venue_id: int) -> dict:
    body = timed(venue_id=venue_id)
    del body["venue"]
    return body


def test_patch_changes_only_given_fields_and_raises_sequence(api, make_event, organiser_a,
                                                            token_for):
    event = make_event(organisation=organiser_a.organisation, status="published")
    before = stored(event.id)
    sequence, starts_at, audiences = before.sequence, before.starts_at, before.audience_codes
    headers = bearer(token_for(organiser_a))

    response = api.patch(f"/api/v1/events/{event.id}", json={"title": "Neuer Titel"},
                         headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Neuer Titel"
    assert body["sequence"] == sequence + 1
    after = stored(event.id)
    assert after.title == "Neuer Titel"
    assert (after.starts_at, after.audience_codes) == (starts_at, audiences)
    last = changes_of(event.id)[-1]
    assert (last.action, last.via) == ("updated", "api")
    assert last.changes == {"title": ["Ausbildungsmesse Siegen", "Neuer Titel"]}

    same = api.patch(f"/api/v1/events/{event.id}", json={"title": "Neuer Titel"},
                     headers=headers)
    assert same.get_json()["sequence"] == sequence + 1


def test_patch_times_contact_and_audiences(api, make_event, organiser_a, token_for):
    event = make_event(organisation=organiser_a.organisation, status="draft")
    response = api.patch(
        f"/api/v1/events/{event.id}",
        json={"start": "2027-10-31T02:30:00+01:00", "end": "2027-10-31T12:00:00+01:00",
              "contact": {"email": "messe@ihk-siegen.example"},
              "audiences": [{"code": "teachers"}], "url": "https://ihk-siegen.example/messe"},
        headers=bearer(token_for(organiser_a)),
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["start"] == "2027-10-31T02:30:00+01:00"
    assert body["contact"] == {"name": None, "email": "messe@ihk-siegen.example",
                               "phone": None}
    assert body["audiences"] == [{"code": "teachers", "grade_from": None, "grade_to": None}]
    assert body["sequence"] == 0  # a draft has no subscribers yet
    assert stored(event.id).starts_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_patch_end_before_start_is_a_422_and_changes_nothing(api, make_event, organiser_a,
                                                            token_for):
    event = make_event(organisation=organiser_a.organisation, day=date(2027, 5, 8))
    response = api.patch(f"/api/v1/events/{event.id}",
                         json={"end": "2027-05-08T08:00:00+02:00"},
                         headers=bearer(token_for(organiser_a)))

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["end"]
    assert stored(event.id).ends_at == datetime(2027, 5, 8, 12, tzinfo=UTC)


def test_status_moves_and_refused_move(api, make_event, organiser_a, token_for):
    event = make_event(organisation=organiser_a.organisation, status="draft")
    headers = bearer(token_for(organiser_a))
    url = f"/api/v1/events/{event.id}/status"

    assert api.post(url, json={"status": "planned"}, headers=headers).get_json()["status"] \
        == "planned"
    published = api.post(url, json={"status": "published"}, headers=headers)
    assert published.get_json()["status"] == "published"

    back = api.post(url, json={"status": "draft"}, headers=headers)
    assert back.status_code == 422
    assert "status" in back.get_json()["error"]["fields"]
    assert stored(event.id).status == "published"
    assert [(c.action, c.via) for c in changes_of(event.id)][1:] == [
        ("planned", "api"), ("published", "api")]


def test_cancel_with_reason(api, make_event, organiser_a, token_for):
    event = make_event(organisation=organiser_a.organisation, status="published")
    sequence = stored(event.id).sequence
    headers = bearer(token_for(organiser_a))

    response = api.post(f"/api/v1/events/{event.id}/cancel",
                        json={"reason": "Halle gesperrt"}, headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "Halle gesperrt")
    assert body["sequence"] == sequence + 1
    assert changes_of(event.id)[-1].via == "api"
    # Cancelled is final: the event can no longer be changed.
    frozen = api.patch(f"/api/v1/events/{event.id}", json={"title": "Doch"}, headers=headers)
    assert frozen.status_code == 422
    assert stored(event.id).title == "Ausbildungsmesse Siegen"


@pytest.mark.parametrize("kwargs", [{}, {"json": {}}, {"data": b"", "content_type": JSON}])
def test_cancel_without_reason(api, make_event, organiser_a, token_for, kwargs):
    event = make_event(organisation=organiser_a.organisation, status="planned")
    response = api.post(f"/api/v1/events/{event.id}/cancel",
                        headers=bearer(token_for(organiser_a)), **kwargs)
    assert response.status_code == 200
    assert stored(event.id).status == "cancelled"
    assert stored(event.id).cancellation_reason is None


def test_admin_creates_for_a_named_organisation(api, admin_user, org_b, token_for):
    headers = bearer(token_for(admin_user))
    missing = api.post("/api/v1/events", json=timed(), headers=headers)
    assert missing.status_code == 422
    assert "organisation_id" in missing.get_json()["error"]["fields"]

    response = api.post("/api/v1/events", json=timed(organisation_id=org_b.id),
                        headers=headers)
    assert response.status_code == 201
    assert response.get_json()["organisation"] == {"id": org_b.id, "name": org_b.name}


# --- permissions -------------------------------------------------------------------------


def test_foreign_events_cannot_be_changed(api, make_event, organiser_a, org_b, token_for):
    published = make_event("Fremde Messe", organisation=org_b, status="published")
    draft = make_event("Fremder Entwurf", organisation=org_b, status="draft")
    headers = bearer(token_for(organiser_a))

    for event, status in ((published, 403), (draft, 404)):
        for method, url, body in (
            ("patch", f"/api/v1/events/{event.id}", {"title": "Gekapert"}),
            ("post", f"/api/v1/events/{event.id}/cancel", {"reason": "x"}),
            ("post", f"/api/v1/events/{event.id}/status", {"status": "cancelled"}),
        ):
            response = getattr(api, method)(url, json=body, headers=headers)
            assert response.status_code == status, (event.title, url)

    assert {stored(published.id).title, stored(draft.id).title} == {"Fremde Messe",
                                                                    "Fremder Entwurf"}
    assert (stored(published.id).status, stored(draft.id).status) == ("published", "draft")
    assert organiser_a.organisation_id != org_b.id


def test_organiser_cannot_create_for_another_organisation(api, organiser_a, org_b, token_for):
    response = api.post("/api/v1/events", json=timed(organisation_id=org_b.id),
                        headers=bearer(token_for(organiser_a)))
    assert response.status_code == 403
    assert event_count() == 0


def test_company_token_is_forbidden(api, make_event, company_user, token_for):
    event = make_event(status="published")
    headers = bearer(token_for(company_user))

    assert api.post("/api/v1/events", json=timed(), headers=headers).status_code == 403
    assert api.patch(f"/api/v1/events/{event.id}", json={"title": "x"},
                     headers=headers).status_code == 403
    assert api.post(f"/api/v1/events/{event.id}/cancel", headers=headers).status_code == 403
    assert stored(event.id).status == "published" and event_count() == 1


def test_missing_invalid_and_revoked_tokens_are_401(api, organiser_a, token_for):
    token = token_for(organiser_a)
    revoke_token(organiser_a.tokens[0])
    db.session.commit()

    for headers in ({}, bearer(token), bearer("not-a-token"), {"Authorization": "Basic eDp5"},
                    {"Authorization": "Bearer"}, bearer("x" * 5000), {"Authorization": ""}):
        response = api.post("/api/v1/events", json=timed(), headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert event_count() == 0


def test_inactive_user_token_is_401(api, organiser_a, token_for):
    token = token_for(organiser_a)
    organiser_a.active = False
    db.session.commit()
    assert api.post("/api/v1/events", json=timed(), headers=bearer(token)).status_code == 401


def test_session_login_is_not_accepted(api, client, organiser_a):
    login(client, organiser_a)
    response = api.post("/api/v1/events", json=timed())
    assert response.status_code == 401
    assert event_count() == 0


def test_bearer_writes_need_no_csrf_token(test_config, organiser_a, token_for):
    csrf_app = create_app({**test_config, "WTF_CSRF_ENABLED": True})
    token = token_for(organiser_a)
    response = csrf_app.test_client().post("/api/v1/events", json=timed(),
                                           headers=bearer(token))
    # The same request without a bearer token is still refused.
    anonymous = csrf_app.test_client().post("/api/v1/events", json=timed())
    with csrf_app.app_context():
        db.engine.dispose()
    assert response.status_code == 201, response.get_json()
    assert anonymous.status_code == 401


def test_patch_switches_between_timed_and_whole_day(api, make_event, organiser_a, token_for):
    event = make_event(organisation=organiser_a.organisation, status="published",
                       day=date(2027, 6, 5))
    headers = bearer(token_for(organiser_a))
    url = f"/api/v1/events/{event.id}"

    whole = api.patch(url, json={"all_day": True, "first_day": "2027-06-05",
                                 "last_day": "2027-06-06"}, headers=headers).get_json()
    assert (whole["all_day"], whole["first_day"], whole["last_day"]) == (
        True, "2027-06-05", "2027-06-06")
    moved = api.patch(url, json={"last_day": "2027-06-07"}, headers=headers).get_json()
    assert moved["end"] == "2027-06-08T00:00:00+02:00"
    timed_again = api.patch(url, json={"all_day": False, "start": "2027-06-05T09:00:00+02:00",
                                       "end": "2027-06-05T15:00:00+02:00"},
                            headers=headers).get_json()
    assert (timed_again["all_day"], timed_again["first_day"]) == (False, None)
    assert timed_again["sequence"] == stored(event.id).sequence == whole["sequence"] + 2


def test_messages_are_english_even_for_a_german_session(api, client, make_event, organiser_a,
                                                        token_for):
    event = make_event(organisation=organiser_a.organisation, day=date(2027, 5, 8))
    login(client, organiser_a)  # organiser_a prefers German
    response = api.patch(f"/api/v1/events/{event.id}",
                         json={"end": "2027-05-08T08:00:00+02:00"},
                         headers=bearer(token_for(organiser_a)))
    assert response.get_json()["error"]["fields"] == {
        "end": ["The event must end after it starts."]}
