"""Benchmark: the calendar page and /embed at 10,000 events, each beside a static page
served by the same app in the same run, and the cost of the feed statistics.

Run: ``python bench/pages.py [--events 10000] [--repeat 30]``. It fills a throw-away
SQLite database with synthetic published events (as ``bench/feeds.py`` does) and times,
through the Flask test client (no network; its overhead is in every figure, so the
comparisons are like for like), with wall-clock and CPU time:

- ``/`` (the list), ``/`` filtered (district, audience and type), ``/?view=month``,
  ``/embed`` and ``/embed`` filtered: "cold" (the rendered fragments forgotten before each
  request: what the first visitor after a change waits) and "warm" (the usual case: the
  fragment comes from the cache, only the page around it is rendered);
- a static HTML file of the calendar page's size, served by the same app (``send_file``);
- the feed statistics: a 304 of ``/feeds/all.ics`` with the statistics on and off
  (interleaved, the difference is their cost per request), ``Recorder.record`` alone, and
  a flush of a realistic tally (amortised over ``FLUSH_SECONDS`` of requests).

Targets (the reach issue): calendar page ≤ 50 ms, embed ≤ 20 ms of server time at 10,000
events; feed statistics ≤ 0.2 ms per request. The machine's load average is printed:
on a shared machine, compare the CPU times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds import fill  # noqa: E402  (bench/feeds.py: the same synthetic events)
from flask import send_file  # noqa: E402

from app import create_app  # noqa: E402
from app.time import now_utc  # noqa: E402

PAGES = [
    ("calendar /", "/"),
    ("calendar / filtered", "/?district=HSK&audience=pupils&type=training_fair"),
    ("calendar month view", "/?view=month&month=2027-03"),
    ("embed", "/embed"),
    ("embed filtered", "/embed?district=SI&audience=pupils"),
]


def make_app(database: str, static: Path, **extra):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench",
                      "TESTING": True, "BASE_URL": "https://messekalender.example", **extra})

    @app.get("/bench/static.html")
    def static_page():
        """The baseline: the same app serving a file of the calendar page's size."""
        return send_file(static, mimetype="text/html")

    return app


def measure(function, repeat: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeat):
        start, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def row(name: str, wall: list[float], cpu: list[float], baseline: float | None = None) -> float:
    median = statistics.median(wall)
    ratio = f"{median / baseline:7.1f} ×" if baseline else ""
    print(f"{name:<44}{median:9.2f}{statistics.quantiles(wall, n=20)[-1]:9.2f}"
          f"{statistics.median(cpu):9.2f}   {ratio}")
    return median


def forget_fragments(app) -> None:
    try:
        from app.extensions import cache
    except ImportError:  # a version without fragment caching (a baseline run)
        return
    with app.app_context():
        cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/bench.sqlite"
        static = Path(folder) / "calendar.html"
        app = make_app(database, static)
        fill(app, args.events)
        client = app.test_client()
        page = client.get("/")
        assert page.status_code == 200
        static.write_bytes(page.data)
        print(f"{args.events} events; the calendar page is {len(page.data) / 1024:.0f} KiB, "
              f"{page.data.count(b'event-item__title')} events listed\n")
        print(f"{'':<44}{'median':>9}{'p95':>9}{'CPU':>9}   vs static  (ms)")
        baseline = row("static page of the same size, same app",
                       *measure(lambda: client.get("/bench/static.html").data, args.repeat))
        for name, path in PAGES:
            answer = client.get(path)
            if answer.status_code != 200:
                print(f"{name:<44}   (not served here: {answer.status_code})")
                continue

            def cold(path=path):
                forget_fragments(app)
                return client.get(path).data

            row(f"{name}, cold", *measure(cold, max(args.repeat // 3, 5)), baseline)
            row(f"{name}, warm", *measure(lambda path=path: client.get(path).data,
                                          args.repeat), baseline)
        feed_statistics(database, static, args.repeat)


def feed_statistics(database: str, static: Path, repeat: int) -> None:
    """What counting a feed request costs: on and off, interleaved."""
    print("\nfeed statistics")
    try:
        from app.feeds import health
    except ImportError:
        print("  (not in this version)")
        return
    apps = {flag: make_app(database, static, FEED_HEALTH_ENABLED=flag) for flag in (True, False)}
    clients = {flag: app.test_client() for flag, app in apps.items()}
    etag = clients[True].get("/feeds/all.ics").headers["ETag"]
    headers = {"If-None-Match": etag, "User-Agent": "Google-Calendar-Importer"}
    samples: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeat * 20):
        for flag in (True, False):
            start, started_cpu = time.perf_counter(), time.process_time()
            assert clients[flag].get("/feeds/all.ics", headers=headers).status_code == 304
            samples[flag].append((time.perf_counter() - start) * 1000)
            cpu[flag].append((time.process_time() - started_cpu) * 1000)
    on = row("304 /feeds/all.ics, statistics on", samples[True], cpu[True])
    off = row("304 /feeds/all.ics, statistics off", samples[False], cpu[False])
    print(f"{'  difference (target ≤ 0.2 ms)':<44}{on - off:9.3f}")
    recorder = health.Recorder()
    at = now_utc()
    count = 100_000
    start = time.perf_counter()
    for number in range(count):
        recorder.record("all", 304, f"203.0.113.{number % 250}", "Google-Calendar-Importer", at)
    print(f"{'Recorder.record() alone':<44}{(time.perf_counter() - start) * 1000 / count:9.4f}")
    with apps[True].app_context():
        tally = health.Recorder()
        for number in range(3000):  # ~30 s of a busy worker: 100 feed requests a second
            tally.record(f"district/{('HSK', 'OE', 'SI', 'SO', 'MK')[number % 5]}", 304,
                         f"203.0.113.{number % 250}", "Google-Calendar-Importer", at)
        start = time.perf_counter()
        health.flush(tally.take())
        flushed = (time.perf_counter() - start) * 1000
    print(f"{'flush of 3,000 requests (after the response)':<44}{flushed:9.2f}"
          f"   = {flushed / 3000:.4f} ms per request")


if __name__ == "__main__":
    main()
