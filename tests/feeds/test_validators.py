"""The feeds' validators tell the truth: the ETag moves exactly when the bytes do (also
for a renamed venue or organiser, which no event row shows), and Last-Modified never goes
back, so neither an If-None-Match nor an If-Modified-Since client keeps a stale feed."""

from __future__ import annotations

from datetime import timedelta

from werkzeug.http import http_date

from app.calendar import services as calendar
from app.extensions import db
from app.time import local_today, now_utc

FEED = "/feeds/district/SI.ics"


def event_data(event, **changes) -> calendar.EventData:
    data = calendar.EventData(
        title=event.title, event_type=event.event_type, venue=event.venue,
        all_day=event.all_day, starts_at=event.starts_at, ends_at=event.ends_at,
        audiences=event.audience_codes, industries=event.industry_codes,
        description=event.description)
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_a_renamed_venue_or_organiser_moves_the_etag(client, make_event):
    siegen = make_event("Messe Siegen")
    first = client.get(FEED)
    siegen.venue.name = "Neue Siegerlandhalle"
    db.session.commit()
    renamed = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert renamed.status_code == 200 and b"Neue Siegerlandhalle" in renamed.data
    assert renamed.headers["ETag"] != first.headers["ETag"]

    siegen.organisation.name = "IHK Siegen (neu)"
    db.session.commit()
    again = client.get(FEED, headers={"If-None-Match": renamed.headers["ETag"]})
    assert again.status_code == 200 and b"IHK Siegen (neu)" in again.data


def test_a_change_outside_the_feed_keeps_the_etag(client, make_event):
    make_event("Messe Siegen")
    draft = make_event("Entwurf Olpe", town="Olpe", venue="Stadthalle Olpe", status="draft")
    first = client.get(FEED)
    calendar.update_event(draft, None, event_data(draft, title="Entwurf Olpe 2"), now=now_utc())
    db.session.commit()
    same = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.headers["ETag"] == first.headers["ETag"]


def test_last_modified_never_goes_back_when_an_event_leaves(client, make_event):
    older = make_event("Messe Siegen")
    moving = make_event("Messe Kreuztal", town="Kreuztal", venue="Stadthalle Kreuztal")
    older.updated_at = now_utc() - timedelta(days=3)
    moving.updated_at = now_utc() - timedelta(days=2)  # HTTP dates have whole seconds
    db.session.commit()
    first = client.get(FEED)
    assert b"Messe Kreuztal" in first.data
    olpe = calendar.find_or_create_venue("Stadthalle Olpe", _town("Olpe"))
    calendar.update_event(moving, None, event_data(moving, venue=olpe), now=now_utc())
    db.session.commit()
    # A client that only knows the date: the feed lost an event, so it is modified.
    after = client.get(FEED, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert after.status_code == 200 and b"Messe Kreuztal" not in after.data
    assert (after.last_modified or 0) >= first.last_modified


def test_a_cancelled_event_leaving_after_30_days_moves_last_modified(client, make_event):
    siegen = make_event("Messe Siegen")
    gone = make_event("Abgesagte Messe", day=local_today() + timedelta(days=60))
    calendar.change_status(gone, None, "cancelled", reason="Halle gesperrt", now=now_utc())
    gone.cancelled_at = gone.updated_at = now_utc() - timedelta(days=31)
    siegen.updated_at = now_utc() - timedelta(days=40)
    db.session.commit()
    response = client.get(FEED)
    assert b"Abgesagte Messe" not in response.data
    assert response.headers["Last-Modified"] == http_date(
        (gone.cancelled_at + timedelta(days=30)).replace(microsecond=0))


def _town(name: str):
    from sqlalchemy import select

    from app.reference.models import Municipality

    return db.session.execute(select(Municipality).where(Municipality.name == name)).scalar_one()
