"""The scheduler's booth jobs: registered, idempotent, and delivering what they queue."""

from __future__ import annotations

from datetime import timedelta

from app import jobs


def test_booth_jobs_are_registered():
    ids = {job.id for job in jobs.JOBS}
    assert {"booth-notifications", "deliver-outbox"} <= ids


def test_final_list_job_runs_once_and_the_outbox_job_delivers(app, fair, category, company,
                                                              book, organiser, now, tmp_path):
    event = fair(opens=timedelta(days=-3))
    standard = category(event)
    book(*company("Früh GmbH"), standard)
    from app.booths.models import BoothSetup
    from app.extensions import db

    setup = db.session.get(BoothSetup, event.id)
    setup.closes_at = now - timedelta(minutes=1)  # registration has just closed
    db.session.commit()
    app.config.update(SMTP_URL=None, OUTBOX_DIR=str(tmp_path))

    assert jobs.booth_notifications_job(app) == 1  # the final list for the one organiser
    assert jobs.booth_notifications_job(app) == 0
    report = jobs.deliver_outbox_job(app)
    assert len(report.sent) == 2  # the booking confirmation and the final list
    assert jobs.deliver_outbox_job(app).sent == []
    written = sorted(path.read_bytes() for path in tmp_path.glob("*.eml"))
    assert len(written) == 2
    assert any(organiser.email.encode() in mail and b"exhibitors.csv" in mail
               for mail in written)
