"""The job registry and the scheduler command (the scheduler never runs inside the app)."""

import threading
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from app import create_app, jobs
from app.extensions import db


def test_registry_has_stable_unique_ids():
    ids = [job.id for job in jobs.JOBS]
    assert len(ids) == len(set(ids))
    assert "publish-feeds" in ids
    for job in jobs.JOBS:
        assert job.id.replace("-", "").isalnum() and job.id == job.id.lower()
        assert callable(job.func) and job.description


def test_scheduler_gets_every_job_with_safe_defaults(app):
    scheduler = jobs.build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == {job.id for job in jobs.JOBS}
        publish = scheduled["publish-feeds"]
        assert isinstance(publish.trigger, IntervalTrigger)
        assert publish.trigger.interval.total_seconds() == 600
        assert publish.coalesce is True and publish.max_instances == 1
        assert publish.misfire_grace_time == 300
        assert publish.args == (app,)
        assert publish.next_run_time is not None  # publishes right after start
    finally:
        scheduler.shutdown(wait=False)


def test_creating_the_app_starts_no_scheduler(test_config):
    before = {thread.name for thread in threading.enumerate()}
    app = create_app(test_config)
    after = {thread.name for thread in threading.enumerate()}
    assert after == before
    assert not any("APScheduler" in name for name in after)
    with app.app_context():
        db.engine.dispose()


def test_publish_job_publishes_and_then_skips(app, tmp_path, make_event):
    make_event("Messe Siegen")
    app.config["CALENDARS_DIR"] = str(tmp_path)
    first = jobs.publish_feeds_job(app)
    assert first is not None and len(first.written) == 13
    assert "Messe Siegen" in (tmp_path / "district" / "SI.ics").read_text()
    quiet = jobs.publish_feeds_job(app)  # nothing changed: cheap, nothing built
    assert quiet.written == () and len(quiet.skipped) == 13
    make_event("Messe Olpe", town="Olpe", venue="Stadthalle Olpe")
    again = jobs.publish_feeds_job(app)
    assert again is not None and "district/OE.ics" in again.written
    assert "district/HSK.ics" in again.skipped
    assert "Messe Olpe" in Path(tmp_path, "all.ics").read_text()


def test_scheduler_command_lists_the_jobs_and_stops_cleanly(runner, monkeypatch):
    started = []

    def fake_start(self, *args, **kwargs):
        started.append({job.id for job in self.get_jobs()})
        raise KeyboardInterrupt

    monkeypatch.setattr(BlockingScheduler, "start", fake_start)
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    assert "publish-feeds: Write the static iCal feeds" in result.output
    assert "interval: 10 minutes" in result.output
    assert "Scheduler stopped." in result.output
    assert started == [{job.id for job in jobs.JOBS}]
