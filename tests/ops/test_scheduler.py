"""The scheduler's bookkeeping: slots, claimed runs, the heartbeat, /healthz, the admin page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.ops import runs
from app.ops.leader import FileLock, leader_lock, lock_file_for
from app.ops.models import JobRun
from app.time import now_utc
from tests.conftest import login, utc


@pytest.fixture
def leader(app):
    """Pretend this process is the leading scheduler."""
    me = runs.Leader(host="test-host", pid=4242, started_at=now_utc())
    app.extensions[runs.LEADER_KEY] = me
    yield me
    app.extensions.pop(runs.LEADER_KEY, None)


def all_runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.execute(select(JobRun).order_by(JobRun.id)).scalars())


def test_interval_slots_are_aligned_so_every_process_fires_the_same_ones(app):
    outbox = jobs.job_by_id("deliver-outbox")
    assert jobs.current_slot(outbox, app, utc(2027, 3, 1, 10, 7, 42)) == utc(2027, 3, 1, 10, 7)
    publish = jobs.job_by_id("publish-feeds")
    assert jobs.current_slot(publish, app, utc(2027, 3, 1, 10, 19, 59)) == utc(2027, 3, 1, 10, 10)
    assert jobs.next_run_time(publish, app, utc(2027, 3, 1, 10, 19, 59)) == utc(2027, 3, 1, 10, 20)


def test_cron_slot_is_the_last_fire_time_in_local_time(app):
    scan = jobs.job_by_id("scan-clashes")
    # 03:30 in Berlin is 01:30 UTC in summer, 02:30 UTC in winter.
    assert jobs.current_slot(scan, app, utc(2027, 7, 2, 1, 0)) == utc(2027, 7, 1, 1, 30)
    assert jobs.current_slot(scan, app, utc(2027, 7, 2, 1, 31)) == utc(2027, 7, 2, 1, 30)
    assert jobs.next_run_time(scan, app, utc(2027, 1, 10, 12, 0)) == utc(2027, 1, 11, 2, 30)


def test_test_interval_overrides_every_schedule(app):
    app.config[jobs.TEST_INTERVAL_SETTING] = "2"
    try:
        scan = jobs.job_by_id("scan-clashes")
        slot = jobs.current_slot(scan, app, utc(2027, 7, 2, 1, 0, 3, 500))
        assert slot == utc(2027, 7, 2, 1, 0, 2)
    finally:
        del app.config[jobs.TEST_INTERVAL_SETTING]


def test_outside_the_scheduler_a_job_runs_unrecorded(app, tmp_path):
    app.config["CALENDARS_DIR"] = str(tmp_path)
    assert jobs.publish_feeds_job(app) is not None
    assert all_runs() == []


def test_a_run_claims_its_slot_and_records_the_outcome(app, leader, tmp_path):
    app.config["CALENDARS_DIR"] = str(tmp_path)
    assert jobs.publish_feeds_job(app) is not None
    (run,) = all_runs()
    assert (run.job_id, run.outcome, run.host, run.pid) == ("publish-feeds", "ok", "test-host",
                                                            4242)
    assert run.slot == jobs.current_slot(jobs.job_by_id("publish-feeds"), app)
    assert run.finished_at >= run.started_at and run.error is None
    # The same slot again (a second scheduler firing it): skipped, nothing recorded twice.
    assert jobs.publish_feeds_job(app) is None
    assert len(all_runs()) == 1


def test_a_failing_job_is_recorded_as_error_and_still_raises(app, leader, monkeypatch):
    def broken(now):
        raise RuntimeError("SMTP on fire")

    monkeypatch.setattr("app.outbox.services.deliver_outbox", broken)
    with pytest.raises(RuntimeError):
        jobs.deliver_outbox_job(app)
    (run,) = all_runs()
    assert run.outcome == "error" and run.error == "RuntimeError: SMTP on fire"


def test_a_scheduler_that_lost_the_lead_skips_its_claimed_run(app, leader):
    leader.leading = False
    assert jobs.booth_notifications_job(app) is None
    (run,) = all_runs()
    assert run.outcome == "skipped" and "no longer the leader" in run.error


def test_a_new_leader_closes_the_runs_its_dead_predecessor_left_open(app):
    dead = runs.Leader(host="old-host", pid=1, started_at=now_utc())
    open_id = runs.claim("publish-feeds", utc(2027, 1, 1, 10), dead)
    done_id = runs.claim("deliver-outbox", utc(2027, 1, 1, 10), dead)
    runs.finish(done_id, "ok")
    assert runs.close_interrupted_runs(now_utc()) == 1
    outcomes = {run.id: (run.outcome, run.error) for run in all_runs()}
    assert outcomes[open_id][0] == "error" and "interrupted" in outcomes[open_id][1]
    assert outcomes[done_id] == ("ok", None)


def test_heartbeat_is_one_row_and_goes_stale(app):
    assert runs.heartbeat_status(now_utc()) == {"status": "none"}
    leader = runs.Leader(host="sched-1", pid=77, started_at=utc(2027, 1, 1, 9))
    runs.beat(leader, utc(2027, 1, 1, 10))
    runs.beat(leader, utc(2027, 1, 1, 10, 0, 15))
    status = runs.heartbeat_status(utc(2027, 1, 1, 10, 0, 45))
    assert status["status"] == "ok" and status["age_seconds"] == 30.0
    assert (status["host"], status["pid"]) == ("sched-1", 77)
    assert runs.heartbeat_status(utc(2027, 1, 1, 10, 2, 16))["status"] == "stale"


def test_healthz_without_a_scheduler(client):
    body = client.get("/healthz").json
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["scheduler"] == {"status": "none"}
    assert body["jobs"] == {job.id: None for job in jobs.JOBS}


def test_healthz_reports_heartbeat_and_last_runs_and_stays_200_when_stale(client):
    leader = runs.Leader(host="sched-1", pid=77, started_at=now_utc())
    runs.beat(leader, now_utc() - timedelta(seconds=5))
    run_id = runs.claim("deliver-outbox", utc(2027, 1, 1, 10), leader)
    runs.finish(run_id, "error", "OSError: connection refused")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["scheduler"]["status"] == "ok" and body["scheduler"]["pid"] == 77
    assert 4 <= body["scheduler"]["age_seconds"] < 60
    last = body["jobs"]["deliver-outbox"]
    assert last["outcome"] == "error" and last["error"] == "OSError: connection refused"
    assert last["slot"].startswith("2027-01-01T10:00:00")
    assert body["jobs"]["publish-feeds"] is None

    runs.beat(leader, now_utc() - timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 200  # a stale scheduler does not take the web down
    assert response.json["scheduler"]["status"] == "stale"


def test_admin_jobs_page_is_for_admins_only(client, make_user, make_organisation):
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    login(client, make_user("organiser@example.org", organisation=make_organisation()))
    assert client.get("/admin/jobs").status_code == 403


def test_admin_jobs_page_shows_heartbeat_next_runs_and_last_runs(client, make_user):
    leader = runs.Leader(host="sched-host", pid=31337, started_at=now_utc())
    runs.beat(leader, now_utc())
    ok_id = runs.claim("publish-feeds", utc(2027, 1, 1, 10), leader)
    runs.finish(ok_id, "ok")
    failed_id = runs.claim("deliver-outbox", utc(2027, 1, 1, 10), leader)
    runs.finish(failed_id, "error", "SMTPRecipientsRefused: <nobody@example.org>")
    login(client, make_user("admin@example.org", role="admin"))
    page = client.get("/admin/jobs?lang=en", headers={"Accept-Language": "en"}).text
    assert "sched-host" in page and "31337" in page
    for job in jobs.JOBS:
        assert f'id="job-{job.id}"' in page and job.description in page
    assert "SMTPRecipientsRefused: &lt;nobody@example.org&gt;" in page  # escaped
    assert page.count("Not run yet.") + page.count("Noch nicht gelaufen.") == len(jobs.JOBS) - 2
    assert 'aria-current="page"' in page


def test_file_lock_admits_one_holder(tmp_path: Path):
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert first.acquire() and first.acquire()  # idempotent for the holder
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_lock_file_lies_next_to_the_sqlite_database(tmp_path):
    assert lock_file_for(f"sqlite:///{tmp_path}/db.sqlite", "/inst") == \
        tmp_path / "db.sqlite.scheduler.lock"
    assert lock_file_for("sqlite://", str(tmp_path)) == tmp_path / "scheduler.lock"


def test_advisory_lock_admits_one_holder(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    first = leader_lock(db.engine, uri, app.instance_path)
    second = leader_lock(db.engine, uri, app.instance_path)
    try:
        assert first.acquire() and first.still_held()
        assert not second.acquire()
        first.release()
        assert second.acquire() and second.still_held()
    finally:
        first.release()
        second.release()
