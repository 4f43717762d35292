"""The scheduler's leader lock: exactly one scheduler process runs the jobs.

PostgreSQL: a session-level advisory lock taken on a connection of its own that stays open
for the life of the process. SQLite: an exclusive ``flock`` on a file next to the database
file. The operating system (or the database server) releases either lock when the process
or its connection dies, so a standby can take over without anybody cleaning up.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

# An arbitrary constant, the same in every scheduler process ("MKSCHED" in ASCII).
ADVISORY_LOCK_KEY = 0x4D4B5343484544


class LeaderLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock without waiting; True when this process now leads."""

    def still_held(self) -> bool:
        """Whether the lock is still ours (a lost database connection loses it)."""

    def release(self) -> None:
        """Give the lock up (also done by the OS when the process ends)."""


class FileLock:
    """An exclusive ``flock`` on ``path``; the open file descriptor is the lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people looking; not needed
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated connection, held until it closes."""

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        if self._connection is not None:
            return self.still_held()
        connection = self.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": self.key}).scalar_one()
            connection.commit()  # session-level: the lock outlives the transaction
        except SQLAlchemyError:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND objid = :low AND classid = :high"
            ), {"low": self.key & 0xFFFFFFFF, "high": self.key >> 32}).scalar_one()
            self._connection.commit()
        except SQLAlchemyError:
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.commit()
        except SQLAlchemyError:
            pass
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()  # never back into the pool
                self._connection.close()
            except SQLAlchemyError:
                pass
            self._connection = None


def lock_file_for(database_uri: str, instance_path: str) -> Path:
    """The lock file next to the SQLite database file (in the instance folder for an
    in-memory database)."""
    database = make_url(database_uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return Path(instance_path) / "scheduler.lock"
    path = Path(database)
    return path.with_name(path.name + ".scheduler.lock")


def leader_lock(engine: Engine, database_uri: str, instance_path: str) -> LeaderLock:
    """The right lock for the database in use."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return FileLock(lock_file_for(database_uri, instance_path))
