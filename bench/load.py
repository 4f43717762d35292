"""Load test: gunicorn on loopback with the demo data, N concurrent users for T seconds.

Run: ``python bench/load.py --users 50 --seconds 30`` (a fresh SQLite file in a temporary
folder) or ``python bench/load.py --database postgresql://user:pw@localhost/dbname`` (an
existing, preferably empty database: ``init-db`` and ``seed-demo`` are idempotent, the
benchmark adds its own companies and booth categories next to what is there).

What it does:

1. ``flask --app wsgi init-db`` and ``seed-demo`` into the database;
2. through the services: booth sign-ups with a large "Load test" category on up to five
   upcoming published fairs, and one company with a user and an API token per virtual user;
3. starts gunicorn with ``deploy/gunicorn.conf.py`` bound to 127.0.0.1 on a free port;
4. runs the users as threads (plain ``http.client``, no think time), each picking at
   random: the calendar (``/``, ``/?view=month``, an event page), a feed (mostly
   conditional with ``If-None-Match``, answered 304), or the booking API (book a booth
   with ``POST /api/v1/bookings``, then cancel it with ``POST …/cancel``);
5. prints requests/s and p50/p99 latency per kind, and the errors; stops gunicorn.

Only 127.0.0.1 is ever contacted. 429 answers (the API's per-token rate limits, which
stay on as in production) and 409s (e.g. a booking already cancelled) are counted as
such, not as errors; an error is a 5xx, an unexpected status or a failed connection.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from _server import (
    ROOT,
    bench_env,
    default_workers,
    flask_command,
    free_port,
    percentile,
    request,
    server_errors,
    start_gunicorn,
    stop,
)

sys.path.insert(0, str(ROOT))

MIX = [("page", 45), ("feed", 35), ("booking", 20)]
EXPECTED = {  # kind → statuses that are a correct answer under load
    "calendar": {200}, "calendar month": {200}, "event page": {200},
    "feed (conditional)": {200, 304}, "feed (full)": {200},
    "book": {201, 409, 429}, "cancel": {200, 409, 429},
}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int | None, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if status is not None:
                self.statuses[kind][status] += 1
            if error is not None:
                self.errors[kind].append(error)


def prepare(env: dict[str, str], users: int) -> dict:
    """Migrate, seed the demo data and add the benchmark's fairs, companies and tokens."""
    for command in ("init-db", "seed-demo"):
        flask_command(env, command)
    os.environ.update(env)
    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import Company, User
    from app.accounts.services import issue_token
    from app.booths import services as booths
    from app.calendar.models import Event
    from app.extensions import db
    from app.reference.models import District, Industry
    from app.time import now_utc

    app = create_app()
    with app.app_context():
        now = now_utc().replace(microsecond=0)
        events = db.session.execute(
            select(Event).where(Event.status == "published").order_by(Event.starts_at)
        ).scalars().all()
        run = secrets.token_hex(3)
        categories = []
        for event in events:
            if event.starts_at < now + timedelta(days=3) or len(categories) >= 5:
                continue
            organiser = db.session.execute(select(User).where(
                User.organisation_id == event.organisation_id, User.role == "organiser")
            ).scalars().first()
            if organiser is None:
                continue
            if booths.setup_of(event) is None:
                booths.configure_fair(event, organiser, booths.FairSetupData(
                    opens_at=now - timedelta(days=1),
                    closes_at=event.starts_at - timedelta(days=1), approval="auto"), now)
            categories.append(booths.add_category(event, organiser, booths.CategoryData(
                name=f"Load test {run}", size_m2=9.0, price_cents=0, capacity=10_000)))
        db.session.flush()
        tokens = []
        for number in range(users):
            company = Company(name=f"Lastfirma {run}-{number} GmbH")
            user = User(email=f"last-{run}-{number}@bench.example", role="company",
                        company=company, password_hash="!", language="de")
            db.session.add_all([company, user])
            db.session.flush()
            tokens.append(issue_token(user, "load test"))
        data = {
            "event_ids": [event.id for event in events],
            "category_ids": [category.id for category in categories],
            "tokens": tokens,
            "feeds": ["/feeds/all.ics"]
            + [f"/feeds/district/{code}.ics" for code in
               db.session.execute(select(District.code)).scalars()]
            + [f"/feeds/industry/{code}.ics" for code in
               db.session.execute(select(Industry.code).limit(8)).scalars()],
        }
        db.session.commit()
        db.engine.dispose()
    return data


class User_(threading.Thread):
    """One virtual user: a company user's token, remembered ETags and an open booking."""

    def __init__(self, port: int, data: dict, token: str, stats: Stats, until: float,
                 max_requests: int, seed: int, mix: list[tuple[str, float]] = MIX):
        super().__init__(daemon=True)
        self.mix = mix
        self.port, self.data, self.stats, self.until = port, data, stats, until
        self.max_requests = max_requests
        self.auth = {"Authorization": f"Bearer {token}"}
        self.random = random.Random(seed)
        self.etags: dict[str, str] = dict(data["etags"])  # a subscriber has fetched before
        self.booking: int | None = None

    def timed(self, kind: str, method: str, path: str, headers: dict | None = None,
              body: dict | None = None) -> tuple[int | None, dict, bytes]:
        started = time.perf_counter()
        status, answer_headers, content, error = None, {}, b"", None
        try:
            status, answer_headers, content = request(self.port, method, path, headers, body)
            if status not in EXPECTED[kind]:
                error = f"{method} {path} → {status}"
        except (OSError, http.client.HTTPException) as problem:
            error = f"{method} {path}: {problem!r}"
        self.stats.record(kind, time.perf_counter() - started, status, error)
        return status, answer_headers, content

    def page(self) -> None:
        choice = self.random.random()
        if choice < 0.4:
            self.timed("calendar", "GET", "/")
        elif choice < 0.6:
            self.timed("calendar month", "GET", "/?view=month")
        elif self.data["event_ids"]:
            event_id = self.random.choice(self.data["event_ids"])
            self.timed("event page", "GET", f"/events/{event_id}")

    def feed(self) -> None:
        path = self.random.choice(self.data["feeds"])
        etag = self.etags.get(path)
        if etag and self.random.random() < 0.9:
            self.timed("feed (conditional)", "GET", path, {"If-None-Match": etag})
            return
        status, headers, _ = self.timed("feed (full)", "GET", path)
        if status == 200 and "etag" in headers:
            self.etags[path] = headers["etag"]

    def booking_step(self) -> None:
        if not self.data["category_ids"]:
            return
        if self.booking is None:
            category = self.random.choice(self.data["category_ids"])
            status, _, content = self.timed("book", "POST", "/api/v1/bookings", self.auth,
                                            {"category_id": category, "staff_count": 2})
            if status == 201:
                self.booking = json.loads(content)["id"]
        else:
            status, _, _ = self.timed("cancel", "POST",
                                      f"/api/v1/bookings/{self.booking}/cancel", self.auth, {})
            if status in (200, 409):
                self.booking = None

    def run(self) -> None:
        actions = {"page": self.page, "feed": self.feed, "booking": self.booking_step}
        kinds, weights = zip(*self.mix, strict=True)
        done = 0
        while time.monotonic() < self.until and done < self.max_requests:
            actions[self.random.choices(kinds, weights)[0]]()
            done += 1


def server_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of gunicorn's workers so far, from /proc (Linux); the
    figure that does not depend on how busy the rest of the machine is. Workers that
    have ended (gunicorn replaces a worker after ``max_requests``) count through the
    master's children's times."""
    ticks = os.sysconf("SC_CLK_TCK")
    master = _stat(Path("/proc") / str(master_pid))
    total = (int(master[13]) + int(master[14])) / ticks if master else 0.0  # cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry)
        if fields and int(fields[1]) == master_pid:  # field 4: the parent
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _stat(process: Path) -> list[str] | None:
    """The fields of /proc/<pid>/stat from the third (state) on; None if it has ended."""
    try:
        return (process / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def report(stats: Stats, seconds: float, label: str) -> None:
    total = sum(len(values) for values in stats.latencies.values())
    errors = sum(len(values) for values in stats.errors.values())
    print(f"\n{label}: {total} requests in {seconds:.1f} s = {total / seconds:.0f} requests/s, "
          f"{errors} errors")
    print(f"{'kind':<20}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          "  statuses")
    for kind in EXPECTED:
        values = stats.latencies.get(kind)
        if not values:
            continue
        statuses = ", ".join(f"{code}×{count}"
                             for code, count in sorted(stats.statuses[kind].items()))
        print(f"{kind:<20}{len(values):>9}{len(values) / seconds:>8.1f}"
              f"{statistics.median(values) * 1000:>9.1f}{percentile(values, 0.99) * 1000:>9.1f}"
              f"{len(stats.errors[kind]):>8}  {statuses}")
    for kind, messages in stats.errors.items():
        for message in sorted(set(messages))[:5]:
            print(f"  error ({kind}): {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="per user, a second bound next to --seconds")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's rule)")
    parser.add_argument("--mix", default=",".join(f"{kind}={weight}" for kind, weight in MIX),
                        help="weights of the actions, e.g. page=1 for pages only")
    parser.add_argument("--database", default=None,
                        help="DATABASE_URL; default: a new SQLite file in a temporary folder")
    args = parser.parse_args()
    mix = [(kind, float(weight)) for kind, _, weight in
           (part.partition("=") for part in args.mix.split(","))]

    with tempfile.TemporaryDirectory(prefix="messekalender-load-") as folder:
        folder_path = Path(folder)
        database = args.database or f"sqlite:///{folder_path / 'load.sqlite'}"
        env = bench_env(folder_path, database)
        data = prepare(env, args.users)
        workers = args.workers or default_workers()
        port = free_port()
        log = folder_path / "gunicorn.log"
        process = start_gunicorn(env, port, workers, log)
        try:
            data["etags"] = {}
            for path in data["feeds"]:
                status, headers, _ = request(port, "GET", path)
                if status == 200 and "etag" in headers:
                    data["etags"][path] = headers["etag"]
            stats = Stats()
            load_before = os.getloadavg()
            cpu_before, own_before = server_cpu_seconds(process.pid), time.process_time()
            started = time.monotonic()
            until = started + args.seconds
            users = [User_(port, data, data["tokens"][number], stats, until,
                           args.max_requests, seed=number, mix=mix)
                     for number in range(args.users)]
            for user in users:
                user.start()
            for user in users:
                user.join(timeout=args.seconds + 120)
            elapsed = time.monotonic() - started
            server_cpu = server_cpu_seconds(process.pid) - cpu_before
            own_cpu = time.process_time() - own_before
            load_after = os.getloadavg()
        finally:
            stop(process)
        kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        report(stats, elapsed, f"{kind}, {args.users} users, "
               f"{workers} gunicorn workers")
        total = sum(len(values) for values in stats.latencies.values()) or 1
        cores = os.cpu_count() or 1
        per_request = (server_cpu + own_cpu) * 1000 / total
        print(f"\nload average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
              f"(1 min) on {cores} cores")
        print(f"CPU per request: {server_cpu * 1000 / total:.2f} ms in gunicorn's workers, "
              f"{own_cpu * 1000 / total:.2f} ms in this load generator"
              + (" (PostgreSQL's own processes not counted)" if kind == "PostgreSQL" else ""))
        print(f"what {cores} otherwise idle cores could serve at that cost: "
              f"{cores * 1000 / per_request:.0f} requests/s")
        logged = server_errors(log)
        if logged:
            print(f"\ngunicorn logged {len(logged)} error lines, e.g.:")
            print("\n".join(logged[:5]))


if __name__ == "__main__":
    main()
