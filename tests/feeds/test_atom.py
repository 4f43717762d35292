"""Atom feeds: parsed by feedparser as a news reader would, same filters as the iCal
feeds, permanent entry ids, hostile text still well-formed XML, conditional GET."""

from __future__ import annotations

from datetime import timedelta

import feedparser

from app.calendar import services as calendar
from app.extensions import db
from app.time import local_today, now_utc


def parse(client, path: str):
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/atom+xml"
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return answer, feed


def test_atom_feed_lists_upcoming_public_events(client, make_event):
    day = local_today() + timedelta(days=12)
    fair = make_event("Ausbildungsmesse Siegen", town="Siegen", day=day)
    make_event("Entwurf", day=day, status="draft")
    make_event("Vorbei", day=local_today() - timedelta(days=2))
    cancelled = make_event("Speed-Dating Olpe", town="Olpe", day=day, status="cancelled",
                           event_type="speed_dating")

    _, feed = parse(client, "/feeds/all.atom")

    titles = [entry.title for entry in feed.entries]
    assert titles == [f"Ausbildungsmesse Siegen ({day:%d.%m.%Y}, 09:00–14:00 Uhr)",
                      f"Abgesagt: Speed-Dating Olpe ({day:%d.%m.%Y}, 09:00–14:00 Uhr)"]
    entry = feed.entries[0]
    assert entry.id == f"tag:messekalender-suedwestfalen.de,2026:event:{fair.uid}"
    assert entry.link == f"http://localhost/events/{fair.id}"
    assert "Ausbildungsmesse in Siegen" in entry.content[0].value
    assert {tag.term for tag in entry.tags} >= {"training_fair", "CROSS"}
    assert feed.feed.title == "Messekalender Südwestfalen"
    assert feed.feed.language == "de"
    assert "ABGESAGT" in feed.entries[1].content[0].value
    assert cancelled.uid in feed.entries[1].id


def test_atom_takes_the_filters_of_the_ical_feeds(client, make_event):
    day = local_today() + timedelta(days=12)
    make_event("Messe Siegen", town="Siegen", day=day)
    make_event("Messe Olpe", town="Olpe", day=day, audiences=("jobseekers",))
    _, feed = parse(client, "/feeds/district/OE.atom")
    assert [entry.title.split(" (")[0] for entry in feed.entries] == ["Messe Olpe"]
    assert "Kreis Olpe" in feed.feed.title
    _, feed = parse(client, "/feeds/all.atom?audience=pupils")
    assert [entry.title.split(" (")[0] for entry in feed.entries] == ["Messe Siegen"]
    for bad in ("/feeds/all.atom?district=XX", "/feeds/district/OE.atom?district=SI",
                "/feeds/all.atom?from=gestern"):
        answer = client.get(bad)
        assert answer.status_code == 400, bad
        assert answer.get_data(as_text=True).strip()
    assert client.get("/feeds/district/XX.atom").status_code == 404


def test_changes_reach_the_feed_and_conditional_get(client, make_event):
    event = make_event("Ausbildungsmesse Alt", description="Text mit \x0b Steuerzeichen")
    answer, feed = parse(client, "/feeds/all.atom")
    etag = answer.headers["ETag"]
    assert client.get("/feeds/all.atom", headers={"If-None-Match": etag}).status_code == 304
    data = calendar.event_data(event)
    data.title = "Ausbildungsmesse <Neu> & mehr"
    calendar.update_event(event, None, data, now=now_utc())
    db.session.commit()
    answer = client.get("/feeds/all.atom", headers={"If-None-Match": etag})
    assert answer.status_code == 200
    feed = feedparser.parse(answer.data)
    assert not feed.bozo
    assert feed.entries[0].title.startswith("Ausbildungsmesse <Neu> & mehr")
