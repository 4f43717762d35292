"""What the HTTP benchmarks share: the environment of a throw-away instance, the ``flask``
commands, gunicorn started from ``deploy/gunicorn.conf.py`` on 127.0.0.1 and stopped
again, one request per connection, percentiles.

Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else


def bench_env(folder: Path, database: str) -> dict[str, str]:
    """The environment of a production-style instance whose files live in ``folder``."""
    return os.environ | {
        "DATABASE_URL": database, "SECRET_KEY": secrets.token_hex(16),
        "CALENDARS_DIR": str(folder / "published"),
        "OUTBOX_DIR": str(folder / "outbox"), "BASE_URL": f"http://{HOST}",
        "FLASK_ENV": "production",
    }


def flask_command(env: dict[str, str], command: str) -> None:
    """Run ``flask --app wsgi <command>`` in its own process (as an operator would)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", command],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"flask {command} failed:\n{done.stdout}{done.stderr}")


def migrated_app(env: dict[str, str]):
    """``init-db`` in its own process (as an operator runs it), then an app of this
    process on the same database."""
    flask_command(env, "init-db")
    os.environ.update(env)
    from app import create_app

    return create_app()


def bench_organiser(organisation_name: str, kind: str, town_name: str):
    """Inside an app context: the reference municipality ``town_name`` and an organiser of
    a new organisation (no password: nobody logs in)."""
    from sqlalchemy import select

    from app.accounts import services as accounts
    from app.accounts.models import User
    from app.extensions import db
    from app.reference.models import Municipality

    town = db.session.execute(
        select(Municipality).where(Municipality.name == town_name)).scalar_one()
    organisation = accounts.create_organisation(organisation_name, kind)
    organiser = User(email="messe@benchmark.example", role="organiser",
                     organisation=organisation, password_hash="!", language="de")
    db.session.add(organiser)
    db.session.flush()
    return town, organisation, organiser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def default_workers() -> int:
    """The worker count deploy/gunicorn.conf.py would choose."""
    return min(2 * multiprocessing.cpu_count() + 1, 12)


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path,
                   config: Path | str = "deploy/gunicorn.conf.py") -> subprocess.Popen:
    """gunicorn with the production settings on ``HOST:port``; returns once /healthz answers.
    ``config`` may be a file that extends the production one (e.g. with a probe)."""
    env = env | {"GUNICORN_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(workers),
                 "GUNICORN_LOGLEVEL": "warning"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config),
         "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped: see {log}")
        try:
            status, _, _ = request(port, "GET", "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop(process: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM), killed when it takes longer than gunicorn's grace time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=35)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_errors(log: Path) -> list[str]:
    """The lines of gunicorn's log that tell of a failure (tracebacks, killed workers)."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if "Traceback" in line or "ERROR" in line or "CRITICAL" in line]


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: dict | None = None, form: dict | None = None,
            ) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection (gunicorn's sync workers close after each); a
    JSON ``body`` or an HTML ``form``."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        payload = None
        headers = dict(headers or {})
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            payload = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def refuse_non_empty(database: str) -> None:
    """Stop unless the database has no tables: the checks count every booking."""
    from sqlalchemy import create_engine, inspect

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database))
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(
            f"The database is not empty ({len(tables)} tables, e.g. {', '.join(tables[:3])}).\n"
            "The benchmark needs an empty one: drop and create it again, e.g.\n"
            "  dropdb NAME && createdb -O USER NAME")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


class TimedAnswer(Protocol):
    """One request as the client saw it: when it was sent and answered, its status and
    the id the server gave what it accepted (None when it accepted nothing)."""

    started: float
    ended: float
    status: int | None

    @property
    def seconds(self) -> float: ...

    @property
    def accepted_id(self) -> int | None: ...


def client_order(answers: Sequence[TimedAnswer]) -> tuple[int, int]:
    """How many requests got an id smaller than one answered before they were sent, and
    how many (answered, later sent) pairs the client saw at all."""
    done = sorted((answer for answer in answers if answer.accepted_id is not None),
                  key=lambda answer: answer.ended)
    broken = pairs = index = 0
    highest = 0
    for answer in sorted(done, key=lambda answer: answer.started):
        while index < len(done) and done[index].ended < answer.started:
            highest = max(highest, done[index].accepted_id)
            index += 1
        pairs += index
        if index and answer.accepted_id < highest:
            broken += 1
    return broken, pairs


def row(label: str, answers: Sequence[TimedAnswer]) -> str:
    wall = max(a.ended for a in answers) - min(a.started for a in answers)
    latencies = [answer.seconds * 1000 for answer in answers]
    statuses = ", ".join(f"{status}×{count}" for status, count in
                         sorted(Counter(a.status for a in answers).items(),
                                key=lambda item: (item[0] is None, item[0] or 0)))
    return (f"{label:<26}{len(answers):>9}{wall:>8.2f}{len(answers) / wall:>8.1f}"
            f"{statistics.median(latencies):>9.1f}{percentile(latencies, 0.95):>9.1f}"
            f"{percentile(latencies, 0.99):>9.1f}{max(latencies):>9.1f}  {statuses}")


def table_head() -> str:
    return (f"{'':<26}{'requests':>9}{'wall s':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}  statuses")
