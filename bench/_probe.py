"""A probe inside each gunicorn worker of the booking benchmark: for every booking request
(``POST /api/v1/bookings``) it records the worker's CPU time, the SQL statements sent,
and how long the category lock was held, one JSON line per request in ``PROBE_DIR``.

Installed by the benchmark's gunicorn config (``post_worker_init``), never by the app.
A sync worker serves one request at a time in one thread, so the thread's CPU clock and
one counter per worker are exact.

- CPU: ``time.thread_time()`` around the WSGI call, the answer's body included.
- Statements: every statement the app sends through SQLAlchemy (``before_cursor_execute``,
  ``BEGIN IMMEDIATE`` on SQLite included) plus the pool's ping on checkout
  (``pool_pre_ping``: one ``SELECT 1`` that bypasses the statement events).
- Lock: from the moment the lock is granted (the ``SELECT … FOR UPDATE`` on PostgreSQL,
  ``BEGIN IMMEDIATE`` on SQLite has returned) to the end of the transaction's commit or
  rollback, which releases it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

PATH = "/api/v1/bookings"


class Probe:
    def __init__(self, directory: Path):
        self.file = (directory / f"probe-{os.getpid()}.jsonl").open("a", buffering=1)
        self.active = False
        self.statements = 0
        self.lock_granted: float | None = None
        self.lock_held: float | None = None

    def statement(self, statement: str) -> None:
        if self.active:
            self.statements += 1

    def after_statement(self, statement: str) -> None:
        if self.active and self.lock_granted is None and (
                statement.startswith("BEGIN IMMEDIATE") or "FOR UPDATE" in statement):
            self.lock_granted = time.perf_counter()

    def transaction_ended(self) -> None:
        if self.active and self.lock_granted is not None and self.lock_held is None:
            self.lock_held = time.perf_counter() - self.lock_granted

    def ping(self) -> None:
        if self.active:
            self.statements += 1

    def wrap(self, wsgi_app):
        def probed(environ, start_response):
            if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != PATH:
                return wsgi_app(environ, start_response)
            self.active, self.statements = True, 0
            self.lock_granted = self.lock_held = None
            status = []

            def remember(code, headers, *args):
                status.append(int(code.split()[0]))
                return start_response(code, headers, *args)

            cpu = time.thread_time()
            body = b"".join(wsgi_app(environ, remember))
            cpu = time.thread_time() - cpu
            self.active = False
            self.file.write(json.dumps({
                "cpu": cpu, "statements": self.statements, "lock": self.lock_held,
                "status": status[0] if status else None, "at": time.time()}) + "\n")
            return [body]

        return probed


def install(flask_app, directory: str) -> None:
    """Hook the probe into a worker's Flask app and its engine."""
    probe = Probe(Path(directory))
    with flask_app.app_context():
        from app.extensions import db

        engine = db.engine
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: probe.statement(statement))
    event.listen(engine, "after_cursor_execute",
                 lambda conn, cursor, statement, *args: probe.after_statement(statement))
    if engine.pool._pre_ping:
        event.listen(engine, "checkout", lambda *args: probe.ping())
    event.listen(Session, "after_commit", lambda session: probe.transaction_ended())
    event.listen(Session, "after_rollback", lambda session: probe.transaction_ended())
    flask_app.wsgi_app = probe.wrap(flask_app.wsgi_app)


# --- the benchmark's side: a gunicorn config with the probe, and reading its records ------

CONFIG = '''\
import sys
exec(compile(open({production!r}).read(), {production!r}, "exec"))


def post_worker_init(worker):
    sys.path.insert(0, {bench!r})
    import _probe

    _probe.install(worker.wsgi, {directory!r})
'''


def write_config(folder: Path, root: Path) -> Path:
    """A gunicorn config: the production one (deploy/gunicorn.conf.py) plus the probe."""
    directory = folder / "probe"
    directory.mkdir(exist_ok=True)
    config = folder / "gunicorn-probe.conf.py"
    config.write_text(CONFIG.format(production=str(root / "deploy" / "gunicorn.conf.py"),
                                    bench=str(Path(__file__).resolve().parent),
                                    directory=str(directory)))
    return config


class Records:
    """Reads what the workers' probes wrote since the last call."""

    def __init__(self, folder: Path):
        self.directory = folder / "probe"
        self.offsets: dict[Path, int] = {}

    def take(self) -> list[dict]:
        records = []
        for path in sorted(self.directory.glob("probe-*.jsonl")):
            with path.open() as handle:
                handle.seek(self.offsets.get(path, 0))
                text = handle.read()
            complete = text[:text.rfind("\n") + 1]
            self.offsets[path] = self.offsets.get(path, 0) + len(complete.encode())
            records += [json.loads(line) for line in complete.splitlines() if line]
        return records
