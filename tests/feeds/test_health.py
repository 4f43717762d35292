"""Feed health: fetches counted per feed, day and kind of calendar app, distinct clients
once a day (even across workers), the share of 304s, nothing personal stored; nginx's
log replayed into the same counts; retention; the organisers' page."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.calendar.filters import EventFilter
from app.extensions import db
from app.feeds import health
from app.feeds.models import FeedFetchClient, FeedFetchDay, FeedLogCursor, FeedStatsSalt
from app.time import local_today, now_utc

GOOGLE = "Google-Calendar-Importer"
OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
APPLE = "macOS/14.4 (23E214) CalendarAgent/1121"
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.9.0"


def fetch(client, path, agent, address="192.0.2.10", etag=None):
    headers = {"User-Agent": agent}
    if etag:
        headers["If-None-Match"] = etag
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def rows() -> dict[tuple[str, str], FeedFetchDay]:
    return {(row.feed, row.client): row
            for row in db.session.execute(select(FeedFetchDay)).scalars()}


@pytest.mark.parametrize(("agent", "kind"), [
    (GOOGLE, "google"), (OUTLOOK, "microsoft"), (APPLE, "apple"),
    ("iOS/17.4 (21E219) dataaccessd/1.0", "apple"), (THUNDERBIRD, "thunderbird"),
    ("curl/8.5.0", "other"), (None, "other"), ("", "other"),
])
def test_client_kind_from_the_user_agent(agent, kind):
    assert health.client_kind(agent) == kind


def test_feed_keys():
    assert health.feed_key(EventFilter()) == "all"
    assert health.feed_key(EventFilter(districts=("HSK",))) == "district/HSK"
    assert health.feed_key(EventFilter(industries=("AUTO",)), atom=True) == "atom:industry/AUTO"
    assert health.feed_key(EventFilter(districts=("SO", "HSK"), audiences=("pupils",))) == (
        "filtered:audience=pupils&district=SO&district=HSK")


def test_fetches_clients_and_304s_are_counted_per_feed_and_app(client, make_event):
    make_event("Ausbildungsmesse Siegen")
    first = fetch(client, "/feeds/all.ics", GOOGLE)
    etag = first.headers["ETag"]
    fetch(client, "/feeds/all.ics", GOOGLE, etag=etag)            # same client again
    fetch(client, "/feeds/all.ics", GOOGLE, "192.0.2.11", etag)   # another Google server
    fetch(client, "/feeds/all.ics", APPLE, "192.0.2.20", etag)
    fetch(client, "/feeds/district/SI.ics", THUNDERBIRD, "192.0.2.30")
    fetch(client, "/feeds/all.ics?audience=pupils&district=SI", OUTLOOK)
    fetch(client, "/feeds/all.atom", "Feedly/1.0")
    assert fetch(client, "/feeds/all.ics?district=XX", GOOGLE).status_code == 400

    assert health.flush() > 0
    counted = rows()
    google = counted[("all", "google")]
    assert (google.fetches, google.not_modified, google.clients) == (3, 2, 2)
    assert google.day == local_today()
    assert (counted[("all", "apple")].fetches, counted[("all", "apple")].not_modified) == (1, 1)
    assert counted[("district/SI", "thunderbird")].clients == 1
    assert counted[("filtered:audience=pupils&district=SI", "microsoft")].fetches == 1
    assert counted[("atom:all", "other")].fetches == 1
    assert len(counted) == 5  # the 400 is not a fetch of a feed

    # Nothing personal is stored: no address, no user agent, anywhere.
    stored = repr([tuple(row) for table in (FeedFetchDay, FeedFetchClient, FeedStatsSalt)
                   for row in db.session.execute(select(table.__table__)).all()])
    for secret in ("192.0.2.", "Google-Calendar", "CalendarAgent", "Thunderbird/"):
        assert secret not in stored

    # The same clients tomorrow... are new clients of a new day; today they count once.
    fetch(client, "/feeds/all.ics", GOOGLE, etag=etag)
    health.flush()
    db.session.expire_all()
    assert (rows()[("all", "google")].fetches, rows()[("all", "google")].clients) == (4, 2)


def test_two_workers_count_a_client_once(app):
    at = now_utc()
    workers = [health.Recorder(), health.Recorder()]
    for worker in workers:
        worker.record("all", 304, "192.0.2.1", GOOGLE, at)
    workers[0].record("all", 200, "192.0.2.2", GOOGLE, at + timedelta(seconds=5))
    for worker in workers:
        health.flush(worker.take())
    row = rows()[("all", "google")]
    assert (row.fetches, row.not_modified, row.clients) == (3, 2, 2)
    assert row.last_fetch_at == at + timedelta(seconds=5)


def test_filtered_feeds_are_bounded_per_day(app):
    worker = health.Recorder()
    at = now_utc()
    for number in range(health.MAX_FILTERED_FEEDS + 5):
        worker.record(f"filtered:occupation={number}", 200, "192.0.2.1", GOOGLE, at)
    feeds = {feed for _day, feed, _kind in worker.take()}
    assert len(feeds) == health.MAX_FILTERED_FEEDS + 1 and health.OTHER_FILTERED in feeds


def log_line(at: datetime, uri: str, status: int = 200, agent: str = GOOGLE,
             address: str = "192.0.2.50", upstream: str = "-") -> str:
    return f"{at.isoformat()}\t{status}\t{upstream}\t{uri}\t{address}\t{agent}\n"


def test_nginx_log_is_replayed_once_even_across_a_rotation(app, tmp_path):
    log = tmp_path / "feeds.log"
    at = datetime.fromisoformat("2027-03-10T08:15:00+01:00")
    log.write_text(
        log_line(at, "/feeds/all.ics")
        + log_line(at, "/feeds/all.ics", 304)
        + log_line(at, "/feeds/all.ics", 304, APPLE, "192.0.2.51")
        + log_line(at, "/feeds/district/HSK.ics", 304, THUNDERBIRD)
        + log_line(at, "/feeds/all.ics", 200, upstream="200")   # the app answered: it counts
        + log_line(at, "/feeds/all.ics", 404)
        + log_line(at, "/static/css/app.css")
        + "garbage without tabs\n"
        + log_line(at, "/feeds/all.ics").rstrip("\n"))            # half-written: not yet
    assert health.count_log(str(log)) == 4
    counted = rows()
    assert (counted[("all", "google")].fetches, counted[("all", "google")].clients) == (2, 1)
    assert counted[("all", "google")].day == date(2027, 3, 10)
    assert counted[("all", "apple")].not_modified == 1
    assert counted[("district/HSK", "thunderbird")].fetches == 1

    assert health.count_log(str(log)) == 0  # nothing new
    with log.open("a") as handle:  # the half line is finished, one more comes
        handle.write("\n" + log_line(at + timedelta(hours=1), "/feeds/all.ics", 304))
    assert health.count_log(str(log)) == 2
    # Rotation: the old file moves to .1 (a last line written to it), a new one starts.
    with log.open("a") as handle:
        handle.write(log_line(at + timedelta(hours=2), "/feeds/industry/AUTO.ics", 200, APPLE))
    os.rename(log, str(log) + ".1")
    log.write_text(log_line(at + timedelta(hours=3), "/feeds/all.ics", 304, OUTLOOK))
    assert health.count_log(str(log)) == 2
    db.session.expire_all()
    counted = rows()
    assert counted[("all", "google")].fetches == 4
    assert counted[("industry/AUTO", "apple")].fetches == 1
    assert counted[("all", "microsoft")].fetches == 1
    cursor = db.session.get(FeedLogCursor, str(log))
    assert cursor.inode == os.stat(log).st_ino and cursor.offset == log.stat().st_size
    assert health.count_log(str(tmp_path / "missing.log")) == 0


def test_retention_forgets_client_hashes_after_the_day_and_counts_after_400_days(app):
    today = local_today()
    for day in (today, today - timedelta(days=1), today - timedelta(days=401)):
        worker = health.Recorder()
        worker.record("all", 200, "192.0.2.1", GOOGLE,
                      datetime.combine(day, datetime.min.time()).replace(
                          hour=12, tzinfo=now_utc().tzinfo))
        health.flush(worker.take())
    health.prune(today)
    assert {row.day for row in db.session.execute(select(FeedFetchClient)).scalars()} == {today}
    assert {row.day for row in db.session.execute(select(FeedStatsSalt)).scalars()} == {today}
    assert {row.day for row in db.session.execute(select(FeedFetchDay)).scalars()} == {
        today, today - timedelta(days=1)}


def test_the_job_is_registered():
    from app import jobs

    assert jobs.job_by_id("feed-health").func is jobs.feed_health_job


def test_health_page_for_organisers_and_admins_only(client, make_event, make_user, org_a,
                                                     org_b, organiser_a, make_company):
    from tests.conftest import PASSWORD

    make_event("Messe Siegen", organisation=org_a, town="Siegen")
    make_event("Messe Meschede", organisation=org_b, town="Meschede")
    fetch(client, "/feeds/district/SI.ics", GOOGLE)
    fetch(client, "/feeds/district/HSK.ics", APPLE)
    health.flush()

    assert client.get("/feeds/health").status_code == 302  # to the login
    company_user = make_user("firma@beispiel.example", "company", company=make_company())
    for user, status in ((company_user, 403), (organiser_a, 200)):
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        page = client.get("/feeds/health")
        assert page.status_code == status, user.email
        client.post("/logout")
    client.post("/login", data={"email": organiser_a.email, "password": PASSWORD})
    html = client.get("/feeds/health").get_data(as_text=True)
    assert "<svg" in html and 'role="img"' in html
    assert 'rect class="health-chart__bar health-chart__bar--google"' in html
    assert "district/SI" in html and "district/HSK" in html
    mine = client.get("/feeds/health?mine=1").get_data(as_text=True)
    assert "district/SI" in mine and "district/HSK" not in mine
    one = client.get("/feeds/health?feed=district/HSK").get_data(as_text=True)
    assert 'rect class="health-chart__bar health-chart__bar--apple"' in one
    assert 'rect class="health-chart__bar health-chart__bar--google"' not in one
    assert client.get("/feeds/health?feed=<script>").status_code == 200


def test_chart_scales_bars_to_the_peak():
    from app.feeds.health_report import ChartDay, chart

    today = date(2027, 3, 31)
    days = [ChartDay(today - timedelta(days=n), {}) for n in range(89, -1, -1)]
    days[-1] = ChartDay(today, {"google": 30, "apple": 10})
    drawn = chart(days)
    assert len(drawn.bars) == 2
    google, apple = drawn.bars
    assert google.kind == "google" and apple.y < google.y
    assert abs(google.height - 3 * apple.height) < 0.01
    assert drawn.ticks[0][1] == 0 and drawn.ticks[-1][1] >= 40
    assert [day for _x, day in drawn.months] == [date(2027, 1, 1), date(2027, 2, 1),
                                                 date(2027, 3, 1)]
