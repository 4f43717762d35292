"""Serialising a decision that reads and then writes (is a limit reached?) across web
workers and hosts: whoever takes the lock first decides first, the next one reads what
the first one committed.

- PostgreSQL: a transaction-level advisory lock per name (``pg_advisory_xact_lock`` on a
  64-bit hash of it), taken in sorted order so that two callers cannot deadlock; released
  by the commit or rollback.
- SQLite has one write lock for the whole database: the transaction starts with
  ``BEGIN IMMEDIATE``, so the lock is held *before* the first read (pysqlite would begin
  lazily at the first write, after the reads). Waiting writers sleep in SQLite's busy
  handler; a "database is locked" after that is retried (nothing has happened yet).
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.extensions import db

BUSY_TIMEOUT_MS = 30_000
BEGIN_RETRIES = 5


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
        return  # it has written already: it holds the write lock
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    for attempt in range(BEGIN_RETRIES):
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if "locked" not in str(error) or attempt == BEGIN_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
