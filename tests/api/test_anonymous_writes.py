"""Every anonymous API write answers 401, whatever its body: the token is checked before
the body is read, so an invalid body never tells a stranger which fields are required."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

BODIES = [
    {"json": {}},
    {"json": {"title": 1, "status": "nonsense"}},
    {"data": b"{not json", "content_type": "application/json"},
    {"data": b"title=x", "content_type": "application/x-www-form-urlencoded"},
    {},
]
HEADERS = [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}]


def write_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        values = {name: 1 for name, converter in rule._converters.items()
                  if isinstance(converter, IntegerConverter)}
        path = rule.build(values, append_unknown=False)[1]
        routes += [(method, path) for method in sorted(rule.methods & {"POST", "PUT", "PATCH",
                                                                        "DELETE"})]
    return routes


def test_every_anonymous_write_is_401(app, client):
    routes = write_routes(app)
    assert len(routes) >= 10, routes
    for method, path in routes:
        for body in BODIES:
            for headers in HEADERS:
                response = client.open(path, method=method, headers=headers, **body)
                assert response.status_code == 401, (method, path, body, headers,
                                                     response.get_json())
                error = response.get_json()["error"]
                assert error["code"] in ("unauthorized", "invalid_token")
                assert "fields" not in error
                assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("body", BODIES[:3])
def test_with_a_token_the_body_is_checked(client, organiser_a, token_for, body):
    response = client.post("/api/v1/events", headers={
        "Authorization": f"Bearer {token_for(organiser_a)}"}, **body)
    assert response.status_code in (400, 422)
