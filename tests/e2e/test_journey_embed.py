"""A chamber's website shows the calendar in an iframe: the embed page on another origin
(a second local port), allowed to be framed, readable at 320 px, accessible (axe-core),
and its links open this site in a new tab."""

from __future__ import annotations

import http.server
import threading
from datetime import timedelta
from html import escape
from importlib.resources import files

import pytest
from playwright.sync_api import Page, expect

from app.time import local_today


@pytest.fixture
def other_site(live_server):
    """A page of another origin (its own port) that embeds the calendar."""
    embed = live_server.url("/embed?district=SI&audience=pupils")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body = (f'<!doctype html><html lang="de"><head><meta charset="utf-8">'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                    f'<title>IHK Beispiel</title></head><body style="margin:0">'
                    f'<h1>Unsere Ausbildungsmessen</h1>'
                    f'<iframe src="{escape(embed)}" title="Messekalender" width="100%" '
                    f'height="600" style="border:0"></iframe></body></html>').encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def axe_violations(frame) -> list[str]:
    source = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
    frame.evaluate(source)
    result = frame.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]]


@pytest.mark.parametrize("width", [320, 1280])
def test_embedded_on_another_site(page: Page, live_server, other_site, make_event,
                                  width: int) -> None:
    soon = local_today() + timedelta(days=14)
    fair = make_event("Ausbildungsmesse Siegerland mit einem sehr langen Namen für "
                      "schmale Bildschirme", town="Siegen", day=soon, audiences=("pupils",))
    make_event("Messe Meschede", town="Meschede", day=soon, audiences=("pupils",))
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(other_site)
    frame_element = page.locator("iframe")
    expect(frame_element).to_be_visible()
    frame = page.frame_locator("iframe")
    link = frame.get_by_role("link", name=fair.title)
    expect(link).to_be_visible()
    expect(frame.get_by_text("Messe Meschede")).to_have_count(0)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", f"/events/{fair.id}")

    inner = next(f for f in page.frames if f.url.startswith(live_server.url("/embed")))
    # Readable without sideways scrolling, even at 320 px.
    overflow = inner.evaluate("document.documentElement.scrollWidth - "
                              "document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow}px wider than the frame"
    assert axe_violations(inner) == []

    # The link opens the event on this site in a new tab.
    with page.context.expect_page() as opened:
        link.click()
    event_page = opened.value
    event_page.wait_for_load_state()
    assert event_page.url == live_server.url(f"/events/{fair.id}")
    expect(event_page.locator("h1")).to_have_text(fair.title)
    event_page.close()
