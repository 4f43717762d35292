"""Benchmark: clash detection on 100,000 synthetic events (five years, five districts).

Run: ``python bench/clashes.py [--events 100000] [--naive 5000] [--checks 200]``. It makes
synthetic events at the real municipalities of the five districts and times:

- the full scan (``engine.find``, pure, from the events as plain values) over all events,
  and separately turning its compact result into ``Clash`` values;
- the same scan against the naive pairwise reference on the first ``--naive`` events,
  checking that both find exactly the same clashes;
- reading all events from the database for a scan (``inputs.load_slots``);
- the check of one candidate event (``check.check_candidate``) with all events in a
  throw-away SQLite database (or ``--database-url``): ``--checks`` different candidates,
  median and 95th percentile, without and with the German and English explanations
  (the form and the API show them).

Storing a million clashes (``scan.scan_all``) is not timed here.
Wall-clock and CPU times are both printed: on a busy machine they differ.

Targets (issue): full scan under 1 s, single check under 5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Organisation  # noqa: E402
from app.calendar import services as calendar  # noqa: E402
from app.calendar.models import Event, EventAudience, Venue  # noqa: E402
from app.clashes import check as clash_check  # noqa: E402
from app.clashes import engine  # noqa: E402
from app.clashes import inputs as clash_inputs  # noqa: E402
from app.clashes.blackout import load_shipped_calendars  # noqa: E402
from app.clashes.rules import Slot, audience_mask  # noqa: E402
from app.extensions import db  # noqa: E402
from app.reference.loader import load_reference_data  # noqa: E402
from app.reference.models import Municipality  # noqa: E402
from app.time import day_span_utc, local_to_utc  # noqa: E402

FIRST_DAY = date(2027, 1, 1)
YEARS = 5
# Audiences as the real event types have them (training_fairs_examples.csv).
PROFILES = {
    "training_fair": ("pupils", "parents"),
    "job_fair": ("jobseekers", "professionals"),
    "speed_dating": ("pupils",),
    "open_day": ("public",),
    "info_evening": ("parents", "teachers"),
    "study_fair": ("pupils", "students"),
    "placement_exchange": ("jobseekers", "pupils"),
    "further_training_fair": ("professionals",),
}
STATUSES = ["published"] * 75 + ["planned"] * 15 + ["draft"] * 7 + ["cancelled"] * 3


def synthetic_rows(count: int, venues: list[tuple[int, str]], organisations: list[int],
                   seed: int = 2027) -> list[dict]:
    """Plain event rows: a random day in five years, 8–18 h starts, 2–8 h long; 15 %
    whole-day events of one or two days."""
    rng = random.Random(seed)
    days = YEARS * 365
    rows = []
    for number in range(1, count + 1):
        venue_id, district = rng.choice(venues)
        event_type = rng.choice(list(PROFILES))
        day = FIRST_DAY + timedelta(days=rng.randrange(days))
        if rng.random() < 0.15:
            last = day + timedelta(days=rng.randrange(2))
            starts_at, ends_at = day_span_utc(day, last)
            first_day, last_day, all_day = day, last, True
        else:
            starts_at = local_to_utc(day, clock(rng.randrange(8, 19)))
            ends_at = starts_at + timedelta(hours=rng.randrange(2, 9))
            first_day = last_day = None
            all_day = False
        rows.append({
            "id": number, "uid": f"bench-{number}@example.org", "title": f"Messe {number}",
            "description": "", "event_type": event_type, "status": rng.choice(STATUSES),
            "all_day": all_day, "starts_at": starts_at, "ends_at": ends_at,
            "first_day": first_day, "last_day": last_day, "venue_id": venue_id,
            "organisation_id": rng.choice(organisations), "sequence": 0,
            "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
            "_district": district, "_audiences": PROFILES[event_type],
        })
    return rows


def slots_of(rows: list[dict]) -> list[Slot]:
    slots = []
    for row in rows:
        if row["status"] == "cancelled":
            continue
        first, last = clash_inputs.local_days(row["starts_at"], row["ends_at"], row["first_day"],
                                           row["last_day"])
        slots.append(Slot(row["id"], row["organisation_id"], row["event_type"], row["status"],
                          row["venue_id"], row["_district"], int(row["starts_at"].timestamp()),
                          int(row["ends_at"].timestamp()), first, last,
                          audience_mask(row["_audiences"])))
    return slots


def seconds(function, repeat: int = 1) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def timed(function, repeat: int = 3) -> tuple[float, float, object]:
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the last result."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu), result


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=5_000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{directory}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            load_reference_data()
            load_shipped_calendars()
            organisations = []
            for number in range(18):
                organisation = Organisation(name=f"Veranstalter {number}", kind="other")
                db.session.add(organisation)
                organisations.append(organisation)
            for municipality in db.session.execute(select(Municipality)).scalars():
                for hall in ("Stadthalle", "Berufskolleg", "Rathaus"):
                    calendar.find_or_create_venue(f"{hall} {municipality.name}", municipality)
            db.session.flush()
            venues = [(venue.id, venue.municipality.district_code)
                      for venue in db.session.execute(select(Venue)).scalars()]
            rows = synthetic_rows(args.events, venues, [o.id for o in organisations])
            report(app, args, rows)


def report(app, args, rows: list[dict]) -> None:
    slots = slots_of(rows)
    config = clash_inputs.clash_config()
    borders = clash_inputs.neighbours()
    periods = clash_inputs.blackout_periods()
    holidays = clash_inputs.public_holidays(FIRST_DAY, FIRST_DAY + timedelta(days=YEARS * 366))
    districts = sorted({slot.district for slot in slots})
    print(f"{len(rows):,} synthetic events, {FIRST_DAY.year}–{FIRST_DAY.year + YEARS - 1}, "
          f"districts {', '.join(districts)}, {len({r['venue_id'] for r in rows})} venues "
          f"(real municipalities); {len(slots):,} not cancelled")

    wall, cpu, found = timed(lambda: engine.find(slots, config, borders, holidays, periods))
    print(f"full scan (engine.find), {len(slots):,} events: {wall:.2f} s (CPU {cpu:.2f} s), "
          f"{len(found):,} clashes")
    print("  by rule: " + ", ".join(f"{rule} {count:,}" for rule, count in found.counts().items()))
    wall, cpu, clashes = timed(found.clashes, 1)
    print(f"  turning them into {len(clashes):,} Clash values: {wall:.2f} s (CPU {cpu:.2f} s)")
    del clashes

    sample = slots[:args.naive]
    fast_time, fast = seconds(lambda: engine.scan(sample, config, borders, holidays, periods))
    naive_time, naive = seconds(
        lambda: engine.naive_scan(sample, config, borders, holidays, periods))
    same = sorted(c.key for c in fast) == sorted(c.key for c in naive)
    print(f"{len(sample):,} events: fast {fast_time * 1000:.0f} ms, naive pairwise "
          f"{naive_time:.2f} s ({naive_time / fast_time:.0f}× slower); "
          f"{len(fast):,} clashes, identical: {same}")
    if not same:
        raise SystemExit("the engines disagree")

    start = time.perf_counter()
    chunk = 5_000
    for offset in range(0, len(rows), chunk):
        part = rows[offset:offset + chunk]
        db.session.execute(insert(Event), [{k: v for k, v in row.items() if k[0] != "_"}
                                           for row in part])
        db.session.execute(insert(EventAudience), [
            {"event_id": row["id"], "code": code, "grade_from": None, "grade_to": None}
            for row in part for code in row["_audiences"]])
    db.session.commit()
    print(f"inserted {len(rows):,} events into {db.engine.dialect.name} in "
          f"{time.perf_counter() - start:.1f} s")

    wall, cpu, loaded = timed(clash_inputs.load_slots, 1)
    print(f"reading all events for a scan (load_slots): {wall:.2f} s (CPU {cpu:.2f} s), "
          f"{len(loaded):,} events, same as generated: {set(loaded) == set(slots)}")
    if set(loaded) != set(slots):
        raise SystemExit("load_slots read the events differently")

    rng = random.Random(5)
    organisations = {o.id: o for o in db.session.execute(select(Organisation)).scalars()}
    venues = db.session.execute(select(Venue)).scalars().all()
    candidates = []
    for _ in range(args.checks):
        day = FIRST_DAY + timedelta(days=rng.randrange(YEARS * 365))
        event_type = rng.choice(list(PROFILES))
        hour = rng.randrange(8, 16)
        candidates.append((calendar.EventData(
            title="Kandidat", event_type=event_type, venue=rng.choice(venues), all_day=False,
            starts_at=local_to_utc(day, clock(hour)), ends_at=local_to_utc(day, clock(hour + 4)),
            audiences=list(PROFILES[event_type]), industries=["CROSS"],
        ), rng.choice(list(organisations.values()))))
    clash_check.check_candidate(*candidates[0])  # warm up caches
    check_candidates(candidates, len(rows))


def check_candidates(candidates: list, stored: int) -> None:
    for explained in (False, True):
        samples, cpu, total = [], [], 0
        for data, organisation in candidates:
            start, start_cpu = time.perf_counter(), time.process_time()
            findings = clash_check.check_candidate(data, organisation)
            if explained:
                for finding in findings:
                    finding.messages  # noqa: B018 - rendering is what is timed
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            total += len(findings)
        label = "with the German and English explanations" if explained else "without explanations"
        print(f"check of one candidate, {stored:,} events stored, {label}: "
              f"{percentiles(samples)} (CPU {percentiles(cpu)}) over {len(samples)} candidates "
              f"({total / len(samples):.1f} clashes each on average)")
    db.session.rollback()


if __name__ == "__main__":
    main()
