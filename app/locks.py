"""Serialising a decision that reads and then writes (is a slot full? is a limit reached?)
across web workers and hosts: whoever takes the lock first decides first, the next one
reads what the first one committed. Decisions are made only on what was read after the
lock.

* ``lock_rows``: the rows that hold counters (booth categories, class-visit slots).
  PostgreSQL: ``SELECT … WHERE id IN (…) ORDER BY id FOR UPDATE``; concurrent changes of
  one row queue on it, and under READ COMMITTED every later statement sees what the
  previous holder committed. Several rows are locked in id order, so two callers cannot
  deadlock.
* ``serialise``: a decision that has no row to lock (login attempts per address).
  PostgreSQL: a transaction-level advisory lock per name (``pg_advisory_xact_lock`` on a
  64-bit hash of it), taken in sorted order; released by the commit or rollback.
* SQLite has no row locks and one write lock for the whole database: both start the
  transaction with ``BEGIN IMMEDIATE``, so the lock is held *before* the first read
  (pysqlite would otherwise begin lazily at the first write, after the reads). Waiting
  writers sleep in SQLite's busy handler (``extensions.SQLITE_BUSY_TIMEOUT_MS``, set on
  every connection); a "database is locked" after that is retried — nothing has happened
  in that transaction yet, so a retry is safe.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from app.extensions import db

BEGIN_RETRIES = 5

Row = TypeVar("Row")


def lock_rows(model: type[Row], ids: Iterable[int]) -> dict[int, Row]:
    """Lock the rows of ``model`` with these ids and re-read them (id → row; missing ids
    are left out)."""
    wanted = sorted(set(ids))
    if db.session.get_bind().dialect.name == "sqlite":
        begin_immediate()
    rows = db.session.execute(
        select(model).where(model.id.in_(wanted)).order_by(model.id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    return {row.id: row for row in rows}


def lock_key(name: str) -> int:
    """A stable signed 64-bit number for ``name`` (PostgreSQL's advisory lock key)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def serialise(*names: str) -> None:
    """Hold a lock for each of ``names`` until the current transaction ends. Call it
    before the reads the decision depends on, in a transaction that has not written yet."""
    if db.session.get_bind().dialect.name == "postgresql":
        for key in sorted({lock_key(name) for name in names}):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    begin_immediate()


def begin_immediate() -> None:
    """SQLite: begin the session's transaction holding the database's write lock (if it
    has not written yet; a transaction that has written holds the lock already)."""
    connection = db.session.connection()
    if connection.connection.driver_connection.in_transaction:
        return
    for attempt in range(BEGIN_RETRIES):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == BEGIN_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def close_waitlist_gap(model: type, group_column, group_id: int, position: int) -> None:
    """Under the lock of a group of places (a booth category, a class-visit slot): move
    everyone waitlisted behind ``position`` up by one, front first, so that the unique
    index on (group, position) holds at every step."""
    behind = db.session.execute(
        select(model.id, model.waitlist_position)
        .where(group_column == group_id, model.status == "waitlisted",
               model.waitlist_position > position)
        .order_by(model.waitlist_position)
    ).all()
    for row_id, old in behind:
        db.session.execute(update(model).where(model.id == row_id)
                           .values(waitlist_position=old - 1))
