"""Class visits in the API: the public slots with free places, the organisers' slots,
registration window and classes; every answer checked against the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.time import now_utc, to_local
from app.visits.models import VisitSlot
from tests.api.conftest import bearer
from tests.visits.conftest import (  # noqa: F401  (fixtures)
    class_data,
    organiser,
    register,
    upcoming_day,
    visit_fair,
)


@pytest.fixture
def fair(visit_fair):  # noqa: F811
    return visit_fair(capacities=(50, 30), bus_bays=(None, 2), day=upcoming_day(),
                      now=now_utc())


def test_anyone_reads_the_slots_with_free_places(api, fair, register):  # noqa: F811
    event, (first, second) = fair
    register(event, class_data(second, 25, by_bus=True), now=now_utc())
    register(event, class_data(second, 10), now=now_utc(), join_waitlist=True)
    body = api.get(f"/api/v1/events/{event.id}/visit-slots").get_json()
    assert body["registration"]["open"] is True
    assert [(item["capacity"], item["places_free"], item["bus_bays_free"],
             item["waitlist_length"]) for item in body["items"]] == [(50, 50, None, 0),
                                                                     (30, 5, 1, 1)]
    assert body["items"][0]["start"] == to_local(first.starts_at).isoformat()
    assert body["items"][0]["start"].endswith(("+01:00", "+02:00"))


def test_a_fair_without_class_visits_is_a_404(api, make_event):
    event = make_event(day=upcoming_day())
    response = api.get(f"/api/v1/events/{event.id}/visit-slots")
    assert response.status_code == 404


def test_organisers_create_and_change_slots(api, fair, organiser, token_for):  # noqa: F811
    event, (first, _) = fair
    headers = bearer(token_for(organiser))
    start = to_local(first.starts_at) + timedelta(hours=3)
    created = api.post(f"/api/v1/events/{event.id}/visit-slots", headers=headers, json={
        "start": start.isoformat(), "end": (start + timedelta(minutes=90)).isoformat(),
        "capacity": 120, "bus_bays": 3})
    assert created.status_code == 201, created.get_json()
    slot_id = created.get_json()["id"]
    changed = api.patch(f"/api/v1/visit-slots/{slot_id}", headers=headers,
                        json={"capacity": 150, "bus_bays": None})
    assert changed.status_code == 200
    assert (changed.get_json()["capacity"], changed.get_json()["bus_bays"]) == (150, None)
    assert api.client.delete(f"/api/v1/visit-slots/{slot_id}", headers=headers) \
        .status_code == 204
    assert db.session.get(VisitSlot, slot_id) is None


@pytest.mark.parametrize(("body", "field"), [
    ({"start": "10:00", "end": "11:00", "capacity": 50}, "start"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 5000 + 1}, "capacity"),
    ({"capacity": "viele"}, "capacity"),
    ({"bus_bays": -1}, "bus_bays"),
    ({"end_shift": -120}, "end"),        # ends before it starts
    ({"start_shift": -180}, "start"),    # before the fair opens
    ({"start_shift": 400, "end_shift": 450}, "start"),  # after the fair
    ({"surprise": 1}, "surprise"),
])
def test_bad_slots_are_refused_and_nothing_is_stored(api, fair, organiser, token_for,  # noqa: F811
                                                     body, field):
    event, (first, _) = fair
    start = to_local(first.starts_at) + timedelta(hours=2)
    full = {"start": (start + timedelta(minutes=body.pop("start_shift", 0))).isoformat(),
            "end": (start + timedelta(minutes=60 + body.pop("end_shift", 0))).isoformat(),
            "capacity": 50}
    full.update(body)
    response = api.post(f"/api/v1/events/{event.id}/visit-slots",
                        headers=bearer(token_for(organiser)), json=full)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert len(db.session.execute(db.select(VisitSlot)).scalars().all()) == 2


def test_capacity_cannot_drop_below_the_pupils_registered(api, fair, organiser,  # noqa: F811
                                                          token_for, register):  # noqa: F811
    event, (first, _) = fair
    register(event, class_data(first, 40), now=now_utc())
    response = api.patch(f"/api/v1/visit-slots/{first.id}",
                         headers=bearer(token_for(organiser)), json={"capacity": 39})
    assert response.status_code == 422
    assert "capacity" in response.get_json()["error"]["fields"]


def test_organisers_read_the_classes(api, fair, organiser, token_for, register):  # noqa: F811
    event, (first, second) = fair
    register(event, class_data(first, 25), now=now_utc(), school="Beispiel-Realschule",
             confirm=True)
    body = api.get(f"/api/v1/events/{event.id}/class-visits?status=confirmed",
                   headers=bearer(token_for(organiser))).get_json()
    [item] = body["items"]
    assert item["school"] == {"name": "Beispiel-Realschule", "municipality": "Arnsberg"}
    assert (item["pupils"], item["status"], item["phone"]) == (25, "confirmed",
                                                               "+49 2931 12345")


def test_the_registration_window_is_set_through_the_api(api, fair, organiser,  # noqa: F811
                                                        token_for):
    event, _ = fair
    now = to_local(now_utc()).replace(microsecond=0)
    response = api.put(f"/api/v1/events/{event.id}/visit-registration",
                       headers=bearer(token_for(organiser)), json={
                           "opens_at": now.isoformat(), "closes_at": to_local(
                               event.starts_at + timedelta(hours=1)).isoformat()})
    assert response.status_code == 422  # closes after the fair begins
    response = api.put(f"/api/v1/events/{event.id}/visit-registration",
                       headers=bearer(token_for(organiser)), json={
                           "opens_at": now.isoformat(), "closes_at": to_local(
                               event.starts_at - timedelta(days=1)).isoformat(),
                           "reminder_days": 5, "instructions": "Busse halten am Haupteingang."})
    assert response.status_code == 200
    assert response.get_json()["reminder_days"] == 5


def test_strangers_and_anonymous_writers_are_refused(api, fair, make_user, org_b,  # noqa: F811
                                                     token_for):
    event, (first, _) = fair
    stranger = bearer(token_for(make_user("fremd@hwk.example", "organiser",
                                          organisation=org_b)))
    for method, url in [("post", f"/api/v1/events/{event.id}/visit-slots"),
                        ("patch", f"/api/v1/visit-slots/{first.id}"),
                        ("put", f"/api/v1/events/{event.id}/visit-registration")]:
        # Anonymous: 401 whatever the body.
        assert getattr(api, method)(url, json={"capacity": "x"}).status_code == 401
        assert getattr(api, method)(url, data="{not json", content_type="application/json"
                                    ).status_code == 401
        assert getattr(api, method)(url, json={}, headers=stranger).status_code == 403
    assert api.get(f"/api/v1/events/{event.id}/class-visits", headers=stranger) \
        .status_code == 403
    assert api.get(f"/api/v1/events/{event.id}/class-visits").status_code == 401
    assert api.client.delete(f"/api/v1/visit-slots/{first.id}", headers=stranger) \
        .status_code == 403
    assert api.patch("/api/v1/visit-slots/99999999999", json={}, headers=stranger) \
        .status_code == 404


def test_the_operations_are_documented(spec):
    paths = spec["paths"]
    assert paths["/api/v1/events/{event_id}/visit-slots"]["get"]["security"] == [
        {}, {"bearerAuth": []}]
    assert {"post"} <= set(paths["/api/v1/events/{event_id}/visit-slots"])
    assert {"patch", "delete"} <= set(paths["/api/v1/visit-slots/{slot_id}"])
    assert "get" in paths["/api/v1/events/{event_id}/class-visits"]
    assert "put" in paths["/api/v1/events/{event_id}/visit-registration"]
