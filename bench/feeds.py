"""Benchmark: the all-events feed cold, warm, as 304 and against a static file.

Run: ``python bench/feeds.py [--events 10000]``. It creates a throw-away SQLite database
with synthetic published events spread over the real municipalities, then times, with
``time.perf_counter`` around requests of the Flask test client (no network; its
overhead is part of every figure, so the comparisons are like for like):

- the cold build: a new process (a new app, empty in-memory caches) building
  /feeds/all.ics from the database, where each event's serialised VEVENT is stored
  (``feed_event_cache``: written by the first build that meets the event, kept up to date
  by the scheduler's publish-feeds run at start and after every change);
- the very first build ever, with nothing stored: every VEVENT serialised by icalendar
  (about half a millisecond each). It happens once per event, and once more for every
  event after a deploy that changes the feed builder (the scheduler's first run);
- a warm 200 (the rendered feed comes from the in-process cache), compared in the same
  run with the same app serving a static file of the same size (``send_file``);
- a conditional GET answered with 304: through the test client, as a bare WSGI call,
  and ``feed_validator()`` alone, remembered and after a write (computed again);
- ``publish_feeds`` writing all 13 static feeds: the first run, a run with no change
  (every feed built and compared, none rewritten), and the scheduler's run with no change
  (validators only, nothing built).

Targets (the feeds issue): 304 under 2 ms of server time, warm 200 within 1.5× of the
static file, cold build of 10,000 events under 1 s. CPU times are printed next to the
wall-clock ones: on a busy machine they are the fair figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import send_file  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Organisation  # noqa: E402
from app.calendar import services as calendar  # noqa: E402
from app.calendar.filters import EventFilter  # noqa: E402
from app.calendar.models import Event, EventAudience, event_industries, new_uid  # noqa: E402
from app.extensions import db  # noqa: E402
from app.feeds import services as feeds  # noqa: E402
from app.feeds.models import FeedEventCache  # noqa: E402
from app.feeds.publish import PublishState, publish_feeds  # noqa: E402
from app.reference.loader import load_reference_data  # noqa: E402
from app.reference.models import Municipality  # noqa: E402
from app.time import local_to_utc, now_utc  # noqa: E402

FEED = "/feeds/all.ics"


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> float:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    median = statistics.median(samples)
    print(f"{name:<52} median {median:9.2f} ms   p95 {p95:9.2f} ms   (n={len(samples)})")
    return median


def make_app(database: str, static: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench",
                      "TESTING": True, "BASE_URL": "https://messekalender.example"})

    @app.get("/bench/static.ics")
    def static_file():
        """The baseline: the same app serving a file of the feed's size."""
        return send_file(static, mimetype="text/calendar")

    return app


def fill(app, events: int) -> None:
    """Synthetic published events over the real municipalities, inserted in bulk (the
    services would take minutes for 10,000; the rows are what they would write)."""
    with app.app_context():
        upgrade()  # the migrations, with the triggers that keep the feed data version
        load_reference_data()
        organisation = Organisation(name="Benchmark", kind="other")
        db.session.add(organisation)
        towns = list(db.session.execute(db.select(Municipality)).scalars())
        venues: dict[tuple[int, int], int] = {}
        industries = ["CROSS", "METALL", "AUTO", "HOLZ"]
        rows, links, audiences = [], [], []
        now = now_utc()
        for n in range(events):
            town = towns[n % len(towns)]
            if (n % 40, town.id) not in venues:
                venue = calendar.find_or_create_venue(f"Halle {n % 40}", town)
                db.session.flush()
                venues[n % 40, town.id] = venue.id
            day = date(2027, 1, 1) + timedelta(days=n % 365)
            rows.append({
                "id": n + 1, "uid": new_uid(), "title": f"Ausbildungsmesse {town.name} {n}",
                "description": "Berufe, Betriebe, Beratung. " * 5,
                "event_type": "training_fair", "status": "published", "all_day": False,
                "starts_at": local_to_utc(day, clock(9)), "ends_at": local_to_utc(day, clock(15)),
                "venue_id": venues[n % 40, town.id], "organisation_id": organisation.id,
                "sequence": 0, "created_at": now, "updated_at": now, "published_at": now,
            })
            links += [{"event_id": n + 1, "industry_code": code}
                      for code in [industries[n % 4], "CROSS"][: 1 + n % 2]]
            audiences += [{"event_id": n + 1, "code": "pupils", "grade_from": 8,
                           "grade_to": 10},
                          {"event_id": n + 1, "code": "parents"}]
        db.session.execute(db.insert(Event), rows)
        db.session.execute(db.insert(event_industries), links)
        db.session.execute(db.insert(EventAudience), audiences)
        db.session.commit()


def forget_stored_vevents(app) -> None:
    with app.app_context():
        db.session.execute(db.delete(FeedEventCache))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/bench.sqlite"
        static = Path(folder) / "all.ics"
        app = make_app(database, static)
        start = time.perf_counter()
        fill(app, args.events)
        print(f"{args.events} events created in {time.perf_counter() - start:.1f} s")

        # (a) The very first build: no stored VEVENTs, no rendered feed, a new app.
        cold = []
        for _ in range(1):  # about 1 ms per event: one run says enough
            forget_stored_vevents(app)
            app = make_app(database, static)
            client = app.test_client()
            start, cpu = time.perf_counter(), time.process_time()
            first = client.get(FEED)
            cold.append((time.perf_counter() - start) * 1000)
            cold_cpu = [(time.process_time() - cpu) * 1000]
        assert first.status_code == 200
        body, etag = first.data, first.headers["ETag"]
        static.write_bytes(body)
        print(f"feed size {len(body) / 1024:.0f} KiB, "
              f"{body.count(b'BEGIN:VEVENT')} events in the feed")
        report("first build ever: every VEVENT serialised", cold)
        report("  the same, CPU time of this process", cold_cpu)

        # (b) A cold process (new app, empty in-memory caches), stored VEVENTs warm.
        samples, cpu_samples = [], []
        for _ in range(5):
            app = make_app(database, static)
            client = app.test_client()
            start, cpu = time.perf_counter(), time.process_time()
            again = client.get(FEED)
            samples.append((time.perf_counter() - start) * 1000)
            cpu_samples.append((time.process_time() - cpu) * 1000)
            assert again.data == body, "a cached build must give the same bytes"
        report("cold build: new process, VEVENTs stored", samples)
        cold_build = report("  the same, CPU time of this process", cpu_samples)
        print(f"{'cold build (CPU) / target 1 s':<52} {cold_build / 1000:9.2f} ×  (target ≤ 1 ×)")
        with app.app_context():
            samples = timed(lambda: feeds.render_feed(EventFilter(), now_utc()), 5)
        report("render_feed() alone, stored VEVENTs warm", samples)

        # Warm 200 against the same app serving a static file of the same size.
        assert client.get("/bench/static.ics").data == body
        warm = report("warm 200 GET /feeds/all.ics", timed(
            lambda: client.get(FEED).data, args.repeat))
        baseline = report("static file of the same size, same app", timed(
            lambda: client.get("/bench/static.ics").data, args.repeat))
        print(f"{'warm 200 / static file':<52} {warm / baseline:9.2f} ×  (target ≤ 1.5 ×)")

        # 304: through the test client, as a bare WSGI call, and the validator alone.
        report("304 GET, If-None-Match (test client)", timed(
            lambda: client.get(FEED, headers={"If-None-Match": etag}), args.repeat * 4))
        environ = EnvironBuilder(path=FEED, headers={"If-None-Match": etag}).get_environ()

        def wsgi_call() -> None:
            statuses = []
            for _chunk in app.wsgi_app(dict(environ), lambda s, h, e=None: statuses.append(s)):
                pass
            assert statuses == ["304 NOT MODIFIED"], statuses

        report("304, server time of the WSGI call", timed(wsgi_call, args.repeat * 4))
        with app.app_context():
            base_url = app.config["BASE_URL"]
            samples = timed(lambda: feeds.feed_validator(EventFilter(), now_utc(), base_url),
                            args.repeat * 4)
        report("feed_validator() alone", samples)
        with app.app_context():
            def validator_after_a_write():
                feeds._validators().clear()  # as after any write: computed again
                feeds.feed_validator(EventFilter(), now_utc(), base_url)
            samples = timed(validator_after_a_write, 10)
        report("feed_validator() after a write (recomputed)", samples)

        published = Path(folder) / "published"
        with app.app_context():
            state = PublishState()
            start = time.perf_counter()
            first_run = publish_feeds(published, now_utc(), state)
            report(f"publish-feeds, first run ({len(first_run.written)} written)",
                   [(time.perf_counter() - start) * 1000])
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                again = publish_feeds(published, now_utc())
                runs.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            report(f"publish-feeds, no change ({len(again.written)} written)", runs)
            runs = []
            for _ in range(10):
                start = time.perf_counter()
                quiet = publish_feeds(published, now_utc(), state)
                runs.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            report(f"scheduler job, no change ({len(quiet.skipped)} skipped)", runs)
            assert (published / "all.ics").read_bytes() == body


if __name__ == "__main__":
    main()
