"""Real scheduler processes against the test database: one leads, the other stands by.

Each test starts ``python -m flask --app wsgi scheduler`` as subprocesses with
``DATABASE_URL`` pointing at the test database (its schema built by the fixtures), mails
going to files in a temporary ``OUTBOX_DIR`` (or to a local SMTP server), and the
test-only ``SCHEDULER_TEST_INTERVAL_SECONDS`` so that every job fires every second.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from app.extensions import db
from app.ops.models import JobRun, SchedulerHeartbeat
from app.outbox.models import OutboxMessage
from app.outbox.services import queue
from tests.conftest import project_root

TAKEOVER_LIMIT = 60  # seconds the issue allows; with short polls it takes about one


class Scheduler:
    """One ``flask scheduler`` subprocess, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
            cwd=project_root(), env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGKILL) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        self._out.close()
        return code


def wait_for(check: Callable[[], object], timeout: float, what: str,
             schedulers: tuple[Scheduler, ...] = ()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh look, and no lock held against the writers
        if result := check():
            return result
        time.sleep(0.1)
    logs = "\n".join(f"--- {s.pid}:\n{s.output}" for s in schedulers)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
def spawn(app, tmp_path) -> Iterator[Callable[..., Scheduler]]:
    """Start scheduler processes; every one still running is killed afterwards."""
    started: list[Scheduler] = []
    env = {key: value for key, value in os.environ.items()
           if key not in ("SMTP_URL", "FLASK_ENV", "TEST_DATABASE_URL")}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "CALENDARS_DIR": str(tmp_path / "published"),
        "SCHEDULER_TEST_INTERVAL_SECONDS": "1",  # test only: every job every second
        "SCHEDULER_STANDBY_POLL": "0.5",
        "SCHEDULER_HEARTBEAT_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
    })

    def start(**extra: str) -> Scheduler:
        scheduler = Scheduler({**env, **extra}, tmp_path / f"scheduler-{len(started)}.log")
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.stop()
    db.session.rollback()


def heartbeat_pid() -> int | None:
    heartbeat = db.session.get(SchedulerHeartbeat, 1, populate_existing=True)
    return heartbeat.pid if heartbeat else None


def runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.execute(select(JobRun).order_by(JobRun.id)).scalars())


def process_now() -> datetime:
    """The clock of the spawned schedulers: the real one (a clock-shifted test run moves
    only this process's clock)."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(UTC)
    return datetime.now(UTC)


def ok_runs(job_id: str, pid: int) -> int:
    return sum(1 for run in runs() if (run.job_id, run.pid, run.outcome) == (job_id, pid, "ok"))


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def queue_mails(first: int, count: int) -> None:
    for number in range(first, first + count):
        queue(f"scheduler-test:{number}", f"person{number}@example.org", f"Nachricht {number}",
              "Text", process_now())
    db.session.commit()


def assert_no_slot_ran_twice() -> None:
    twice = db.session.execute(
        select(JobRun.job_id, JobRun.slot).group_by(JobRun.job_id, JobRun.slot)
        .having(func.count() > 1)
    ).all()
    assert twice == []


def test_one_scheduler_leads_the_standby_takes_over_and_nothing_runs_twice(
        spawn, tmp_path):
    queue_mails(1, 5)
    leader = spawn()
    wait_for(lambda: heartbeat_pid() == leader.pid, 30, "the first scheduler to lead", (leader,))
    standby = spawn()
    wait_for(lambda: "standing by" in standby.output, 30, "the second one to stand by",
             (leader, standby))
    wait_for(lambda: ok_runs("deliver-outbox", leader.pid) >= 3, 20, "three outbox runs",
             (leader, standby))

    assert {run.pid for run in runs()} == {leader.pid}  # the standby ran nothing
    assert heartbeat_pid() == leader.pid
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 5

    queue_mails(6, 5)
    leader.stop(signal.SIGKILL)
    killed_at = process_now()
    wait_for(lambda: heartbeat_pid() == standby.pid, TAKEOVER_LIMIT, "the standby to take over",
             (standby,))
    took = (process_now() - killed_at).total_seconds()
    assert took < TAKEOVER_LIMIT
    wait_for(lambda: all(m.sent_at for m in messages()) and
             ok_runs("deliver-outbox", standby.pid) >= 2, 20, "the new leader to deliver",
             (standby,))
    assert standby.stop(signal.SIGTERM) == 0
    assert "Leading as" in standby.output and "Scheduler stopped." in standby.output

    history = runs()
    assert {run.pid for run in history} == {leader.pid, standby.pid}
    # The leader's runs all before it died, the standby's all after: never both at once.
    assert all(run.started_at <= killed_at for run in history if run.pid == leader.pid)
    assert all(run.started_at >= killed_at - timedelta(seconds=1)
               for run in history if run.pid == standby.pid)
    assert all(run.finished_at is not None for run in history)  # dead runs closed
    assert_no_slot_ran_twice()
    # No mail sent twice: one file per message, each message claimed exactly once.
    files = sorted(path.name for path in (tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 10 and len({name.split("-")[0] for name in files}) == 10
    assert [m.attempts for m in messages()] == [1] * 10


class Recorder:
    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_killed_mid_delivery_the_next_run_completes_it_once(spawn):
    queue_mails(1, 3)
    # An "SMTP server" that accepts the connection and never says hello: the delivery
    # hangs in the middle of the first message, and there we kill the scheduler.
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        first = spawn(SMTP_URL=f"smtp://127.0.0.1:{port}")
        wait_for(lambda: any(r.job_id == "deliver-outbox" and r.outcome == "running"
                             for r in runs()) and messages()[0].claimed_until is not None,
                 30, "a delivery to hang", (first,))
        first.stop(signal.SIGKILL)
    finally:
        silent.close()
    hung = messages()
    assert [m.attempts for m in hung] == [1, 0, 0] and not any(m.sent_at for m in hung)
    # The dead worker's claim expires after CLAIM_SECONDS; don't wait five minutes here.
    db.session.execute(update(OutboxMessage).values(
        claimed_until=process_now() - timedelta(seconds=1)))
    db.session.commit()

    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        second = spawn(SMTP_URL=f"smtp://127.0.0.1:{port}")
        wait_for(lambda: all(m.sent_at for m in messages()), 30, "the next run to deliver",
                 (second,))
        wait_for(lambda: ok_runs("deliver-outbox", second.pid) >= 2, 20, "another run",
                 (second,))
        second.stop(signal.SIGTERM)
    finally:
        controller.stop()

    assert len(recorder.received) == 3  # each message exactly once
    subjects = sorted(line for content in recorder.received
                      for line in content.decode().splitlines() if line.startswith("Subject:"))
    assert subjects == [f"Subject: Nachricht {n}" for n in (1, 2, 3)]
    assert [m.attempts for m in messages()] == [2, 1, 1]
    interrupted = [r for r in runs() if r.pid == first.pid and r.job_id == "deliver-outbox"]
    assert interrupted[-1].outcome == "error" and "interrupted" in interrupted[-1].error
    assert "interrupted run(s) of the previous scheduler closed" in second.output
    assert_no_slot_ran_twice()
