"""POST /api/v1/companies: admins provision a company with its first user and a token;
anyone else gets 401/403; hostile or invalid input is a 4xx JSON error storing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import ApiToken, Company, User
from app.extensions import db
from tests.api.conftest import bearer

JSON = "application/json"


def good(**overrides) -> dict:
    return {"name": "Sauerland Kunststoff GmbH", "municipality": "05962004",
            "industries": ["WERKSTOFF", "METALL"], "occupations": ["Industriemechaniker/-in"],
            "website": "https://kunststoff.example", "contact_email": "Info@Kunststoff.example",
            "contact_phone": "+49 2352 12345", "description": "Spritzguss.",
            "user_email": "azubi@kunststoff.example", **overrides}


def counts() -> tuple[int, int]:
    return (db.session.execute(select(func.count()).select_from(Company)).scalar_one(),
            db.session.execute(select(func.count()).select_from(User)).scalar_one())


def test_admin_creates_company_user_and_token(api, admin_user, token_for):
    response = api.post("/api/v1/companies", json=good(), headers=bearer(token_for(admin_user)))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    company = data["company"]
    assert company["name"] == "Sauerland Kunststoff GmbH"
    assert company["municipality"] == {"ags": "05962004", "name": "Altena"}
    assert [i["code"] for i in company["industries"]] == ["METALL", "WERKSTOFF"]
    assert [o["name"] for o in company["occupations"]] == ["Industriemechaniker/-in"]
    assert company["contact_email"] == "info@kunststoff.example"
    user = db.session.get(User, data["user"]["id"])
    assert user.role == "company" and user.company_id == company["id"]
    assert user.email == "azubi@kunststoff.example"
    # The token works for the new user, and only its hash is stored.
    token = data["user"]["token"]
    hashes = db.session.execute(select(ApiToken.token_hash)).scalars().all()
    assert ApiToken.hash(token) in hashes and token not in hashes
    mine = api.get("/api/v1/bookings", headers=bearer(token))
    assert mine.status_code == 200 and mine.get_json() == {"items": []}


@pytest.mark.parametrize("who", ["organiser_a", "company_user"])
def test_non_admins_are_refused(api, request, token_for, who):
    user = request.getfixturevalue(who)
    before = counts()
    response = api.post("/api/v1/companies", json=good(), headers=bearer(token_for(user)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert counts() == before


def test_without_token_401(api):
    response = api.post("/api/v1/companies", json=good())
    assert response.status_code == 401
    assert api.post("/api/v1/companies", json=good(),
                    headers=bearer("guessed-token")).status_code == 401


CASES = [
    ("malformed json", {"data": b'{"name": ', "content_type": JSON}, 400, None),
    ("not json", {"data": b"<xml/>", "content_type": "text/xml"}, 415, None),
    ("invalid utf-8", {"data": b'{"name": "\xff"}', "content_type": JSON}, 400, None),
    ("deep json", {"data": (b"[" * 50000) + (b"]" * 50000), "content_type": JSON}, 400, None),
    ("huge body", {"data": b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}',
                   "content_type": JSON}, 413, None),
    ("array body", {"json": [good()]}, 422, None),
    ("unknown field", {"json": good(is_admin=True)}, 422, "is_admin"),
    ("name missing", {"json": {k: v for k, v in good().items() if k != "name"}}, 422, "name"),
    ("blank name", {"json": good(name="   ")}, 422, "name"),
    ("name too long", {"json": good(name="x" * 201)}, 422, "name"),
    ("nul in name", {"json": good(name="A\x00B")}, 422, "name"),
    ("name as number", {"json": good(name=42)}, 422, "name"),
    ("unknown municipality", {"json": good(municipality="Atlantis")}, 422, "municipality"),
    ("unknown industry", {"json": good(industries=["NOPE"])}, 422, "industries"),
    ("industries not a list", {"json": good(industries="METALL")}, 422, "industries"),
    ("unknown occupation", {"json": good(occupations=["Astronaut/-in"])}, 422, "occupations"),
    ("too many occupations", {"json": good(occupations=["x"] * 61)}, 422, "occupations"),
    ("bad website", {"json": good(website="javascript:alert(1)")}, 422, "website"),
    ("bad contact e-mail", {"json": good(contact_email="nobody")}, 422, "contact_email"),
    ("bad phone", {"json": good(contact_phone="call me")}, 422, "contact_phone"),
    ("user e-mail missing", {"json": {k: v for k, v in good().items()
                                      if k != "user_email"}}, 422, "user_email"),
    ("bad user e-mail", {"json": good(user_email="a@b")}, 422, "user_email"),
    ("existing user", {"json": good(user_email="admin@example.org")}, 422, "user_email"),
    ("existing company", {"json": good(name="beispiel metallbau gmbh")}, 422, "name"),
]


@pytest.mark.parametrize(("kwargs", "status", "field"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_hostile_input(api, admin_user, make_company, token_for, kwargs, status, field):
    make_company()
    before = counts()
    response = api.post("/api/v1/companies", headers=bearer(token_for(admin_user)), **kwargs)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    if field:
        assert field in error["fields"], error
    assert counts() == before


def test_openapi_documents_the_operation(spec):
    operation = spec["paths"]["/api/v1/companies"]["post"]
    assert {"201", "401", "403", "422"} <= set(operation["responses"])
    assert operation["security"] == [{"bearerAuth": []}]
