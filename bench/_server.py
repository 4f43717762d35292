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
import subprocess
import sys
import time
from pathlib import Path

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
            body: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection (gunicorn's sync workers close after each)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        payload = None
        headers = dict(headers or {})
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
