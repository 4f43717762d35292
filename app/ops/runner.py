"""The scheduler process: lead (run the jobs, beat) or stand by until the leader dies.

A second scheduler started by mistake is harmless: it cannot take the leader lock, says so
once, and tries again every ``SCHEDULER_STANDBY_POLL`` seconds. When the leader's process
ends (or its database connection breaks) the lock is free and the standby takes over.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.ops import runs
from app.ops.leader import LeaderLock, leader_lock
from app.time import now_utc

logger = logging.getLogger(__name__)

DEFAULT_STANDBY_POLL = 5.0
DEFAULT_HEARTBEAT = 15.0


def setting(app: Flask, name: str, default: float) -> float:
    """A number from the app config, else the environment, else ``default``."""
    value = app.config.get(name) or os.environ.get(name)
    return float(value) if value else default


class SchedulerRunner:
    """Runs ``build(app)``'s scheduler while this process holds the leader lock."""

    def __init__(self, app: Flask, build: Callable[[Flask], BaseScheduler],
                 echo: Callable[[str], None] = print) -> None:
        self.app = app
        self.build = build
        self.echo = echo
        self.poll = setting(app, "SCHEDULER_STANDBY_POLL", DEFAULT_STANDBY_POLL)
        self.heartbeat_every = setting(app, "SCHEDULER_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT)
        with app.app_context():
            self.lock: LeaderLock = leader_lock(db.engine, app.config["SQLALCHEMY_DATABASE_URI"],
                                                app.instance_path)
        self.leader: runs.Leader | None = None
        self._stop = threading.Event()

    def run(self) -> None:
        """Lead or stand by until stopped (Ctrl+C, SIGTERM)."""
        previous = self._handle_sigterm()
        try:
            while not self._stop.is_set():
                if not self._wait_for_lead():
                    return
                self._lead()
        finally:
            self.lock.release()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _handle_sigterm(self):
        if threading.current_thread() is not threading.main_thread():
            return None

        def stop(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(0)  # running jobs finish: the pool's threads are joined

        return signal.signal(signal.SIGTERM, stop)

    def _try_lock(self) -> bool:
        try:
            return self.lock.acquire()
        except SQLAlchemyError as error:
            logger.warning("scheduler: cannot reach the database for the lock: %s", error)
            return False

    def _wait_for_lead(self) -> bool:
        announced = False
        while not self._try_lock():
            if not announced:
                self.echo(f"Another scheduler is running; standing by (retrying every "
                          f"{self.poll:g} s).")
                announced = True
            if self._stop.wait(self.poll):
                return False
        return True

    def _lead(self) -> None:
        leader = runs.Leader(host=socket.gethostname(), pid=os.getpid(), started_at=now_utc())
        with self.app.app_context():
            interrupted = runs.close_interrupted_runs(now_utc())
            runs.beat(leader, now_utc())
            db.session.remove()
        if interrupted:
            self.echo(f"{interrupted} interrupted run(s) of the previous scheduler closed.")
        self.echo(f"Leading as {leader.host}/{leader.pid}.")
        scheduler = self.build(self.app)
        self.leader = leader
        self.app.extensions[runs.LEADER_KEY] = leader
        done = threading.Event()
        heart = threading.Thread(target=self._beat, args=(leader, scheduler, done),
                                 name="scheduler-heartbeat", daemon=True)
        heart.start()
        try:
            scheduler.start()  # blocks until shut down (lost lock) or interrupted
        except (KeyboardInterrupt, SystemExit):
            self._stop.set()
            raise
        finally:
            done.set()
            heart.join(timeout=self.heartbeat_every + 5)
            leader.leading = False
            self.app.extensions.pop(runs.LEADER_KEY, None)
            if scheduler.running:
                scheduler.shutdown(wait=True)
        if not self._stop.is_set():
            self.echo("Lost the leader lock; standing by.")
            self.lock.release()

    def _beat(self, leader: runs.Leader, scheduler: BaseScheduler,
              done: threading.Event) -> None:
        while not done.wait(self.heartbeat_every):
            if not self.lock.still_held():
                logger.error("scheduler: the leader lock is lost; stopping the jobs")
                leader.leading = False
                scheduler.shutdown(wait=False)
                return
            try:
                with self.app.app_context():
                    runs.beat(leader, now_utc())
                    db.session.remove()
            except SQLAlchemyError as error:
                logger.warning("scheduler: heartbeat not written: %s", error)

    def stop(self) -> None:
        self._stop.set()

