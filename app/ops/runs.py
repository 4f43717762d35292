"""Recording the scheduler's work: job runs (claimed per slot) and the heartbeat.

Every function commits its own short transaction: a run's record must survive whatever
the job itself does to the session.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.ops.models import JobRun, SchedulerHeartbeat
from app.time import now_utc

logger = logging.getLogger(__name__)

# app.extensions key of the leading scheduler (set only in the scheduler process).
LEADER_KEY = "messekalender.scheduler_leader"
HEARTBEAT_ID = 1
# /healthz and the admin page call a heartbeat older than this "stale".
STALE_AFTER = timedelta(seconds=120)
ERROR_LENGTH = 2000


@dataclass
class Leader:
    """This process, while it holds the leader lock. ``leading`` turns False as soon as the
    heartbeat finds the lock lost; runs claimed after that are skipped."""

    host: str
    pid: int
    started_at: datetime
    leading: bool = True


def claim(job_id: str, slot: datetime, leader: Leader) -> int | None:
    """Insert the run's row for ``slot``; None when the slot is taken (it ran already)."""
    db.session.rollback()
    run = JobRun(job_id=job_id, slot=slot, started_at=now_utc(), outcome="running",
                 host=leader.host[:255], pid=leader.pid)
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run.id


def finish(run_id: int, outcome: str, error: str | None = None) -> None:
    """Write the outcome of a claimed run (after undoing whatever the job left pending)."""
    db.session.rollback()
    db.session.execute(
        update(JobRun).where(JobRun.id == run_id)
        .values(outcome=outcome, finished_at=now_utc(),
                error=error[:ERROR_LENGTH] if error else None)
    )
    db.session.commit()


def close_interrupted_runs(now: datetime) -> int:
    """Mark runs left "running" by a scheduler that died as errors. Only the new leader
    calls this, and only one process leads, so no such run is still going."""
    count = db.session.execute(
        update(JobRun).where(JobRun.finished_at.is_(None))
        .values(outcome="error", finished_at=now,
                error="interrupted: the scheduler stopped during the run; "
                      "the next run completes the work")
    ).rowcount
    db.session.commit()
    return count


def beat(leader: Leader, now: datetime) -> None:
    """Write the leader's heartbeat (a single row)."""
    heartbeat = db.session.get(SchedulerHeartbeat, HEARTBEAT_ID, populate_existing=True)
    if heartbeat is None:
        db.session.add(SchedulerHeartbeat(id=HEARTBEAT_ID, host=leader.host[:255],
                                          pid=leader.pid, started_at=leader.started_at,
                                          beat_at=now))
    else:
        heartbeat.host, heartbeat.pid = leader.host[:255], leader.pid
        heartbeat.started_at, heartbeat.beat_at = leader.started_at, now
    db.session.commit()


def heartbeat_status(now: datetime) -> dict:
    """The heartbeat as /healthz and the admin page show it."""
    heartbeat = db.session.get(SchedulerHeartbeat, HEARTBEAT_ID, populate_existing=True)
    if heartbeat is None:
        return {"status": "none"}
    age = (now - heartbeat.beat_at).total_seconds()
    return {
        "status": "stale" if age > STALE_AFTER.total_seconds() else "ok",
        "age_seconds": round(age, 1),
        "host": heartbeat.host,
        "pid": heartbeat.pid,
        "leader_since": heartbeat.started_at.isoformat(),
        "beat_at": heartbeat.beat_at.isoformat(),
    }


def latest_runs(per_job: int = 1) -> dict[str, list[JobRun]]:
    """The newest ``per_job`` runs of every job that has run, newest first."""
    ranked = select(
        JobRun.id,
        func.row_number().over(partition_by=JobRun.job_id,
                               order_by=(JobRun.started_at.desc(), JobRun.id.desc()))
        .label("rank"),
    ).subquery()
    rows = db.session.execute(
        select(JobRun).join(ranked, ranked.c.id == JobRun.id)
        .where(ranked.c.rank <= per_job)
        .order_by(JobRun.job_id, JobRun.started_at.desc(), JobRun.id.desc())
    ).scalars()
    result: dict[str, list[JobRun]] = {}
    for run in rows:
        result.setdefault(run.job_id, []).append(run)
    return result


def run_summary(run: JobRun) -> dict:
    return {
        "outcome": run.outcome,
        "slot": run.slot.isoformat(),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": run.duration_seconds,
        "error": run.error,
        "host": run.host,
        "pid": run.pid,
    }
