"""Feed caches: stored VEVENTs, the remembered validator and the rendered-feed LRU.

Every cached answer must be the bytes an uncached build gives, and every change a
subscriber would see must get through them.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.calendar import services as calendar
from app.calendar.filters import EventFilter
from app.calendar.ical import build_calendar
from app.extensions import db
from app.feeds import publish
from app.feeds import services as feeds
from app.feeds.models import FeedEventCache
from app.reference.models import Industry
from app.time import local_today, now_utc


def uncached(app, event_filter: EventFilter | None = None) -> bytes:
    """The reference: every event built by icalendar, no cache involved."""
    event_filter = event_filter or EventFilter()
    events = db.session.execute(feeds.feed_events(event_filter, now_utc())).scalars().all()
    return build_calendar(events, name=feeds.feed_name(event_filter),
                          description=feeds.feed_description(event_filter),
                          base_url=app.config["BASE_URL"],
                          occupations=feeds.exhibitor_occupations([e.id for e in events])
                          ).to_ical()


def stored(event) -> bytes | None:
    return db.session.execute(
        select(FeedEventCache.vevent).where(FeedEventCache.event_id == event.id)
    ).scalar()


@pytest.fixture
def fairs(make_event):
    return [
        make_event("Messe Siegen", industries=("METALL", "CROSS"), description="x" * 400),
        make_event("Messe Olpe", town="Olpe", venue="Stadthalle Olpe",
                   day=local_today() + timedelta(days=200)),
        make_event("Ganztags", town="Meschede", venue="Berufskolleg",
                   all_day_until=local_today() + timedelta(days=31)),
        make_event("Entwurf", status="draft"),
    ]


def test_cached_builds_are_byte_identical_to_an_uncached_build(app, client, fairs, tmp_path):
    reference = uncached(app)
    assert feeds.render_feed(EventFilter(), now_utc()) == reference  # builds and stores
    assert all(stored(event) for event in fairs[:3]) and stored(fairs[3]) is None
    assert feeds.render_feed(EventFilter(), now_utc()) == reference  # from stored VEVENTs
    assert client.get("/feeds/all.ics").data == reference  # via the rendered-feed cache
    assert client.get("/feeds/all.ics").data == reference
    publish.publish_feeds(tmp_path, now_utc())
    assert (tmp_path / "all.ics").read_bytes() == reference
    district = EventFilter(districts=("OE",))
    assert (tmp_path / "district/OE.ics").read_bytes() == uncached(app, district)
    assert client.get("/feeds/district/OE.ics").data == uncached(app, district)


def test_a_new_title_a_renamed_venue_or_industry_change_the_stored_vevent(
        app, client, fairs):
    siegen = fairs[0]
    client.get("/feeds/all.ics")
    before = stored(siegen)
    data = calendar.EventData(
        title="Messe Siegen (neu)", event_type=siegen.event_type, venue=siegen.venue,
        all_day=False, starts_at=siegen.starts_at, ends_at=siegen.ends_at,
        audiences=siegen.audience_codes, industries=siegen.industry_codes,
        description=siegen.description)
    calendar.update_event(siegen, None, data, now=now_utc())
    db.session.commit()
    assert b"Messe Siegen (neu)" in client.get("/feeds/all.ics").data
    assert b"Messe Siegen (neu)" in stored(siegen) and stored(siegen) != before

    siegen.venue.name = "Neue Siegerlandhalle"  # no event changes, its VEVENT does
    db.session.commit()
    assert b"Neue Siegerlandhalle" in client.get("/feeds/all.ics").data
    assert b"Neue Siegerlandhalle" in stored(siegen)
    assert client.get("/feeds/all.ics").data == uncached(app)

    metal = db.session.get(Industry, "METALL")
    label = metal.name_de
    try:
        metal.name_de = "Metall- und Elektroindustrie (umbenannt)"
        db.session.commit()
        body = client.get("/feeds/all.ics").data
        assert body == uncached(app)
        assert b"(umbenannt)" in stored(siegen) and b"(umbenannt)" not in stored(fairs[1])
    finally:
        metal.name_de = label
        db.session.commit()


def test_a_cancellation_older_than_30_days_leaves_with_every_cache_warm(app, client, fairs):
    olpe = fairs[1]
    calendar.change_status(olpe, None, "cancelled", reason="Halle gesperrt", now=now_utc())
    db.session.commit()
    first = client.get("/feeds/all.ics")
    assert b"Abgesagt: Messe Olpe" in first.data and stored(olpe)
    assert client.get("/feeds/all.ics", headers={"If-None-Match": first.headers["ETag"]}
                      ).status_code == 304
    assert len(feeds.feed_cache()) == 1
    olpe.cancelled_at = now_utc() - timedelta(days=31)
    db.session.commit()
    gone = client.get("/feeds/all.ics")
    assert gone.headers["ETag"] != first.headers["ETag"]
    assert b"Messe Olpe" not in gone.data and gone.data == uncached(app)


def test_the_validator_leaves_by_the_passing_of_time(app, fairs):
    olpe = fairs[1]
    calendar.change_status(olpe, None, "cancelled", now=now_utc())
    db.session.commit()
    now = now_utc()
    base_url = app.config["BASE_URL"]
    today = feeds.feed_validator(EventFilter(), now, base_url)
    assert feeds.feed_validator(EventFilter(), now, base_url) == today  # remembered
    later = feeds.feed_validator(EventFilter(), now + timedelta(days=31), base_url)
    assert later.etag != today.etag  # the cancellation left; nothing was written


def test_every_write_to_what_shapes_a_feed_moves_the_data_version(app, fairs):
    version = feeds.data_version()
    assert version is not None
    fairs[0].venue.street = "Koblenzer Str. 151"
    db.session.commit()
    assert feeds.data_version() != version


def test_the_rendered_feed_cache_is_bounded():
    cache = feeds.RenderedFeeds(entries=2, size=10)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # now the most recent
    cache.put("c", b"1234")
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") == b"1234"
    cache.put("d", b"123456")  # 4 + 6 bytes fit, a third would not
    assert len(cache) == 2 and cache.bytes == 10 and cache.get("c") is None
    cache.put("huge", b"x" * 11)  # larger than the whole cache: never kept
    assert cache.get("huge") is None and cache.bytes == 10


def test_cache_entries_expire(monkeypatch):
    cache = feeds.RenderedFeeds(ttl=timedelta(minutes=15))
    cache.put("a", b"1")
    clock = feeds.time.monotonic() + 16 * 60
    monkeypatch.setattr(feeds.time, "monotonic", lambda: clock)
    assert cache.get("a") is None and len(cache) == 0
