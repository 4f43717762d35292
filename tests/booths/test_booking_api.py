"""The booth API: categories (public), bookings of a company (create, list, cancel), the
organisers' view; permissions (no other company's booking, not even by guessing ids);
hostile input answered with a documented 4xx JSON error, never a 500. Every response is
checked against the OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.services import issue_token
from app.booths import services as booths
from app.booths.models import Booking
from app.extensions import db
from app.reference.models import Occupation
from tests.api.conftest import CheckedClient, bearer

JSON = "application/json"


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def api(client, spec) -> CheckedClient:
    return CheckedClient(client, spec)


@pytest.fixture
def token():
    def make(user) -> dict[str, str]:
        value = issue_token(user)
        db.session.commit()
        return bearer(value)

    return make


@pytest.fixture
def setup(fair, category, company, token, organiser):
    """A fair with one place; two companies with tokens; the organiser's token."""
    event = fair()
    standard = category(event, capacity=1)
    firm_a, user_a = company("Alpha Metall GmbH")
    firm_b, user_b = company("Beta Holz KG")
    return {"event": event, "category": standard, "a": token(user_a), "b": token(user_b),
            "organiser": token(organiser), "firm_a": firm_a, "firm_b": firm_b}


def post_booking(api, headers, category_id, **fields):
    return api.post("/api/v1/bookings", json={"category_id": category_id, **fields},
                    headers=headers)


def test_categories_are_public_for_published_fairs(api, setup):
    response = api.get(f"/api/v1/events/{setup['event'].id}/booth-categories")
    assert response.status_code == 200
    body = response.get_json()
    assert body["registration"]["open"] is True
    assert body["registration"]["approval"] == "auto"
    [item] = body["items"]
    assert item == {
        "id": setup["category"].id, "name": "Standard 9 m²", "description": "",
        "size_m2": 9.0, "price_cents": 25000, "capacity": 1, "places_free": 1,
        "waitlist_length": 0, "includes": {"table": True, "power": True, "internet": False},
    }


def test_categories_of_drafts_and_fairs_without_exhibitors_are_404(api, fair, category,
                                                                   token, organiser,
                                                                   make_event):
    draft = fair("Entwurf", status="draft")
    category(draft)
    assert api.get(f"/api/v1/events/{draft.id}/booth-categories").status_code == 404
    assert api.get(f"/api/v1/events/{draft.id}/booth-categories",
                   headers=token(organiser)).status_code == 200
    plain = make_event("Ohne Stände")
    assert api.get(f"/api/v1/events/{plain.id}/booth-categories").status_code == 404
    assert api.get("/api/v1/events/99999999999/booth-categories").status_code == 404


def test_book_wait_cancel_promote_through_the_api(api, setup):
    category_id = setup["category"].id
    first = post_booking(api, setup["a"], category_id, staff_count=2, remarks="Eckstand")
    assert first.status_code == 201
    booking_a = first.get_json()
    assert (booking_a["status"], booking_a["waitlist_position"]) == ("confirmed", None)
    assert booking_a["company"]["name"] == "Alpha Metall GmbH"
    assert first.headers["Location"].endswith(f"/api/v1/bookings/{booking_a['id']}")
    second = post_booking(api, setup["b"], category_id)
    booking_b = second.get_json()
    assert (second.status_code, booking_b["status"], booking_b["waitlist_position"]) == (
        201, "waitlisted", 1)

    cancelled = api.post(f"/api/v1/bookings/{booking_a['id']}/cancel", headers=setup["a"])
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    promoted = api.get(f"/api/v1/bookings/{booking_b['id']}", headers=setup["b"]).get_json()
    assert (promoted["status"], promoted["waitlist_position"]) == ("confirmed", None)
    again = api.post(f"/api/v1/bookings/{booking_a['id']}/cancel", headers=setup["a"])
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "not_active")


def test_occupations_are_booked_by_id(api, setup):
    ids = db.session.execute(select(Occupation.id).order_by(Occupation.id).limit(2)) \
        .scalars().all()
    response = post_booking(api, setup["a"], setup["category"].id, occupations=ids)
    assert sorted(o["id"] for o in response.get_json()["occupations"]) == sorted(ids)


def test_a_company_sees_only_its_own_bookings(api, setup):
    booking_a = post_booking(api, setup["a"], setup["category"].id).get_json()
    own = api.get("/api/v1/bookings", headers=setup["a"]).get_json()["items"]
    assert [item["id"] for item in own] == [booking_a["id"]]
    assert api.get("/api/v1/bookings", headers=setup["b"]).get_json()["items"] == []
    for request in (
        lambda: api.get(f"/api/v1/bookings/{booking_a['id']}", headers=setup["b"]),
        lambda: api.post(f"/api/v1/bookings/{booking_a['id']}/cancel", headers=setup["b"]),
    ):
        response = request()
        assert response.status_code == 404
        assert "Alpha" not in response.get_data(as_text=True)
    # Guessing ids finds nothing either, and nothing changed.
    for guess in range(1, booking_a["id"] + 5):
        if guess != booking_a["id"]:
            assert api.get(f"/api/v1/bookings/{guess}", headers=setup["b"]).status_code == 404
    assert db.session.get(Booking, booking_a["id"]).status == "confirmed"


def test_organisers_see_their_fairs_bookings_others_do_not(api, setup, make_user,
                                                          make_organisation, token):
    post_booking(api, setup["a"], setup["category"].id)
    post_booking(api, setup["b"], setup["category"].id)
    url = f"/api/v1/events/{setup['event'].id}/bookings"
    items = api.get(url, headers=setup["organiser"]).get_json()["items"]
    assert [(item["company"]["name"], item["status"]) for item in items] == [
        ("Alpha Metall GmbH", "confirmed"), ("Beta Holz KG", "waitlisted")]
    waiting = api.get(url + "?status=waitlisted", headers=setup["organiser"]).get_json()
    assert [item["company"]["name"] for item in waiting["items"]] == ["Beta Holz KG"]
    stranger = make_user("fremd@hwk.example", "organiser",
                         organisation=make_organisation("HWK Südwestfalen", "hwk"))
    assert api.get(url, headers=token(stranger)).status_code == 403
    assert api.get(url, headers=setup["a"]).status_code == 403
    assert api.get(url).status_code == 401
    assert api.get(url + "?status=bogus", headers=setup["organiser"]).status_code == 422


def test_organiser_can_cancel_a_booking_of_their_fair_with_a_reason(api, setup):
    booking = post_booking(api, setup["a"], setup["category"].id).get_json()
    url = f"/api/v1/bookings/{booking['id']}/cancel"
    for body in (None, {}, {"reason": "  "}, {"reason": "x" * 1001}):
        refused = api.post(url, headers=setup["organiser"], json=body)
        assert refused.status_code == 422, body
    assert api.get(f"/api/v1/bookings/{booking['id']}",
                   headers=setup["a"]).get_json()["status"] == "confirmed"
    response = api.post(url, headers=setup["organiser"],
                        json={"reason": "Die Halle ist kleiner als geplant."})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["reason"] == "Die Halle ist kleiner als geplant."


def test_who_may_book(api, setup):
    category_id = setup["category"].id
    assert post_booking(api, {}, category_id).status_code == 401
    assert post_booking(api, {"Authorization": "Bearer nonsense"}, category_id) \
        .status_code == 401
    refused = post_booking(api, setup["organiser"], category_id)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "forbidden")
    assert api.get("/api/v1/bookings", headers=setup["organiser"]).status_code == 403


def test_window_and_one_booking_per_fair_are_409(api, setup, fair, category, now):
    assert post_booking(api, setup["a"], setup["category"].id).status_code == 201
    other = category(setup["event"], "Groß", capacity=5)
    twice = post_booking(api, setup["a"], other.id)
    assert (twice.status_code, twice.get_json()["error"]["code"]) == (409, "already_booked")
    later = fair("Messe im Frühjahr", opens=timedelta(days=2))
    not_yet = post_booking(api, setup["b"], category(later).id)
    assert (not_yet.status_code, not_yet.get_json()["error"]["code"]) == (409, "not_open_yet")
    assert "Registration opens on" in not_yet.get_json()["error"]["message"]
    assert db.session.execute(select(func.count()).select_from(Booking)).scalar_one() == 1


def raw(text: str, content_type: str = JSON) -> dict:
    return {"data": text.encode("utf-8", "surrogatepass"), "content_type": content_type}


def body(**fields) -> dict:
    return {"json": {"category_id": "CATEGORY", **fields}}


# (case id, request kwargs, expected status, a field the error must name or None)
HOSTILE = [
    ("malformed json", raw('{"category_id": '), 400, None),
    ("invalid utf-8", {"data": b'{"remarks": "\xff"}', "content_type": JSON}, 400, None),
    ("deeply nested", raw("[" * 100_000 + "]" * 100_000), 400, None),
    ("form content type", raw("category_id=1", "application/x-www-form-urlencoded"), 415,
     None),
    ("enormous body", raw(json.dumps({"remarks": "x" * (3 * 1024 * 1024)})), 413, None),
    ("empty body", raw(""), 422, "category_id"),
    ("json array", raw("[]"), 422, "body"),
    ("json null", raw("null"), 422, "body"),
    ("category missing", {"json": {"staff_count": 2}}, 422, "category_id"),
    ("category a string", {"json": {"category_id": "1"}}, 422, "category_id"),
    ("category zero", {"json": {"category_id": 0}}, 422, "category_id"),
    ("category huge", {"json": {"category_id": 2**63}}, 422, "category_id"),
    ("category a float", {"json": {"category_id": 1.5}}, 422, "category_id"),
    ("category unknown", {"json": {"category_id": 999_999}}, 422, "category_id"),
    ("staff zero", body(staff_count=0), 422, "staff_count"),
    ("staff too many", body(staff_count=51), 422, "staff_count"),
    ("staff a string", body(staff_count="3"), 422, "staff_count"),
    ("staff null", body(staff_count=None), 422, "staff_count"),
    ("occupations a string", body(occupations="Mechatroniker"), 422, "occupations"),
    ("occupations names", body(occupations=["Mechatroniker"]), 422, "occupations.0"),
    ("occupation unknown", body(occupations=[999_999]), 422, "occupations"),
    ("occupations too many", body(occupations=list(range(1, 40))), 422, "occupations"),
    ("remarks with NUL", body(remarks="Hallo\u0000"), 422, "remarks"),
    ("remarks too long", body(remarks="x" * 2001), 422, "remarks"),
    ("remarks a dict", body(remarks={"a": 1}), 422, "remarks"),
    ("lone surrogate", raw('{"category_id": 1, "remarks": "\\ud800"}'), 422, "remarks"),
    ("power needs a list", body(power_needs=["230V"]), 422, "power_needs"),
    ("unknown field", body(company_id=1), 422, "company_id"),
    ("status smuggled in", body(status="confirmed"), 422, "status"),
]


@pytest.mark.parametrize(("kwargs", "status", "field"),
                         [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_booking_input(api, setup, kwargs, status, field):
    if "json" in kwargs and kwargs["json"].get("category_id") == "CATEGORY":
        kwargs = {"json": {**kwargs["json"], "category_id": setup["category"].id}}
    response = api.post("/api/v1/bookings", headers=setup["a"], **kwargs)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["error"]["fields"], response.get_json()
    assert db.session.execute(select(func.count()).select_from(Booking)).scalar_one() == 0


def test_a_category_of_a_draft_fair_is_unknown_to_companies(api, setup, fair, category):
    hidden = category(fair("Geheim", status="draft"))
    response = post_booking(api, setup["a"], hidden.id)
    assert (response.status_code, list(response.get_json()["error"]["fields"])) == (
        422, ["category_id"])


def test_cancel_unknown_or_absurd_ids(api, setup):
    for booking_id in (1, 999_999, 2**40):
        response = api.post(f"/api/v1/bookings/{booking_id}/cancel", headers=setup["a"])
        assert response.status_code == 404
    assert api.post("/api/v1/bookings/1/cancel").status_code == 401


def test_booking_operations_are_documented(spec):
    paths = spec["paths"]
    assert paths["/api/v1/bookings"]["post"]["security"] == [{"bearerAuth": []}]
    assert {"401", "403", "409", "422"} <= set(paths["/api/v1/bookings"]["post"]["responses"])
    assert "get" in paths["/api/v1/events/{event_id}/booth-categories"]
    assert "get" in paths["/api/v1/events/{event_id}/bookings"]
    assert "post" in paths["/api/v1/bookings/{booking_id}/cancel"]
    assert booths.MAX_REMARKS == 2000


def test_billing_details_through_the_api(api, setup):
    booking = post_booking(api, setup["a"], setup["category"].id,
                           invoice_address="Beispielweg 1\n57072 Siegen",
                           order_number="PO-17").get_json()
    assert (booking["invoice_address"], booking["order_number"]) == (
        "Beispielweg 1\n57072 Siegen", "PO-17")
    assert booking["stand"] is None and booking["offer_expires_at"] is None
    for bad in ({"order_number": "x" * 61}, {"order_number": "PO\n17"},
                {"invoice_address": "x" * 501}, {"invoice_address": 5}):
        assert post_booking(api, setup["b"], setup["category"].id, **bad).status_code == 422


def test_accept_and_decline_offers_through_the_api(api, fair, category, company, token, now):
    event = fair(waitlist_mode="offer")
    place = category(event, capacity=1)
    heads = [token(company(name)[1]) for name in ("Erste", "Zweite", "Dritte")]
    ids = [post_booking(api, head, place.id).get_json()["id"] for head in heads]
    assert api.post(f"/api/v1/bookings/{ids[0]}/cancel", headers=heads[0]).status_code == 200
    offered = api.get(f"/api/v1/bookings/{ids[1]}", headers=heads[1]).get_json()
    assert offered["status"] == "offered" and offered["offer_expires_at"]
    assert api.post(f"/api/v1/bookings/{ids[1]}/accept", headers=heads[2]).status_code == 404
    assert api.post(f"/api/v1/bookings/{ids[2]}/accept", headers=heads[2]).status_code == 409
    declined = api.post(f"/api/v1/bookings/{ids[1]}/decline", headers=heads[1])
    assert declined.get_json()["status"] == "declined"
    accepted = api.post(f"/api/v1/bookings/{ids[2]}/accept", headers=heads[2])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "confirmed"
    again = api.post(f"/api/v1/bookings/{ids[2]}/accept", headers=heads[2])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_offered"
    assert api.post(f"/api/v1/bookings/{ids[2]}/decline").status_code == 401


@pytest.mark.parametrize("field, value", [
    ("invoice_address", "Beispielweg 1\x00"), ("invoice_address", "Beispielweg\x1b1"),
    ("order_number", "PO-1\n2"), ("power_needs", "230 V\r\n2 kW"),
    ("remarks", "Bitte\x00 Ecke")])
def test_booking_text_with_control_characters_is_422_and_stores_nothing(api, setup, field,
                                                                        value):
    response = post_booking(api, setup["a"], setup["category"].id, **{field: value})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.session.execute(select(func.count()).select_from(Booking)).scalar_one() == 0


def test_a_cancellation_reason_with_control_characters_is_422(api, setup):
    booking = post_booking(api, setup["a"], setup["category"].id).get_json()
    url = f"/api/v1/bookings/{booking['id']}/cancel"
    for reason in ("Halle\x00 zu klein", "Halle\x07 zu klein"):
        response = api.post(url, json={"reason": reason}, headers=setup["organiser"])
        assert response.status_code == 422, response.get_json()
        assert "reason" in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Booking, booking["id"]).status == "confirmed"
    kept = api.post(url, json={"reason": "Die Halle\r\nist kleiner."}, headers=setup["organiser"])
    assert kept.status_code == 200
    assert kept.get_json()["reason"] == "Die Halle\nist kleiner."
