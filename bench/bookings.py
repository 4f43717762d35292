"""Booking race: 500 companies book one booth category of 100 places at the same moment
through the API, against gunicorn with several workers, on SQLite or PostgreSQL; then,
on PostgreSQL, 2,000 companies arriving at random over 60 seconds.

Run: ``python bench/bookings.py`` (a fresh SQLite file in a temporary folder) or
``python bench/bookings.py --database postgresql://user:pw@localhost/dbname`` (an empty
database: the run refuses one that has tables, and leaves its data there).

What it does:

1. ``flask --app wsgi init-db`` (migrations and reference data);
2. through the services and models: one organiser organisation with four published
   fairs in Siegen, each with a booth sign-up open now (bookings confirmed automatically)
   and one category of 100 places; 2,000 companies (500 without the arrival run), each
   with a company user and an API token (inserted in bulk);
3. starts gunicorn with ``deploy/gunicorn.conf.py`` (its default number of workers)
   bound to 127.0.0.1 on a free port, plus a probe in every worker (``_probe.py``) that
   records each booking's CPU time, SQL statements and how long it held the category's
   lock;
4. the baseline, measured in the same run: 500 companies book the first fair's category
   with ``POST /api/v1/bookings``, one request after the other;
5. the race: the same companies book the second fair's category, 500 threads (one
   request each, plain ``http.client``) released together by a barrier;
6. the arrivals (PostgreSQL; ``--arrivals 0`` skips them, ``--arrivals N`` runs them on
   SQLite too): 2,000 companies book the third fair's category, arriving as a Poisson
   process over 60 seconds (seeded; latency counts from the planned arrival, so a slow
   server cannot hide behind a late client);
7. once gunicorn has stopped, 200 bookings of a fourth fair as WSGI calls into the app in
   this process, one after the other: the app's CPU per booking without the machine's
   other processes between two requests (next to the workers' figure under the race);
8. checks every run from the database: exactly 100 confirmed and the rest waitlisted at
   positions 1..n without gaps or repeats, the category's counter at 100, every answer a
   201 that agrees with the database (no 5xx, no 429), the waitlist in the order the
   server accepted the bookings (ids are handed out under the category's lock, so the
   first 100 ids are the confirmed ones and the waitlist follows the ids), and what the
   client can see of that order: a booking answered before another was sent has the
   smaller id; nothing in gunicorn's log of failures;
9. prints requests, wall time, requests/s, p50/p95/p99/max latency and the statuses of
   each run, the probes' figures, the issue's targets next to this run's figures, and
   the checks; stops gunicorn (also on failure); exits 1 if a check failed (a missed
   target is reported, not a failure: it depends on the machine's load).

The API's rate limits stay on as in production: they count per token (writes
``API_WRITE_RATE_LIMIT``, 60/minute), and every company has its own token and sends one
booking per fair, so a 429 would be a bug and fails the run. (``RATELIMIT_ENABLED =
False`` in the config would switch them off; it has no environment variable, and this
benchmark does not need it.)

Only 127.0.0.1 is ever contacted. The latency of the race includes the wait in the
listen queue: 500 requests arrive at once at a handful of sync workers.
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
from collections import Counter
from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import _probe
from _server import (
    ROOT,
    Check,
    bench_env,
    bench_organiser,
    client_order,
    default_workers,
    free_port,
    load_average,
    migrated_app,
    percentile,
    refuse_non_empty,
    request,
    row,
    server_errors,
    start_gunicorn,
    stop,
)

sys.path.insert(0, str(ROOT))

TOWN = "Siegen"  # a municipality of the reference data
BOOKINGS_PATH = "/api/v1/bookings"


@dataclass
class Answer:
    """One booking request as the client saw it."""

    company: int
    started: float  # time.perf_counter() before connecting
    ended: float  # after the whole answer was read
    status: int | None = None
    booking_id: int | None = None
    booking_status: str | None = None
    position: int | None = None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def accepted_id(self) -> int | None:
        """The id the server gave the booking (handed out in acceptance order)."""
        return self.booking_id



def prepare(env: dict[str, str], companies: int, places: int):
    """Migrate, then create the organiser, the two fairs with one category each and the
    companies with their tokens. Returns the app and the plan of the run."""
    app = migrated_app(env)
    from app.accounts.models import ApiToken, Company, User
    from app.booths import services as booths
    from app.calendar import services as calendar
    from app.extensions import db
    from app.time import local_to_utc, local_today, now_utc

    with app.app_context():
        now = now_utc().replace(microsecond=0)
        town, organisation, organiser = bench_organiser("IHK Siegen (Benchmark)", "ihk", TOWN)
        venue = calendar.find_or_create_venue("Siegerlandhalle", town)
        category_ids, event_ids = [], []
        for number, title in enumerate(("Ausbildungsmesse Siegen (Basislauf)",
                                        "Ausbildungsmesse Siegen (Wettlauf)",
                                        "Ausbildungsmesse Siegen (Ankünfte)",
                                        "Ausbildungsmesse Siegen (im Prozess)")):
            day = local_today() + timedelta(days=60 + 7 * number)
            event = calendar.create_event(organisation, organiser, calendar.EventData(
                title=title, event_type="training_fair", venue=venue, all_day=False,
                starts_at=local_to_utc(day, clock(9)), ends_at=local_to_utc(day, clock(15)),
                audiences=["pupils", "parents"], industries=["CROSS"]), now=now_utc())
            calendar.change_status(event, organiser, "published", now=now_utc())
            booths.configure_fair(event, organiser, booths.FairSetupData(
                opens_at=now - timedelta(hours=1), closes_at=event.starts_at - timedelta(days=1),
                approval="auto"), now)
            event_ids.append(event.id)
            category_ids.append(booths.add_category(event, organiser, booths.CategoryData(
                name="Standard 9 m²", size_m2=9.0, price_cents=25000, capacity=places,
                includes_table=True, includes_power=True)).id)
        tokens = [secrets.token_urlsafe(32) for _ in range(companies)]
        rows = []
        for number, token in enumerate(tokens):
            company = Company(name=f"Messefirma {number:03d} GmbH", municipality=town)
            user = User(email=f"firma{number:03d}@benchmark.example", role="company",
                        company=company, password_hash="!", language="de")
            rows += [company, user, ApiToken(user=user, token_hash=ApiToken.hash(token),
                                             label="benchmark")]
        db.session.add_all(rows)
        db.session.commit()
        db.engine.dispose()
    return app, {"baseline": category_ids[0], "race": category_ids[1],
                 "arrivals": category_ids[2], "in_process": category_ids[3],
                 "event": event_ids[0], "tokens": tokens}


def book(port: int, company: int, token: str, category_id: int,
         planned: float | None = None) -> Answer:
    """One booking request, timed (from ``planned`` when given: the arrival it stands
    for); the answer's booking id, status and position kept."""
    answer = Answer(company=company, started=planned or time.perf_counter(), ended=0.0)
    try:
        status, _, content = request(port, "POST", BOOKINGS_PATH,
                                     {"Authorization": f"Bearer {token}"},
                                     {"category_id": category_id, "staff_count": 2})
        answer.status = status
        if status == 201:
            booking = json.loads(content)
            answer.booking_id = booking["id"]
            answer.booking_status = booking["status"]
            answer.position = booking["waitlist_position"]
        else:
            answer.error = f"{status}: {content[:200]!r}"
    except (OSError, http.client.HTTPException, ValueError, KeyError) as problem:
        answer.error = repr(problem)
    answer.ended = time.perf_counter()
    return answer


def sequential(port: int, tokens: list[str], category_id: int) -> list[Answer]:
    return [book(port, number, token, category_id) for number, token in enumerate(tokens)]


def race(port: int, tokens: list[str], category_id: int) -> list[Answer]:
    """One thread per request, all released by one barrier."""
    barrier = threading.Barrier(len(tokens))
    answers: list[Answer | None] = [None] * len(tokens)

    def run(number: int) -> None:
        barrier.wait(timeout=120)
        answers[number] = book(port, number, tokens[number], category_id)

    threads = [threading.Thread(target=run, args=(number,), daemon=True)
               for number in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    missing = [number for number, answer in enumerate(answers) if answer is None]
    if missing:
        raise SystemExit(f"{len(missing)} request threads did not finish")
    return answers  # type: ignore[return-value]


def arrivals(port: int, tokens: list[str], category_id: int, seconds: float,
             seed: int) -> list[Answer]:
    """Each company arrives once, at times of a Poisson process (exponential gaps, mean
    ``seconds / len(tokens)``), each in its own thread."""
    chance = random.Random(seed)
    rate = len(tokens) / seconds
    answers: list[Answer | None] = [None] * len(tokens)
    threads = []
    start = time.perf_counter() + 0.5
    moment = start
    for number in range(len(tokens)):
        moment += chance.expovariate(rate)
        delay = moment - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

        def run(number: int = number, planned: float = moment) -> None:
            answers[number] = book(port, number, tokens[number], category_id, planned)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=120)
    if any(answer is None for answer in answers):
        raise SystemExit("some arrival threads did not finish")
    return answers  # type: ignore[return-value]


def in_process(app, tokens: list[str], category_id: int) -> list[float]:
    """CPU seconds of each booking as one WSGI call into the app in this process, one
    after the other (after the gunicorn runs): the app's own cost without the machine's
    other processes evicting its caches between two requests."""
    from werkzeug.test import EnvironBuilder

    seconds = []
    for token in tokens:
        environ = EnvironBuilder(
            method="POST", path=BOOKINGS_PATH, json={"category_id": category_id,
                                                     "staff_count": 2},
            headers={"Authorization": f"Bearer {token}"}).get_environ()
        started = time.thread_time()
        for _chunk in app(environ, lambda status, headers, *args: None):
            pass
        seconds.append(time.thread_time() - started)
    return seconds


def warm_up(port: int, event_id: int, workers: int) -> None:
    """Every worker imports, connects to the database and loads its translations once
    before anything is timed: a public read of the fair's categories (no token)."""
    path = f"/api/v1/events/{event_id}/booth-categories"
    threads = [threading.Thread(target=request, args=(port, "GET", path))
               for _ in range(workers * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def verify(app, category_id: int, answers: list[Answer], companies: int,
           places: int) -> list[Check]:
    """The invariants, from the database, and the answers against it."""
    from sqlalchemy import select

    from app.booths.models import Booking, BoothCategory
    from app.extensions import db

    waiting = companies - places
    checks = []
    bad = [answer for answer in answers if answer.status != 201]
    checks.append(Check(
        "every request answered 201 Created (no 5xx, no 429, no failed connection)",
        not bad, "; ".join(sorted({answer.error or "" for answer in bad})[:3])))
    with app.app_context():
        rows = db.session.execute(
            select(Booking.id, Booking.status, Booking.waitlist_position, Booking.company_id)
            .where(Booking.category_id == category_id).order_by(Booking.id)).all()
        taken = db.session.get(BoothCategory, category_id).places_taken
        db.session.remove()
        db.engine.dispose()
    by_status = Counter(row.status for row in rows)
    checks.append(Check(
        f"database: exactly {places} confirmed, {waiting} waitlisted, nothing else",
        len(rows) == companies and by_status == Counter(confirmed=places, waitlisted=waiting),
        ", ".join(f"{status} {count}" for status, count in sorted(by_status.items()))))
    positions = sorted(row.waitlist_position for row in rows if row.status == "waitlisted")
    checks.append(Check(
        f"waitlist positions exactly 1..{waiting} (no gaps, no repeats)",
        positions == list(range(1, waiting + 1)),
        f"{len(positions)} positions, {len(set(positions))} distinct"))
    checks.append(Check(f"category counter places_taken = {places}", taken == places,
                        f"places_taken = {taken}"))
    checks.append(Check("one booking per company", len({row.company_id for row in rows})
                        == len(rows) == companies))
    stored = {row.id: (row.status, row.waitlist_position) for row in rows}
    disagree = [answer for answer in answers if answer.status == 201
                and stored.get(answer.booking_id) != (answer.booking_status, answer.position)]
    checks.append(Check("every answer's status and position as stored", not disagree,
                        f"{len(disagree)} differ"))
    in_order = [row.status for row in rows[:places]] == ["confirmed"] * places and [
        row.waitlist_position for row in rows[places:]] == list(range(1, waiting + 1))
    checks.append(Check("acceptance order: the first ids confirmed, the waitlist by id",
                        in_order))
    broken, pairs = client_order(answers)
    checks.append(Check(
        "client-visible order: answered before sent ⇒ smaller id", not broken,
        f"{pairs:,} ordered pairs seen, {broken} out of order"))
    return checks



@dataclass
class Run:
    """One run: what the client saw and what the workers' probes recorded."""

    label: str
    category_id: int
    answers: list[Answer]
    probes: list[dict]

    @property
    def latencies(self) -> list[float]:
        return [answer.seconds for answer in self.answers]

    @property
    def rate(self) -> float:
        wall = max(a.ended for a in self.answers) - min(a.started for a in self.answers)
        return len(self.answers) / wall

    @property
    def created(self) -> int:
        return sum(1 for answer in self.answers if answer.status == 201)

    def probe(self, name: str) -> list[float]:
        return [record[name] for record in self.probes if record[name] is not None]


def probe_row(run: Run) -> str:
    cpu = [value * 1000 for value in run.probe("cpu")]
    statements = run.probe("statements")
    lock = [value * 1000 for value in run.probe("lock")]
    return (f"{run.label:<26}{len(run.probes):>9}{statistics.median(cpu):>9.2f}"
            f"{percentile(cpu, 0.99):>9.2f}{statistics.median(statements):>8.0f}"
            f"{min(statements):>5.0f}–{max(statements):<4.0f}{statistics.median(lock):>9.2f}"
            f"{percentile(lock, 0.99):>9.2f}{max(lock):>9.2f}")


def targets(runs: dict[str, Run], companies: int,
            local: list[float]) -> list[tuple[str, str, str, bool]]:
    """The issue's targets next to this run's figures: (what, target, figure, met)."""
    rows = []
    race = runs["race"]
    cpu = statistics.median(race.probe("cpu")) * 1000
    rows.append(("CPU per booking in the app (median, race)", "≤ 5 ms", f"{cpu:.2f} ms",
                 cpu <= 5))
    if local:
        cpu = statistics.median(local) * 1000
        rows.append(("  the same in-process, back to back", "≤ 5 ms", f"{cpu:.2f} ms",
                     cpu <= 5))
    statements = [value for run in runs.values() for value in run.probe("statements")]
    rows.append(("SQL statements per booking (all runs, max)", "≤ 10",
                 f"{max(statements)} (median {statistics.median(statements):.0f})",
                 max(statements) <= 10))
    lock = [value * 1000 for run in runs.values() for value in run.probe("lock")]
    median, p99 = statistics.median(lock), percentile(lock, 0.99)
    rows.append(("category lock held (median, p99; all runs)", "≤ 2 ms, ≤ 10 ms",
                 f"{median:.2f} ms, {p99:.2f} ms", median <= 2 and p99 <= 10))
    p99 = percentile(race.latencies, 0.99)
    rows.append((f"{companies} at once: p99", "≤ 3 s", f"{p99:.2f} s", p99 <= 3))
    rows.append((f"{companies} at once: bookings/s", "≥ 150", f"{race.rate:.1f}",
                 race.rate >= 150))
    rows.append((f"{companies} at once: all 201", f"{companies}",
                 f"{race.created}", race.created == companies))
    if "arrivals" in runs:
        run = runs["arrivals"]
        errors = len(run.answers) - run.created
        p99 = percentile(run.latencies, 0.99)
        rows.append((f"{len(run.answers):,} arriving (Poisson): errors", "0", f"{errors}",
                     errors == 0))
        rows.append((f"{len(run.answers):,} arriving (Poisson): p99", "≤ 1 s",
                     f"{p99 * 1000:.0f} ms", p99 <= 1))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=None,
                        help="DATABASE_URL of an empty database; default: a new SQLite file "
                        "in a temporary folder")
    parser.add_argument("--companies", type=int, default=500, help="booking requests per run")
    parser.add_argument("--places", type=int, default=100, help="capacity of the category")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's rule)")
    parser.add_argument("--arrivals", type=int, default=None,
                        help="companies arriving at random (default: 2000 on PostgreSQL, "
                        "none on SQLite)")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="the arrivals' time span")
    parser.add_argument("--seed", type=int, default=14, help="seed of the arrival times")
    args = parser.parse_args()
    if not 0 < args.places < args.companies:
        parser.error("need 0 < --places < --companies")

    with tempfile.TemporaryDirectory(prefix="messekalender-bookings-") as folder:
        folder_path = Path(folder)
        database = args.database or f"sqlite:///{folder_path / 'bookings.sqlite'}"
        kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        arriving = args.arrivals if args.arrivals is not None else (
            2000 if kind == "PostgreSQL" else 0)
        if arriving and arriving <= args.places:
            parser.error("need --arrivals > --places")
        refuse_non_empty(database)
        workers = args.workers or default_workers()
        print(f"{kind}, gunicorn with {workers} sync workers, {os.cpu_count()} CPUs, "
              f"load average {load_average()} (1, 5, 15 min) before")
        started = time.perf_counter()
        env = bench_env(folder_path, database)
        app, plan = prepare(env, max(args.companies, arriving), args.places)
        print(f"prepared in {time.perf_counter() - started:.1f} s: migrations, reference data, "
              f"four published fairs with one category of {args.places} places each "
              f"(confirmed automatically), {max(args.companies, arriving)} companies with a "
              "user and a token")
        print("rate limits on as in production (API writes 60/minute per token; one booking "
              "per company and fair, so a 429 is a failure)")
        port = free_port()
        log = folder_path / "gunicorn.log"
        config = _probe.write_config(folder_path, ROOT)
        records = _probe.Records(folder_path)
        tokens = plan["tokens"][:args.companies]
        process = start_gunicorn(env, port, workers, log, config)
        loads = []
        try:
            warm_up(port, plan["event"], workers)
            records.take()
            runs = {"baseline": Run("sequential (baseline)", plan["baseline"],
                                    sequential(port, tokens, plan["baseline"]),
                                    records.take())}
            loads.append(load_average())
            runs["race"] = Run(f"concurrent ({args.companies} threads)", plan["race"],
                               race(port, tokens, plan["race"]), records.take())
            if arriving:
                loads.append(load_average())
                runs["arrivals"] = Run(
                    f"Poisson ({arriving:,} / {args.seconds:.0f} s)", plan["arrivals"],
                    arrivals(port, plan["tokens"][:arriving], plan["arrivals"],
                             args.seconds, args.seed), records.take())
        finally:
            stop(process)
        logged = server_errors(log)
        local = in_process(app, tokens[:200], plan["in_process"])
        report(runs, args, logged, loads, app, local)


def report(runs: dict[str, Run], args, logged: list[str], loads: list[str], app,
           local: list[float]) -> None:
    print(f"\n{'client':<26}{'requests':>9}{'wall s':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'max ms':>9}  statuses")
    for run in runs.values():
        print(row(run.label, run.answers))
    print(f"\n{'in the workers':<26}{'probed':>9}{'CPU p50':>9}{'CPU p99':>9}{'SQL p50':>8}"
          f"{'(range)':>10}{'lock p50':>9}{'lock p99':>9}{'lock max':>9}   (ms)")
    for run in runs.values():
        print(probe_row(run))
    print(f"\n{'target (issue 14)':<46}{'goal':<18}{'this run':<22}")
    for what, goal, figure, met in targets(runs, args.companies, local):
        print(f"{what:<46}{goal:<18}{figure:<22}{'met' if met else 'MISSED'}")
    failed = False
    for run in runs.values():
        checks = verify(app, run.category_id, run.answers, len(run.answers), args.places)
        print(f"\nchecks, {run.label}:")
        for check in checks:
            detail = f" ({check.detail})" if check.detail else ""
            print(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}{detail}")
            failed |= not check.ok
    print(f"  {'ok  ' if not logged else 'FAIL'} gunicorn logged no errors"
          + (f" ({len(logged)} lines, e.g. {logged[0]})" if logged else ""))
    failed |= bool(logged)
    print(f"\nload average {', then '.join(loads)} between the runs, {load_average()} after")
    if failed:
        print("\nA CHECK FAILED.")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
