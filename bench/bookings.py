"""Booking race: 500 companies book one booth category of 100 places at the same moment
through the API, against gunicorn with several workers, on SQLite or PostgreSQL.

Run: ``python bench/bookings.py`` (a fresh SQLite file in a temporary folder) or
``python bench/bookings.py --database postgresql://user:pw@localhost/dbname`` (an empty
database: the run refuses one that has tables, and leaves its data there).

What it does:

1. ``flask --app wsgi init-db`` (migrations and reference data);
2. through the services and models: one organiser organisation with two published fairs
   in Siegen, each with a booth sign-up open now (bookings confirmed automatically) and
   one category of 100 places; 500 companies, each with a company user and an API token
   (inserted in bulk);
3. starts gunicorn with ``deploy/gunicorn.conf.py`` bound to 127.0.0.1 on a free port;
4. the baseline, measured in the same run: every company books the first fair's category
   with ``POST /api/v1/bookings``, one request after the other;
5. the race: every company books the second fair's category, 500 threads (one request
   each, plain ``http.client``) released together by a barrier;
6. checks both from the database: exactly 100 confirmed and 400 waitlisted at positions
   1..400 without gaps or repeats, the category's counter at 100, every answer a 201 that
   agrees with the database (no 5xx, no 429), the waitlist in the order the server
   accepted the bookings (ids are handed out under the category's lock, so the first 100
   ids are the confirmed ones and the waitlist follows the ids), and what the client can
   see of that order: a booking answered before another was sent has the smaller id;
   nothing in gunicorn's log of failures;
7. prints requests, wall time, requests/s, p50/p95/p99/max latency and the statuses of
   both, and the checks; stops gunicorn (also on failure); exits 1 if a check failed.

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
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

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
    refuse_non_empty,
    request,
    row,
    server_errors,
    start_gunicorn,
    stop,
    table_head,
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
                                        "Ausbildungsmesse Siegen (Wettlauf)")):
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
    return app, {"baseline": category_ids[0], "race": category_ids[1], "event": event_ids[0],
                 "tokens": tokens}


def book(port: int, company: int, token: str, category_id: int) -> Answer:
    """One booking request, timed; the answer's booking id, status and position kept."""
    answer = Answer(company=company, started=time.perf_counter(), ended=0.0)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=None,
                        help="DATABASE_URL of an empty database; default: a new SQLite file "
                        "in a temporary folder")
    parser.add_argument("--companies", type=int, default=500, help="booking requests per run")
    parser.add_argument("--places", type=int, default=100, help="capacity of the category")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's rule)")
    args = parser.parse_args()
    if not 0 < args.places < args.companies:
        parser.error("need 0 < --places < --companies")

    with tempfile.TemporaryDirectory(prefix="messekalender-bookings-") as folder:
        folder_path = Path(folder)
        database = args.database or f"sqlite:///{folder_path / 'bookings.sqlite'}"
        kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        refuse_non_empty(database)
        workers = args.workers or default_workers()
        print(f"{kind}, gunicorn with {workers} sync workers, {os.cpu_count()} CPUs, "
              f"load average {load_average()} (1, 5, 15 min) before")
        started = time.perf_counter()
        env = bench_env(folder_path, database)
        app, plan = prepare(env, args.companies, args.places)
        print(f"prepared in {time.perf_counter() - started:.1f} s: migrations, reference data, "
              f"two published fairs with one category of {args.places} places each "
              f"(confirmed automatically), {args.companies} companies with a user and a token")
        print("rate limits on as in production (API writes 60/minute per token; one booking "
              "per company and fair, so a 429 is a failure)")
        port = free_port()
        log = folder_path / "gunicorn.log"
        process = start_gunicorn(env, port, workers, log)
        try:
            warm_up(port, plan["event"], workers)
            baseline = sequential(port, plan["tokens"], plan["baseline"])
            during = load_average()
            contest = race(port, plan["tokens"], plan["race"])
        finally:
            stop(process)
        logged = server_errors(log)

        print("\n" + table_head())
        print(row("sequential (baseline)", baseline))
        print(row(f"concurrent ({args.companies} threads)", contest))
        failed = False
        for label, category_id, answers in (("sequential", plan["baseline"], baseline),
                                            ("concurrent", plan["race"], contest)):
            checks = verify(app, category_id, answers, args.companies, args.places)
            print(f"\nchecks, {label}:")
            for check in checks:
                detail = f" ({check.detail})" if check.detail else ""
                print(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}{detail}")
                failed |= not check.ok
        print(f"  {'ok  ' if not logged else 'FAIL'} gunicorn logged no errors"
              + (f" ({len(logged)} lines, e.g. {logged[0]})" if logged else ""))
        failed |= bool(logged)
        print(f"\nload average {during} between the runs, {load_average()} after")
        if failed:
            print("\nA CHECK FAILED.")
            raise SystemExit(1)


if __name__ == "__main__":
    main()
