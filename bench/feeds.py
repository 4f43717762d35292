"""Benchmark: the all-events feed, built, answered with 304, and as a static file.

Run: ``python bench/feeds.py [--events 2000]``. It creates a throw-away SQLite database
with synthetic published events spread over the real municipalities, then times, with
the Flask test client (no network):

- a full GET of /feeds/all.ics (query + build + serialise),
- a conditional GET answered with 304 (the cheap validator query only),
- reading the same bytes from a static file (the baseline nginx would serve),
- ``publish_feeds`` writing all 13 static feeds: the first run, a run with no change
  (every feed built and compared, none rewritten), and the scheduler's run with no change
  (validators only, nothing built).
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

from app import create_app  # noqa: E402
from app.accounts.models import Organisation  # noqa: E402
from app.calendar import services as calendar  # noqa: E402
from app.extensions import db  # noqa: E402
from app.feeds.publish import PublishState, publish_feeds  # noqa: E402
from app.reference.loader import load_reference_data  # noqa: E402
from app.reference.models import Municipality  # noqa: E402
from app.time import local_to_utc, now_utc  # noqa: E402


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{name:<38} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                          "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            db.create_all()
            load_reference_data()
            organisation = Organisation(name="Benchmark", kind="other")
            db.session.add(organisation)
            towns = list(db.session.execute(db.select(Municipality)).scalars())
            for n in range(args.events):
                town = towns[n % len(towns)]
                day = date(2027, 1, 1) + timedelta(days=n % 365)
                data = calendar.EventData(
                    title=f"Ausbildungsmesse {town.name} {n}", event_type="training_fair",
                    venue=calendar.find_or_create_venue(f"Halle {n % 40}", town),
                    all_day=False, starts_at=local_to_utc(day, clock(9)),
                    ends_at=local_to_utc(day, clock(15)), audiences=["pupils", "parents"],
                    industries=["CROSS"], description="Berufe, Betriebe, Beratung. " * 5,
                )
                event = calendar.create_event(organisation, None, data)
                calendar.change_status(event, None, "published")
            db.session.commit()
        client = app.test_client()
        first = client.get("/feeds/all.ics")
        etag = first.headers["ETag"]
        static = Path(folder) / "all.ics"
        static.write_bytes(first.data)
        print(f"{args.events} events, feed size {len(first.data) / 1024:.0f} KiB")
        report("GET /feeds/all.ics (build)", timed(lambda: client.get("/feeds/all.ics"),
                                                   args.repeat))
        report("GET /feeds/all.ics, If-None-Match (304)", timed(
            lambda: client.get("/feeds/all.ics", headers={"If-None-Match": etag}),
            args.repeat * 5))
        report("GET /feeds/district/SI.ics (build)", timed(
            lambda: client.get("/feeds/district/SI.ics"), args.repeat))
        report("baseline: read the static file", timed(static.read_bytes, args.repeat * 5))
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
            for _ in range(args.repeat):
                start = time.perf_counter()
                quiet = publish_feeds(published, now_utc(), state)
                runs.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            report(f"scheduler job, no change ({len(quiet.skipped)} skipped)", runs)


if __name__ == "__main__":
    main()
