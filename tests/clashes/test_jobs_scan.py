"""The nightly clash re-scan job of the scheduler."""

from datetime import date

from app import jobs
from app.clashes.models import Clash
from app.extensions import db


def test_nightly_scan_is_scheduled_at_half_past_three_local_time(app):
    scheduler = jobs.build_scheduler(app, scheduler_class=background_scheduler)
    job = scheduler.get_job("scan-clashes")
    assert str(job.trigger.timezone) == "Europe/Berlin"
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert fields["hour"] == "3" and fields["minute"] == "30"


def test_scan_job_stores_the_clashes_it_finds(app, make_event):
    make_event("Messe Siegen A", day=date(2027, 5, 8), venue="Siegerlandhalle")
    make_event("Messe Siegen B", day=date(2027, 5, 8), venue="Siegerlandhalle")
    report = jobs.scan_clashes_job(app)
    assert report.open_hard == 1
    clash = db.session.execute(db.select(Clash)).scalar_one()
    assert clash.status == "open"


def background_scheduler(**kwargs):
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(**kwargs)
