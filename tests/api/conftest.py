"""API fixtures: tokens for each kind of user and a client that checks every response
against the generated OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable

import jsonschema
import pytest
from flask.testing import FlaskClient

from app.accounts.models import User
from app.accounts.services import issue_token
from app.extensions import db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(app) -> Callable[[User], str]:
    def make(user: User) -> str:
        token = issue_token(user)
        db.session.commit()
        return token

    return make


@pytest.fixture
def company_user(make_user, make_company) -> User:
    return make_user("azubi@metallbau.example", "company", company=make_company())


@pytest.fixture
def admin_user(make_user) -> User:
    return make_user("admin@example.org", "admin")


@pytest.fixture
def spec(client: FlaskClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def to_json_schema(node, components: dict, depth: int = 0):
    """An OpenAPI 3.0 schema as plain JSON Schema: $refs inlined, ``nullable`` as null."""
    assert depth < 30, "schema nesting too deep"
    if isinstance(node, list):
        return [to_json_schema(item, components, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return to_json_schema(components["schemas"][name], components, depth + 1)
    converted = {key: to_json_schema(value, components, depth + 1)
                 for key, value in node.items() if key not in ("nullable", "example")}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class CheckedClient:
    """Sends API requests and checks each response against the OpenAPI document:
    JSON body, status documented for the operation, body valid for that status."""

    def __init__(self, client: FlaskClient, spec: dict):
        self.client = client
        self.spec = spec
        self.paths = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "$"), template)
            for template in spec["paths"]
        ]

    def __getattr__(self, method: str):
        if method not in ("get", "post", "patch", "put", "delete"):
            raise AttributeError(method)

        def send(path: str, **kwargs):
            response = getattr(self.client, method)(path, **kwargs)
            self.check(method, path, response)
            return response

        return send

    def schema_for(self, method: str, path: str, status: int) -> dict:
        components = self.spec["components"]
        error_schema = to_json_schema({"$ref": "#/components/schemas/Error"}, components)
        template = next((t for pattern, t in self.paths if pattern.match(path.split("?")[0])),
                        None)
        operation = self.spec["paths"].get(template, {}).get(method) if template else None
        if operation is None:
            # Unrouted URL or method: the app's JSON error, in the documented error shape.
            assert status in (404, 405), (method, path, status)
            return error_schema
        responses = operation["responses"]
        assert str(status) in responses, f"{method.upper()} {template}: {status} undocumented"
        response = responses[str(status)]
        if "$ref" in response:
            response = components["responses"][response["$ref"].rsplit("/", 1)[-1]]
        return to_json_schema(response["content"]["application/json"]["schema"], components)

    def check(self, method: str, path: str, response) -> None:
        assert response.status_code < 500, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/json", (response.status, response.mimetype)
        body = response.get_json()
        schema = self.schema_for(method, path, response.status_code)
        jsonschema.validate(body, schema)
        if response.status_code >= 400:
            assert set(body) == {"error"}
            assert body["error"]["code"] and body["error"]["message"]
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def api(client: FlaskClient, spec: dict) -> CheckedClient:
    return CheckedClient(client, spec)


def timed(**overrides) -> dict:
    """A valid body for a timed event (Sunday 28 March 2027 is the DST change day)."""
    body = {
        "title": "Ausbildungsmesse Olpe",
        "type": "training_fair",
        "start": "2027-03-28T10:00:00+02:00",
        "end": "2027-03-28T16:00:00+02:00",
        "audiences": [{"code": "pupils", "grade_from": 8, "grade_to": 10},
                      {"code": "parents"}],
        "industries": ["METALL", "AUTO"],
        "venue": {"name": "Stadthalle Olpe", "municipality": "Olpe"},
    }
    body.update(overrides)
    return body
