"""Security headers: a strict Content-Security-Policy on every kind of response."""

import pytest

from app.security import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "url", ["/", "/login", "/feeds/all.ics", "/api/v1/events", "/healthz", "/no-such-page"]
)
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_policy_allows_nothing_from_elsewhere_and_no_inline_code():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "http" not in CONTENT_SECURITY_POLICY


def test_pages_carry_no_inline_script_or_style(client, make_event):
    event = make_event("Messe")
    for url in ("/", "/?view=month", f"/events/{event.id}", "/login"):
        html = client.get(url).data.decode()
        assert "<script>" not in html and " style=" not in html, url
        assert "<script" not in html or 'src="/static/' in html, url
