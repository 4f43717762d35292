"""Benchmark: the weekly digest of change notices, 2,000 subscriptions over 5,000 events.

Run: ``python bench/notices.py [--events 5000] [--subscriptions 2000] [--changed 0.3]
[--database URL]``. It fills a throw-away SQLite file (or an empty database given with
``--database``; one with tables is refused) with synthetic upcoming events at the real
municipalities of the five districts (pupils with grade ranges, the real industries and
event types), of which the share ``--changed`` is new, changed or cancelled in the week,
and as many confirmed subscriptions with pairwise different selections (districts,
audiences, grades, types, industries, some apprenticeships). Then it times, on the same
data:

- ``send_digests`` as the scheduler runs it (changed events loaded and indexed once, one
  ``FilterIndex`` look-up per selection, shared descriptions and event lines);
- the naive baseline: per subscription, its own filtered query, the history of each of
  its events, and a mail built from scratch;

and checks that both queue exactly the same mails (recipients, subjects, bodies).
Target (issue): the digest job under 10 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, delete, insert, inspect, select, update  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Organisation  # noqa: E402
from app.calendar import services as calendar  # noqa: E402
from app.calendar.filters import FILTER_GRADES, EventFilter  # noqa: E402
from app.calendar.models import (  # noqa: E402
    Event,
    EventAudience,
    EventChange,
    Venue,
    event_industries,
)
from app.calendar.services import PUBLIC_STATUSES, events_query  # noqa: E402
from app.extensions import db  # noqa: E402
from app.notices import mails  # noqa: E402
from app.notices.digest import CHANGE_KINDS, DETAILS, send_digests, week_key  # noqa: E402
from app.notices.models import NoticeSubscription  # noqa: E402
from app.notices.services import (  # noqa: E402
    outbox_prefix,
    selection_filter,
    selection_string,
    unsubscribe_token,
)
from app.outbox.models import OutboxMessage  # noqa: E402
from app.outbox.services import queue  # noqa: E402
from app.reference.codes import AUDIENCES, DISTRICT_CODES, EVENT_TYPES, INDUSTRY_CODES  # noqa: E402
from app.reference.loader import load_reference_data  # noqa: E402
from app.reference.models import Occupation  # noqa: E402
from app.time import as_utc, local_to_utc  # noqa: E402
from config import normalise_database_url  # noqa: E402

NOW = datetime(2027, 3, 1, 5, tzinfo=UTC)  # Monday 06:00 in Berlin
WEEK_AGO = NOW - timedelta(days=7)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def refuse_non_empty(url: str) -> None:
    engine = create_engine(url)
    try:
        if inspect(engine).get_table_names():
            raise SystemExit(f"refusing {url.split('@')[-1]}: it has tables")
    finally:
        engine.dispose()


def fill(events: int, changed_share: float, rng: random.Random) -> None:
    """Upcoming events over the next year, published before the week; a share of them
    new, changed (date, place, title or details) or cancelled during the week."""
    organisations = [Organisation(name=f"Veranstalter {n}", kind="other") for n in range(12)]
    db.session.add_all(organisations)
    from app.reference.models import Municipality

    for municipality in db.session.execute(select(Municipality)).scalars():
        for hall in ("Stadthalle", "Berufskolleg"):
            calendar.find_or_create_venue(f"{hall} {municipality.name}", municipality)
    db.session.flush()
    venues = [venue.id for venue in db.session.execute(select(Venue)).scalars()]
    rows, audiences, industries, changes = [], [], [], []
    for number in range(1, events + 1):
        day = date(2027, 3, 2) + timedelta(days=rng.randrange(365))
        starts = local_to_utc(day, clock(rng.randrange(8, 16)))
        published = WEEK_AGO - timedelta(days=rng.randrange(1, 200))
        row = {"id": number, "uid": f"bench-{number}@example.org",
               "title": f"Ausbildungsmesse {number}", "description": "",
               "event_type": rng.choice(list(EVENT_TYPES)), "status": "published",
               "all_day": False, "starts_at": starts,
               "ends_at": starts + timedelta(hours=rng.randrange(2, 8)),
               "venue_id": rng.choice(venues), "organisation_id": rng.choice(organisations).id,
               "sequence": 0, "created_at": published, "updated_at": published,
               "published_at": published}
        if rng.random() < changed_share:
            at = WEEK_AGO + timedelta(minutes=rng.randrange(7 * 24 * 60))
            kind = rng.choice(("new", "new", "changed", "changed", "changed", "cancelled"))
            row["updated_at"] = at
            if kind == "new":
                row["published_at"] = row["created_at"] = at
            elif kind == "cancelled":
                row.update(status="cancelled", cancelled_at=at, sequence=1,
                           cancellation_reason="Die Halle ist belegt.")
                changes.append({"event_id": number, "at": at, "action": "cancelled",
                                "changes": {"status": ["published", "cancelled"]},
                                "via": "web"})
            else:
                field = rng.choice(("starts_at", "venue_id", "title", "description"))
                row["sequence"] = 1
                changes.append({"event_id": number, "at": at, "action": "updated",
                                "changes": {field: [None, None]}, "via": "web"})
        rows.append(row)
        codes = rng.sample(list(AUDIENCES), rng.randrange(1, 3))
        if rng.random() < 0.7 and "pupils" not in codes:
            codes.append("pupils")
        for code in codes:
            grades = (None, None)
            if code == "pupils" and rng.random() < 0.75:
                first = rng.randrange(5, 12)
                grades = (first, min(13, first + rng.randrange(0, 4)))
            audiences.append({"event_id": number, "code": code, "grade_from": grades[0],
                              "grade_to": grades[1]})
        for code in rng.sample(INDUSTRY_CODES, rng.randrange(1, 3)):
            industries.append({"event_id": number, "industry_code": code})
    db.session.execute(insert(Event), rows)
    db.session.execute(insert(EventAudience), audiences)
    db.session.execute(insert(event_industries), industries)
    if changes:
        db.session.execute(insert(EventChange), changes)
    db.session.commit()


def selections(count: int, rng: random.Random) -> list[EventFilter]:
    """``count`` pairwise different selections, as schools and families would choose."""
    occupations = list(db.session.execute(select(Occupation.id)).scalars())
    found: dict[str, EventFilter] = {}
    while len(found) < count:
        grades = ()
        if rng.random() < 0.7:
            first = rng.choice(FILTER_GRADES[:-1])
            grades = tuple(range(first, min(14, first + rng.randrange(1, 4))))
        chosen = EventFilter(
            districts=tuple(rng.sample(DISTRICT_CODES, rng.randrange(0, 3))),
            industries=tuple(rng.sample(INDUSTRY_CODES, rng.choice((0, 0, 1, 2)))),
            audiences=tuple(rng.sample(list(AUDIENCES), rng.choice((0, 1, 1, 2)))),
            types=tuple(rng.sample(list(EVENT_TYPES), rng.choice((0, 0, 1, 2)))),
            grades=grades,
            occupations=tuple(rng.sample(occupations, 1)) if rng.random() < 0.05 else ())
        found.setdefault(selection_string(chosen), chosen)
    return list(found.values())


def subscribe_all(chosen: list[EventFilter], rng: random.Random) -> None:
    db.session.execute(insert(NoticeSubscription), [
        {"handle": f"bench{number:06d}", "email": f"schule{number}@example.org",
         "language": "en" if rng.random() < 0.2 else "de",
         "selection": selection_string(event_filter), "created_at": WEEK_AGO,
         "confirmations_sent": 1, "confirmed_at": WEEK_AGO, "digest_since": WEEK_AGO}
        for number, event_filter in enumerate(chosen, start=1)])
    db.session.commit()


def naive_digests(now: datetime) -> int:
    """The baseline: every digest on its own — its query, its events' history, its mail."""
    queued = 0
    subscriptions = db.session.execute(select(NoticeSubscription)).scalars().all()
    for sub in subscriptions:
        since = as_utc(sub.digest_since)
        event_filter = selection_filter(sub.selection)
        events = db.session.execute(event_filter.apply(events_query().where(
            Event.status.in_(PUBLIC_STATUSES), Event.published_at.is_not(None),
            Event.updated_at >= since, Event.ends_at > now))).scalars().all()
        entries = []
        for event in events:
            if event.status == "cancelled":
                if as_utc(event.cancelled_at) >= since > as_utc(event.published_at):
                    entries.append(mails.DigestEntry("cancelled", event))
                continue
            if as_utc(event.published_at) >= since:
                entries.append(mails.DigestEntry("new", event))
                continue
            kinds = set()
            for fields in db.session.execute(select(EventChange.changes).where(
                    EventChange.event_id == event.id, EventChange.action == "updated",
                    EventChange.at >= since)).scalars():
                kinds |= {kind for kind, names in CHANGE_KINDS.items() if names & set(fields)}
                if DETAILS & set(fields):
                    kinds.add("details")
            if kinds:
                order = ("date", "place", "title", "details")
                entries.append(mails.DigestEntry("changed", event,
                                                 tuple(k for k in order if k in kinds)))
        if not entries:
            continue
        entries.sort(key=lambda entry: (entry.event.starts_at, entry.event.id))
        mail = mails.digest(sub, mails.describe(event_filter, sub.language), entries,
                            unsubscribe_token(sub))
        queued += queue(f"{outbox_prefix(sub)}digest:{week_key(now)}", sub.email,
                        mail.subject, mail.body, now, language=mail.language,
                        headers=mail.headers)
    db.session.commit()
    return queued


def outbox() -> dict[str, tuple[str, str, str]]:
    return {m.key: (m.recipient, m.subject, m.body)
            for m in db.session.execute(select(OutboxMessage)).scalars()}


def reset() -> None:
    db.session.execute(delete(OutboxMessage))
    db.session.execute(update(NoticeSubscription).values(digest_since=WEEK_AGO))
    db.session.commit()
    db.session.expunge_all()


def timed(function):
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--subscriptions", type=int, default=2_000)
    parser.add_argument("--changed", type=float, default=0.3,
                        help="share of the events new, changed or cancelled in the week")
    parser.add_argument("--database", help="an empty database; default: a temporary SQLite")
    args = parser.parse_args()
    rng = random.Random(2027)
    with tempfile.TemporaryDirectory() as directory:
        url = (normalise_database_url(args.database) if args.database
               else f"sqlite:///{directory}/bench.sqlite")
        if args.database:
            refuse_non_empty(url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "BASE_URL": "https://messekalender.example"})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            load_reference_data()
            fill(args.events, args.changed, rng)
            subscribe_all(selections(args.subscriptions, rng), rng)
            touched = db.session.execute(select(Event.id).where(
                Event.updated_at >= WEEK_AGO)).scalars().all()
            print(f"{args.events:,} upcoming events ({len(touched):,} new, changed or cancelled "
                  f"in the week), {args.subscriptions:,} subscriptions with different "
                  f"selections; {db.engine.dialect.name}; load average {load_average()}")
            reset()
            wall, cpu, report = timed(lambda: (send_digests(NOW), db.session.commit())[0])
            fast = outbox()
            print(f"send_digests (the job):   {wall:6.2f} s  (CPU {cpu:.2f} s)  "
                  f"{report.queued:,} digests queued, {report.quiet:,} without changes")
            reset()
            naive_wall, naive_cpu, queued = timed(lambda: naive_digests(NOW))
            naive = outbox()
            print(f"naive, digest by digest:  {naive_wall:6.2f} s  (CPU {naive_cpu:.2f} s)  "
                  f"{queued:,} digests queued  ({naive_wall / wall:.0f}× the job's time)")
            same = fast == naive
            size = sum(len(body) for _r, _s, body in fast.values())
            print(f"same mails from both: {same} ({len(fast):,} mails, {size / 1e6:.1f} MB of "
                  f"text); target under 10 s: {'met' if wall < 10 else 'MISSED'}; "
                  f"load average {load_average()}")
            db.session.remove()
            if args.database:
                db.drop_all()
            db.engine.dispose()
            if not same:
                raise SystemExit("the job and the baseline disagree")


if __name__ == "__main__":
    main()
