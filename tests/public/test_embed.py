"""The calendar for other websites' iframes: the filters, framing allowed for this page
only, nothing from other servers, bad filters answered with a 400 and a message."""

from __future__ import annotations

import re
from datetime import timedelta

from app.time import local_today


def test_embed_lists_filtered_upcoming_events_with_links_to_this_site(client, make_event):
    soon = local_today() + timedelta(days=10)
    siegen = make_event("Ausbildungsbörse Siegen", town="Siegen", day=soon)
    make_event("Azubi-Speed-Dating Meschede", town="Meschede", day=soon,
               event_type="speed_dating")
    make_event("Entwurf Olpe", town="Olpe", day=soon, status="draft")
    make_event("Vorbei", town="Siegen", day=local_today() - timedelta(days=3))

    page = client.get("/embed?district=SI")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ausbildungsbörse Siegen" in html
    assert "Meschede" not in html and "Entwurf" not in html and "Vorbei" not in html
    assert f'href="/events/{siegen.id}" target="_blank" rel="noopener"' in html
    assert "site-header" not in html and "<form" not in html and "<script" not in html
    # Only this site's own files are loaded.
    for address in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert address.startswith("/"), address


def test_only_the_embed_may_be_framed_by_other_sites(client):
    embed = client.get("/embed")
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    for path in ("/", "/feeds", "/login"):
        other = client.get(path)
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path
        assert other.headers["X-Frame-Options"] == "DENY", path


def test_bad_filters_are_a_400_with_a_message(client, make_event):
    make_event("Ausbildungsbörse Siegen")
    for query, message in (("district=XX", "Unknown district"),
                           ("type=party", "Unknown event type"),
                           ("from=morgen", "dates like"),
                           ("limit=0", "between 1 and 100"),
                           ("limit=abc", "between 1 and 100"),
                           ("occupation=99999999", "Unknown occupation")):
        answer = client.get(f"/embed?{query}&lang=en")
        assert answer.status_code == 400, query
        assert message in answer.get_data(as_text=True), query
        assert "Ausbildungsbörse Siegen" in answer.get_data(as_text=True)


def test_limit_and_language(client, make_event):
    for number in range(3):
        make_event(f"Messe {number}", day=local_today() + timedelta(days=5 + number))
    english = client.get("/embed?limit=2&lang=en").get_data(as_text=True)
    assert english.count('<li class="embed-item') == 2
    assert '<html lang="en">' in english
    assert '<html lang="de">' in client.get("/embed?lang=xx").get_data(as_text=True)


def test_the_list_follows_every_change(client, make_event):
    """The rendered list is cached, but never shows what has changed since."""
    from app.extensions import db

    event = make_event("Ausbildungsmesse Alt")
    assert "Ausbildungsmesse Alt" in client.get("/embed").get_data(as_text=True)
    event.title = "Ausbildungsmesse Neu"
    db.session.commit()
    html = client.get("/embed").get_data(as_text=True)
    assert "Ausbildungsmesse Neu" in html and "Alt" not in html
    from app.reference.models import Municipality

    # Reference data shapes it too (a renamed place); the name is put back afterwards:
    # reference tables outlive a test.
    town = db.session.get(Municipality, event.venue.municipality_id)
    original = town.name
    town.name = "Siegen-Mitte"
    db.session.commit()
    try:
        assert "Siegen-Mitte" in client.get("/embed").get_data(as_text=True)
    finally:
        town.name = original
        db.session.commit()


def test_feed_builder_writes_the_iframe_code_with_the_chosen_filters(client):
    html = client.get("/feeds?district=OE&audience=pupils").get_data(as_text=True)
    snippet = re.search(r'<textarea[^>]*id="embed-code"[^>]*>([^<]*)</textarea>', html)
    assert snippet, "no embed code on the feed builder"
    code = snippet.group(1).replace("&amp;", "&").replace("&lt;", "<").replace(
        "&gt;", ">").replace("&#34;", '"').replace("&quot;", '"')
    assert code.startswith('<iframe src="http://localhost/embed?')
    assert "district=OE" in code and "audience=pupils" in code
    assert 'title="' in code
    assert "/feeds/all.atom?" in html
