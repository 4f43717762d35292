"""Feed health: whether subscriptions really fetch the feeds.

Per feed, local day and kind of calendar app (Google, Microsoft, Apple, Thunderbird,
other — told apart by the User-Agent), the database keeps the number of fetches, how many
were answered 304 (not modified), how many distinct clients fetched, and the last fetch.

Privacy: no address and no user agent is stored. A client is counted once a day through
a hash of the day's random salt, its address and its user agent (``FeedFetchClient``);
those hashes and the salt are deleted when the day is over, so nobody can recognise a
client afterwards. The daily counts are kept for ``RETENTION_DAYS`` (400 days: a school
year compared with the last one), then deleted by the ``feed-health`` job.

Cost per feed request: ``record`` puts the request into an in-process tally (a
dictionary update under a lock, a few microseconds); the tally is written to the
database at most every ``FLUSH_SECONDS`` by the request that finds it due, after its
response has been sent (``call_on_close``), and at the worker's exit. A worker killed
hard loses at most that many seconds of counts. Feeds that nginx serves from files never
reach the app: the job counts them from nginx's log (``count_log``; format in
deploy/README.md).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from flask import Flask, current_app
from sqlalchemy import case, delete, select

from app.calendar.filters import EventFilter
from app.extensions import db
from app.feeds.models import FeedFetchClient, FeedFetchDay, FeedLogCursor, FeedStatsSalt
from app.time import local_today, now_utc, to_local

CLIENT_KINDS = ("google", "microsoft", "apple", "thunderbird", "other")
RETENTION_DAYS = 400
FLUSH_SECONDS = 30.0
# Distinct filtered feeds one process tallies per day; beyond, they count as one.
MAX_FILTERED_FEEDS = 100
OTHER_FILTERED = "filtered:…"
# Distinct clients one tally remembers per feed and kind before it is flushed.
MAX_PENDING_CLIENTS = 10_000

# The User-Agents calendar apps send when they refresh a subscription (first match wins).
_KINDS = (
    ("google", re.compile(r"Google-Calendar-Importer|Google-Calendar|GoogleCalendar|Google\b",
                          re.I)),
    ("microsoft", re.compile(r"Microsoft|Outlook|Exchange|MSOffice|Office/", re.I)),
    ("apple", re.compile(r"CalendarAgent|dataaccessd|iCal/|iOS/|macOS/|Mac ?OS ?X|iPhone|"
                         r"iPad|CFNetwork|remindd|Darwin", re.I)),
    ("thunderbird", re.compile(r"Thunderbird|Lightning|Icedove", re.I)),
)


def client_kind(user_agent: str | None) -> str:
    """Which kind of calendar app sent this User-Agent (a short regex table: no library
    knows calendar apps' refresh agents, and the five kinds are all we need)."""
    for kind, pattern in _KINDS:
        if user_agent and pattern.search(user_agent):
            return kind
    return "other"


def feed_key(event_filter: EventFilter, *, atom: bool = False) -> str:
    """The feed as the health page names it: ``all``, ``district/HSK``, ``industry/AUTO``
    or ``filtered:<query>`` (its filters in a fixed order); ``atom:`` in front for Atom."""
    args = event_filter.to_args()
    if not args:
        key = "all"
    elif list(args) == ["district"] and len(event_filter.districts) == 1:
        key = f"district/{event_filter.districts[0]}"
    elif list(args) == ["industry"] and len(event_filter.industries) == 1:
        key = f"industry/{event_filter.industries[0]}"
    else:
        pairs = [(name, value) for name, values in sorted(args.items())
                 for value in (values if isinstance(values, list) else [values])]
        key = "filtered:" + urlencode(pairs)
    key = ("atom:" + key) if atom else key
    return key[:200]


@dataclass
class Tally:
    fetches: int = 0
    not_modified: int = 0
    last_fetch_at: datetime | None = None
    clients: set[tuple[str, str]] = field(default_factory=set)


class Recorder:
    """The in-process tally of feed requests, written to the database by ``flush``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[tuple[date, str, str], Tally] = {}
        self._filtered: dict[date, set[str]] = {}
        self.flushed_at = time.monotonic()

    def record(self, feed: str, status: int, address: str | None, user_agent: str | None,
               at: datetime) -> None:
        day = to_local(at).date()
        kind = client_kind(user_agent)
        with self._lock:
            if feed.startswith(("filtered:", "atom:filtered:")):
                known = self._filtered.setdefault(day, set())
                if feed not in known and len(known) >= MAX_FILTERED_FEEDS:
                    feed = OTHER_FILTERED
                else:
                    known.add(feed)
            tally = self._tallies.get((day, feed, kind))
            if tally is None:
                tally = self._tallies[(day, feed, kind)] = Tally()
            tally.fetches += 1
            tally.not_modified += status == 304
            if tally.last_fetch_at is None or at > tally.last_fetch_at:
                tally.last_fetch_at = at
            if len(tally.clients) < MAX_PENDING_CLIENTS:
                tally.clients.add((address or "", (user_agent or "")[:500]))

    def due(self) -> bool:
        return bool(self._tallies) and time.monotonic() - self.flushed_at >= FLUSH_SECONDS

    def take(self) -> dict[tuple[date, str, str], Tally]:
        with self._lock:
            tallies, self._tallies = self._tallies, {}
            today = max((day for day, _feed, _kind in tallies), default=None)
            self._filtered = {day: feeds for day, feeds in self._filtered.items()
                              if today is None or day >= today}
            self.flushed_at = time.monotonic()
        return tallies


# The apps of this process that have a tally, flushed when the process exits (weakly
# held: an app that is gone has nothing left to write).
_RECORDING_APPS: weakref.WeakSet = weakref.WeakSet()


def recorder(app: Flask | None = None) -> Recorder:
    """This process's recorder for ``app`` (one per app and process)."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("messekalender.feed_health")
    if found is None:
        found = app.extensions.setdefault("messekalender.feed_health", Recorder())
        _RECORDING_APPS.add(app)
    return found


def record_request(feed: str, response, request) -> None:
    """Count one feed request (after its answer is known); flush afterwards when due."""
    if not current_app.config.get("FEED_HEALTH_ENABLED", True):
        return
    tally = recorder()
    tally.record(feed, response.status_code, request.remote_addr,
                 request.headers.get("User-Agent"), now_utc())
    if tally.due():
        app = current_app._get_current_object()
        response.call_on_close(lambda: _flush_in(app))


def _flush_in(app: Flask) -> None:
    with app.app_context():
        flush()


@atexit.register
def _flush_at_exit() -> None:
    for app in list(_RECORDING_APPS):
        with contextlib.suppress(Exception):  # best effort while the process ends
            _flush_in(app)


def _insert(connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def salt_of(connection, day: date) -> str:
    """The day's salt, created by whichever process needs it first."""
    insert = _insert(connection)
    connection.execute(insert(FeedStatsSalt.__table__).values(
        day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing())
    return connection.execute(
        select(FeedStatsSalt.salt).where(FeedStatsSalt.day == day)).scalar_one()


def flush(tallies: dict | None = None) -> int:
    """Write the tally (or ``tallies``) to the database; returns the feed/day/kind rows.

    Distinct clients: each hashed client is inserted once per day, feed and kind; only
    the rows that were new (``RETURNING`` of an insert that skips conflicts) add to the
    day's count, so two workers seeing the same client count it once.
    """
    tallies = recorder().take() if tallies is None else tallies
    if not tallies:
        return 0
    days = FeedFetchDay.__table__
    clients_table = FeedFetchClient.__table__
    with db.engine.begin() as connection:
        insert = _insert(connection)
        salts: dict[date, str] = {}
        for (day, feed, kind), tally in sorted(tallies.items()):
            salt = salts.get(day) or salts.setdefault(day, salt_of(connection, day))
            fingerprints = sorted({
                hashlib.sha256(f"{salt}\n{address}\n{agent}".encode()).hexdigest()[:16]
                for address, agent in tally.clients})
            new = 0
            if fingerprints:
                new = len(connection.execute(
                    insert(clients_table).values([
                        {"day": day, "feed": feed, "client": kind, "fingerprint": value}
                        for value in fingerprints])
                    .on_conflict_do_nothing().returning(clients_table.c.fingerprint)
                ).all())
            statement = insert(days).values(
                day=day, feed=feed, client=kind, fetches=tally.fetches,
                not_modified=tally.not_modified, clients=new,
                last_fetch_at=tally.last_fetch_at)
            excluded = statement.excluded
            connection.execute(statement.on_conflict_do_update(
                index_elements=[days.c.day, days.c.feed, days.c.client],
                set_={"fetches": days.c.fetches + excluded.fetches,
                      "not_modified": days.c.not_modified + excluded.not_modified,
                      "clients": days.c.clients + excluded.clients,
                      "last_fetch_at": case(
                          (excluded.last_fetch_at > days.c.last_fetch_at,
                           excluded.last_fetch_at), else_=days.c.last_fetch_at)}))
    return len(tallies)


def prune(today: date) -> None:
    """Forget past days' client hashes and salts, and counts beyond the retention."""
    with db.engine.begin() as connection:
        connection.execute(delete(FeedFetchClient).where(FeedFetchClient.day < today))
        connection.execute(delete(FeedStatsSalt).where(FeedStatsSalt.day < today))
        connection.execute(delete(FeedFetchDay).where(
            FeedFetchDay.day < today - timedelta(days=RETENTION_DAYS)))


# --- nginx-served static feeds -------------------------------------------------------------

# The fields of the ``feedstats`` log format (deploy/nginx.conf), separated by tabs:
# $time_iso8601  $status  $upstream_status  $uri  $remote_addr  $http_user_agent
STATIC_FEED = re.compile(r"/feeds/(all|district/[A-Z]+|industry/[A-Z]+)\.ics")


def parse_log_line(line: str) -> tuple[str, int, str, str, datetime] | None:
    """(feed, status, address, user agent, time) of a static feed fetch that nginx served
    itself, or None for anything else (answered by the app, which counts it; not a feed;
    an error; a malformed line)."""
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 6:
        return None
    moment, status, upstream, uri, address, agent = parts
    match = STATIC_FEED.fullmatch(uri)
    if match is None or upstream not in ("-", "") or status not in ("200", "304"):
        return None
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    return match.group(1), int(status), address, "" if agent == "-" else agent, at


def count_log(path: str) -> int:
    """Count the static feed fetches that nginx logged since the last run; returns how
    many were counted. Picks up where it stopped (file identity and offset kept in
    ``feed_log_cursors``); after a rotation it first finishes the rotated file
    (``<path>.1``), then reads the new one from its start."""
    cursor = db.session.get(FeedLogCursor, path)
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return 0
    sources: list[tuple[str, int]] = []  # (file, start offset)
    if cursor is None:
        sources.append((path, 0))
    elif cursor.inode == current.st_ino:
        sources.append((path, cursor.offset if cursor.offset <= current.st_size else 0))
    else:
        rotated = path + ".1"
        if os.path.exists(rotated) and os.stat(rotated).st_ino == cursor.inode:
            sources.append((rotated, cursor.offset))
        sources.append((path, 0))
    tally = Recorder()
    counted = 0
    offset = 0
    for source, start in sources:
        lines, offset = _complete_lines(source, start)
        for line in lines:
            parsed = parse_log_line(line)
            if parsed is not None:
                feed, status, address, agent, at = parsed
                tally.record(feed, status, address, agent, at)
                counted += 1
    flush(tally.take())
    if cursor is None:
        cursor = FeedLogCursor(path=path, inode=current.st_ino, offset=offset)
        db.session.add(cursor)
    cursor.inode, cursor.offset = current.st_ino, offset
    db.session.commit()
    return counted


def _complete_lines(path: str, start: int) -> tuple[Iterable[str], int]:
    """The whole lines of ``path`` from byte ``start``, and the offset after the last."""
    with open(path, "rb") as source:
        source.seek(start)
        data = source.read()
    end = data.rfind(b"\n") + 1
    text = data[:end].decode("utf-8", errors="replace")
    return text.splitlines(), start + end


def run_job(log_path: str | None, now: datetime) -> int:
    """The ``feed-health`` job: count nginx's log (when configured), write this process's
    own tally, forget what is past its retention."""
    counted = count_log(log_path) if log_path else 0
    flush()
    prune(to_local(now).date() if now else local_today())
    return counted
