"""The lock taken before a change to a counted set of places (booth categories, class-visit
slots): the rows that hold the counters, locked for the rest of the transaction.

* PostgreSQL: ``SELECT … WHERE id IN (…) ORDER BY id FOR UPDATE``. Concurrent changes of
  one row queue on it; under READ COMMITTED every later statement sees what the previous
  holder committed. Several rows are locked in id order, so two callers cannot deadlock.
* SQLite has no row locks, so the transaction starts with ``BEGIN IMMEDIATE``: the
  database's single write lock is taken *before* the first read, so the reads and the
  writes of a change are one serialised unit (pysqlite would otherwise start the
  transaction lazily at the first write, after the reads). Waiting writers sleep in
  SQLite's busy handler (``extensions.SQLITE_BUSY_TIMEOUT_MS``, set on every connection)
  and ``BEGIN IMMEDIATE`` is retried when it still reports "database is locked" — nothing
  has happened in that transaction yet, so a retry is safe.

Decisions are made only on what was read after the lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.extensions import db

LOCK_RETRIES = 5

Row = TypeVar("Row")


def lock_rows(model: type[Row], ids: Iterable[int]) -> dict[int, Row]:
    """Lock the rows of ``model`` with these ids and re-read them (id → row; missing ids
    are left out). On SQLite this begins the transaction with BEGIN IMMEDIATE (unless it
    has written already: then it holds the lock)."""
    wanted = sorted(set(ids))
    if db.session.get_bind().dialect.name == "sqlite":
        begin_immediate()
    rows = db.session.execute(
        select(model).where(model.id.in_(wanted)).order_by(model.id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    return {row.id: row for row in rows}


def begin_immediate() -> None:
    """Take SQLite's write lock now, unless this connection's transaction has begun."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if raw.in_transaction:
        return
    for attempt in range(LOCK_RETRIES):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
