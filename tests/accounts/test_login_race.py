"""Login throttling holds under concurrent requests: 30 wrong passwords for one account,
sent at once from 30 addresses to gunicorn with several workers, get exactly
``LOGIN_FAILURE_LIMIT`` (5) passwords checked; the others are refused as locked without a
check (on SQLite and on PostgreSQL, whichever the suite runs on)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from app.accounts.security import AuditEntry, LoginFailure, LoginLock
from app.extensions import db
from tests.conftest import PASSWORD, project_root
from tests.ops.test_deploy import DEPLOY, free_port

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("gunicorn") is None, reason="needs gunicorn")]
ATTACKERS = 30


@contextmanager
def gunicorn(database_url: str, workers: int = 4):
    port = free_port()
    env = {**os.environ, "SECRET_KEY": "login-race", "DATABASE_URL": database_url,
           "PROXY_COUNT": "1", "TRUSTED_PROXIES": "127.0.0.1",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    env.pop("FLASK_ENV", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
        cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=2)
                break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)


def attempt(base: str, address: str, password: str, barrier: threading.Barrier | None):
    """A browser from ``address``: fetch the form (session and CSRF token), then post."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    headers = {"X-Forwarded-For": address}
    page = opener.open(urllib.request.Request(f"{base}/login", headers=headers), timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.read().decode()).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": "orga@example.org",
                                   "password": password}).encode()
    if barrier is not None:
        barrier.wait(timeout=60)
    try:
        return opener.open(urllib.request.Request(f"{base}/login", data=body,
                                                  headers=headers), timeout=60).status
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_wrong_passwords_get_five_checked(app, database_url, make_user,
                                                   make_organisation):
    make_user("orga@example.org", organisation=make_organisation())
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    statuses: list[int] = []
    barrier = threading.Barrier(ATTACKERS)
    with gunicorn(database_url) as base:
        def run(number: int) -> None:
            statuses.append(attempt(base, f"198.51.100.{number + 1}", "wrong-password-9",
                                    barrier))

        threads = [threading.Thread(target=run, args=(n,)) for n in range(ATTACKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # Even the right password, from yet another address, waits for the lock.
        right = attempt(base, "203.0.113.77", PASSWORD, None)
    checked = db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "login.failure")).scalar_one()
    print(f"{ATTACKERS} parallel wrong passwords: {statuses.count(401)} checked (401), "
          f"{statuses.count(429)} refused as locked (429); database: "
          f"{db.engine.dialect.name}")
    assert sorted(statuses) == [401] * 5 + [429] * (ATTACKERS - 5)
    assert checked == 5
    assert db.session.execute(select(func.count()).select_from(LoginFailure)).scalar_one() == 5
    assert db.session.execute(select(LoginLock.scope)).scalars().all() == ["account"]
    assert right == 429
