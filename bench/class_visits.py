"""Class-visit race: 300 teachers register a class at the same moment through the web
form, for four slots with 200 places in all, against gunicorn with several workers, on
SQLite or PostgreSQL.

Run: ``python bench/class_visits.py`` (a fresh SQLite file in a temporary folder) or
``python bench/class_visits.py --database postgresql://user:pw@localhost/dbname`` (an
empty database: the run refuses one that has tables, and leaves its data there).

What it does:

1. ``flask --app wsgi init-db`` (migrations and reference data);
2. through the services: an organiser organisation with two published fairs in Arnsberg,
   each open for class registrations now, with four slots of 50 pupils (200 places in
   all); two of them have 3 bus bays;
3. starts gunicorn with ``deploy/gunicorn.conf.py`` bound to 127.0.0.1 on a free port,
   behind a pretended proxy (``PROXY_COUNT=1``): each teacher sends its own
   ``X-Forwarded-For``, as 300 schools behind nginx would, so the per-address rate limit
   of the registration form stays on as in production;
4. every teacher opens the form once (``GET``: the session cookie and the CSRF token,
   untimed), for each fair;
5. the baseline, measured in the same run: every teacher registers one class for the
   first fair, one POST after the other;
6. the race: every teacher registers one class for the second fair, 300 threads
   (one request each, plain ``http.client``) released together by a barrier;
7. checks both from the database: every answer a 303 to the "check your mail" page (no
   5xx, no 429, no 400 for CSRF), 300 registrations with one class and one mail each, no
   slot over its pupils or bus bays and its counters equal to its classes, each waitlist
   numbered 1..n, nobody given places after its slot's queue began (first come, first
   served), the first class waiting did not fit, and what the client can see of the
   order: a class registered before another was sent has the smaller id; nothing in
   gunicorn's log of failures;
8. prints requests, wall time, requests/s, p50/p95/p99/max latency and the statuses of
   both, the checks and the load average; stops gunicorn (also on failure); exits 1 if a
   check failed.

Classes bring 1, 2 or 3 pupils (600 asked for 200 places) and every 7th comes by bus;
every teacher asks for the waitlist when the slot is full. Only 127.0.0.1 is ever
contacted; the latency includes the wait in the listen queue.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
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

TOWN = "Arnsberg"  # a municipality of the reference data
CAPACITIES = (50, 50, 50, 50)
BUS_BAYS = (3, None, 3, None)
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Teacher:
    number: int
    address: str  # the client address the pretended proxy reports
    cookie: str = ""
    token: str = ""

    @property
    def email(self) -> str:
        return f"lehrkraft{self.number:03d}@schule.example"


@dataclass
class Answer:
    """One registration as the client saw it."""

    teacher: int
    started: float
    ended: float = 0.0
    status: int | None = None
    location: str = ""
    error: str | None = None
    class_id: int | None = None  # filled in from the database afterwards

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def accepted_id(self) -> int | None:
        return self.class_id


def prepare(env: dict[str, str]):
    """Migrate, then create the organiser and the two fairs with their slots."""
    app = migrated_app(env)
    from app.calendar import services as calendar
    from app.calendar.models import Event
    from app.extensions import db
    from app.planning import operations
    from app.time import local_to_utc, local_today, now_utc
    from app.visits import services as visits

    with app.app_context():
        now = now_utc().replace(microsecond=0)
        town, organisation, organiser = bench_organiser("Wirtschaftsförderung (Benchmark)",
                                                        "wfg", TOWN)
        venue = calendar.find_or_create_venue("Kaiserhaus", town)
        event_ids = []
        for number, title in enumerate(("Ausbildungsmesse Arnsberg (Basislauf)",
                                        "Ausbildungsmesse Arnsberg (Wettlauf)")):
            day = local_today() + timedelta(days=60 + 7 * number)
            event = operations.create_event(organisation, organiser, calendar.EventData(
                title=title, event_type="training_fair", venue=venue, all_day=False,
                starts_at=local_to_utc(day, clock(8)), ends_at=local_to_utc(day, clock(14)),
                audiences=["pupils", "public"], industries=["CROSS"]), now=now)
            operations.change_status(event, organiser, "published", now=now)
            visits.configure(event, organiser, visits.SetupData(
                opens_at=now - timedelta(hours=1),
                closes_at=event.starts_at - timedelta(days=1)), now)
            for index, (capacity, bays) in enumerate(zip(CAPACITIES, BUS_BAYS, strict=True)):
                start = event.starts_at + timedelta(minutes=30 + 75 * index)
                visits.add_slot(event, organiser, visits.SlotData(
                    starts_at=start, ends_at=start + timedelta(minutes=75),
                    capacity=capacity, bus_bays=bays), now)
            event_ids.append(event.id)
        db.session.commit()
        slot_ids = {event_id: [slot.id for slot in visits.slots_of(
            db.session.get(Event, event_id))] for event_id in event_ids}
        town_id = town.id
        db.session.remove()
        db.engine.dispose()
    return app, {"baseline": event_ids[0], "race": event_ids[1], "slots": slot_ids,
                 "town": town_id}


def open_form(port: int, teacher: Teacher, event_id: int) -> None:
    """The GET a browser makes first: the session cookie and the form's CSRF token."""
    status, headers, content = request(port, "GET", f"/events/{event_id}/classes",
                                       {"X-Forwarded-For": teacher.address})
    match = CSRF_FIELD.search(content.decode())
    if status != 200 or not match or "set-cookie" not in headers:
        raise SystemExit(f"the registration form did not open: {status}")
    teacher.token = match.group(1)
    teacher.cookie = headers["set-cookie"].split(";", 1)[0]


def form_for(teacher: Teacher, slot_ids: list[int], town_id: int) -> dict[str, str]:
    number = teacher.number
    fields = {
        "csrf_token": teacher.token, "school_name": f"Beispiel-Schule {number:03d}",
        "municipality_id": str(town_id), "email": teacher.email,
        "classes-0-slot_id": str(slot_ids[number % len(slot_ids)]),
        "classes-0-class_name": f"{5 + number % 9}{'abc'[number % 3]}",
        "classes-0-grade": str(5 + number % 9), "classes-0-pupils": str(1 + number % 3),
        "classes-0-teacher_name": f"Lehrkraft {number}", "classes-0-phone": "030 23125 000",
        "join_waitlist": "y", "consent": "y", "action": "register",
    }
    if number % 7 == 0:
        fields["classes-0-by_bus"] = "y"
    return fields


def register(port: int, teacher: Teacher, event_id: int, slot_ids: list[int],
             town_id: int) -> Answer:
    answer = Answer(teacher=teacher.number, started=time.perf_counter())
    try:
        status, headers, content = request(
            port, "POST", f"/events/{event_id}/classes",
            {"X-Forwarded-For": teacher.address, "Cookie": teacher.cookie},
            form=form_for(teacher, slot_ids, town_id))
        answer.status, answer.location = status, headers.get("location", "")
        if status != 303:
            answer.error = f"{status}: {content[:200]!r}"
    except (OSError, http.client.HTTPException) as problem:
        answer.error = repr(problem)
    answer.ended = time.perf_counter()
    return answer


def sequential(port: int, teachers: list[Teacher], event_id: int, slot_ids: list[int],
               town_id: int) -> list[Answer]:
    return [register(port, teacher, event_id, slot_ids, town_id) for teacher in teachers]


def race(port: int, teachers: list[Teacher], event_id: int, slot_ids: list[int],
         town_id: int) -> list[Answer]:
    """One thread per registration, all released by one barrier."""
    barrier = threading.Barrier(len(teachers))
    answers: list[Answer | None] = [None] * len(teachers)

    def run(index: int) -> None:
        barrier.wait(timeout=120)
        answers[index] = register(port, teachers[index], event_id, slot_ids, town_id)

    threads = [threading.Thread(target=run, args=(index,), daemon=True)
               for index in range(len(teachers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if any(answer is None for answer in answers):
        raise SystemExit("some request threads did not finish")
    return answers  # type: ignore[return-value]


def verify(app, event_id: int, answers: list[Answer], teachers: int) -> list[Check]:
    """The invariants, from the database, and the answers against it."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.outbox.models import OutboxMessage
    from app.visits.models import ClassVisit, VisitRegistration, VisitSlot

    checks = []
    bad = [answer for answer in answers
           if answer.status != 303 or not answer.location.endswith("/classes/sent")]
    checks.append(Check("every request answered 303 to the 'check your mail' page (no 5xx, "
                        "no 429, no CSRF failure)", not bad,
                        "; ".join(sorted({answer.error or "" for answer in bad})[:3])))
    with app.app_context():
        rows = db.session.execute(
            select(ClassVisit, VisitRegistration.email)
            .join(VisitRegistration, ClassVisit.registration_id == VisitRegistration.id)
            .where(ClassVisit.event_id == event_id).order_by(ClassVisit.id)).all()
        slots = db.session.execute(select(VisitSlot).where(VisitSlot.event_id == event_id)
                                   .order_by(VisitSlot.id)).scalars().all()
        expected = {f"visit:{visit.registration_id}:received" for visit, _email in rows}
        mails = db.session.execute(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.key.in_(expected))).scalar_one()
        class_of = {email: visit.id for visit, email in rows}
        by_slot: dict[int, list] = {}
        for visit, _email in rows:
            by_slot.setdefault(visit.slot_id, []).append(visit)
        problems, totals = [], Counter()
        for slot in slots:
            classes = by_slot.get(slot.id, [])
            held = [visit for visit in classes if visit.status == "unconfirmed"]
            waiting = sorted((visit for visit in classes if visit.status == "waitlisted"),
                             key=lambda visit: visit.waitlist_position)
            totals.update(held=sum(visit.pupils for visit in held), waiting=len(waiting))
            if not (slot.pupils_taken == sum(visit.pupils for visit in held) <= slot.capacity):
                problems.append(f"slot {slot.id}: {slot.pupils_taken} pupils taken")
            if slot.buses_taken != sum(visit.by_bus for visit in held) or (
                    slot.bus_bays is not None and slot.buses_taken > slot.bus_bays):
                problems.append(f"slot {slot.id}: {slot.buses_taken} buses")
            if [visit.waitlist_position for visit in waiting] != list(
                    range(1, len(waiting) + 1)):
                problems.append(f"slot {slot.id}: waitlist not 1..n")
            if waiting and held and max(visit.id for visit in held) > min(
                    visit.id for visit in waiting):
                problems.append(f"slot {slot.id}: places given after the queue began")
            if waiting and slot.fits(waiting[0].pupils, waiting[0].by_bus):
                problems.append(f"slot {slot.id}: the first class waiting would fit")
        db.session.remove()
        db.engine.dispose()
    checks.append(Check(f"{teachers} registrations with one class each", len(rows) == teachers
                        and len(class_of) == teachers, f"{len(rows)} classes"))
    checks.append(Check(
        f"no slot over its pupils or bus bays, waitlists 1..n, first come first served "
        f"({sum(CAPACITIES)} places in all)", not problems and totals["held"] <= sum(
            CAPACITIES), "; ".join(problems[:3]) or
        f"{totals['held']} pupils hold places, {totals['waiting']} classes wait"))
    checks.append(Check("one mail to confirm per registration", mails == teachers,
                        f"{mails} mails queued"))
    for answer in answers:
        answer.class_id = class_of.get(f"lehrkraft{answer.teacher:03d}@schule.example")
    broken, pairs = client_order(answers)
    checks.append(Check("client-visible order: registered before sent ⇒ smaller id",
                        not broken, f"{pairs:,} ordered pairs seen, {broken} out of order"))
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=None,
                        help="DATABASE_URL of an empty database; default: a new SQLite file "
                        "in a temporary folder")
    parser.add_argument("--teachers", type=int, default=300, help="registrations per run")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's rule)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="messekalender-visits-") as folder:
        folder_path = Path(folder)
        database = args.database or f"sqlite:///{folder_path / 'visits.sqlite'}"
        kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        refuse_non_empty(database)
        workers = args.workers or default_workers()
        print(f"{kind}, gunicorn with {workers} sync workers, {os.cpu_count()} CPUs, "
              f"load average {load_average()} (1, 5, 15 min) before")
        started = time.perf_counter()
        env = bench_env(folder_path, database) | {"PROXY_COUNT": "1"}
        app, plan = prepare(env)
        print(f"prepared in {time.perf_counter() - started:.1f} s: migrations, reference data, "
              f"two published fairs, each with {len(CAPACITIES)} slots of "
              f"{CAPACITIES[0]} pupils ({sum(CAPACITIES)} places in all; bus bays "
              f"{', '.join('–' if bays is None else str(bays) for bays in BUS_BAYS)})")
        print("rate limit of the form on as in production (per client address; each "
              "teacher has its own X-Forwarded-For behind the pretended proxy)")
        teachers = [Teacher(number, f"10.{number // 250}.{number % 250}.1")
                    for number in range(args.teachers)]
        port = free_port()
        log = folder_path / "gunicorn.log"
        process = start_gunicorn(env, port, workers, log)
        try:
            opened = time.perf_counter()
            for teacher in teachers:
                open_form(port, teacher, plan["baseline"])
            print(f"{len(teachers)} forms opened (GET, untimed) in "
                  f"{time.perf_counter() - opened:.1f} s")
            slot_ids = plan["slots"]
            baseline = sequential(port, teachers, plan["baseline"],
                                  slot_ids[plan["baseline"]], plan["town"])
            during = load_average()
            contest = race(port, teachers, plan["race"], slot_ids[plan["race"]],
                           plan["town"])
        finally:
            stop(process)
        logged = server_errors(log)

        print("\n" + table_head())
        print(row("sequential (baseline)", baseline))
        print(row(f"concurrent ({len(teachers)} threads)", contest))
        failed = False
        for label, event_id, answers in (("sequential", plan["baseline"], baseline),
                                         ("concurrent", plan["race"], contest)):
            checks = verify(app, event_id, answers, len(teachers))
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
