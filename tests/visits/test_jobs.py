"""The scheduler's class-visit job: holds expire, cancelled fairs are settled, reminders go
out on the organiser's day — each once, also when two schedulers run it at the same time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from app import jobs
from app.calendar import services as calendar
from app.extensions import db
from app.ops import runs
from app.time import local_to_utc, now_utc
from app.visits import jobs as visit_jobs
from app.visits.models import ClassVisit, VisitSlot
from tests.booths.test_booking_concurrency import race
from tests.visits.conftest import FAIR_DAY, NOW, class_data, outbox


def at(day_offset: int, hour: int = 9) -> datetime:
    """``day_offset`` local days before the fair, at ``hour`` o'clock local time."""
    return local_to_utc(FAIR_DAY - timedelta(days=day_offset), time(hour))


def test_the_job_is_registered_with_a_stable_id():
    job = jobs.job_by_id("class-visits")
    assert job.func is jobs.class_visits_job
    assert job.trigger == "interval" and job.trigger_args == {"minutes": 5}


@pytest.mark.parametrize("days", [3, 1])
def test_the_reminder_comes_on_the_organisers_day_and_once(visit_fair, register, days):
    event, (slot, _) = visit_fair(reminder_days=days, instructions="Eingang Möhnestraße")
    register(event, class_data(slot, 25), email="erinnern@schule.example", confirm=True)
    register(event, class_data(slot, 5), email="unbestaetigt@schule.example")
    assert visit_jobs.run(at(days + 1, 23)).queued == 0  # a day too early
    assert visit_jobs.run(at(days, 0) + timedelta(minutes=5)).queued == 1
    assert visit_jobs.run(at(days, 12)).queued == 0  # once only
    db.session.commit()
    reminder = outbox("erinnern@schule.example")[-1]
    assert reminder.subject.startswith("Erinnerung")
    assert ("morgen" if days == 1 else f"in {days} Tagen") in reminder.subject
    assert "Eingang Möhnestraße" in reminder.body and "/visits/r/" in reminder.body
    assert len(icalendar.Calendar.from_ical(reminder.attachment).walk("VEVENT")) == 1
    # The unconfirmed address got its one request to confirm and nothing else.
    assert len(outbox("unbestaetigt@schule.example")) == 1


def test_no_reminder_when_the_organiser_wants_none(visit_fair, register):
    event, (slot, _) = visit_fair(reminder_days=0)
    register(event, class_data(slot, 25), confirm=True)
    assert visit_jobs.run(at(0, 7)).queued == 0


def test_a_registration_confirmed_after_the_reminder_point_gets_none(visit_fair, register):
    event, (slot, _) = visit_fair(reminder_days=3)
    late = at(2)
    register(event, class_data(slot, 25), now=late, confirm=True)
    assert visit_jobs.run(late + timedelta(hours=1)).queued == 0


def test_a_cancelled_fair_settles_its_classes_and_tells_each_teacher_once(visit_fair,
                                                                           register):
    event, (first, second) = visit_fair()
    register(event, class_data(first, 25), class_data(second, 20),
             email="bestaetigt@schule.example", confirm=True)
    register(event, class_data(first, 10), email="offen@schule.example")
    calendar.change_status(event, None, "cancelled", now=NOW)
    db.session.commit()
    assert visit_jobs.run(NOW + timedelta(hours=1)).queued == 1
    assert visit_jobs.run(NOW + timedelta(hours=2)).queued == 0
    db.session.commit()
    assert {visit.status for visit in db.session.scalars(select(ClassVisit))} == {"cancelled"}
    assert [db.session.get(VisitSlot, slot.id).pupils_taken for slot in (first, second)] \
        == [0, 0]
    mail = outbox("bestaetigt@schule.example")[-1]
    assert mail.subject.startswith("Messe abgesagt")
    entries = icalendar.Calendar.from_ical(mail.attachment).walk("VEVENT")
    assert [str(entry["STATUS"]) for entry in entries] == ["CANCELLED", "CANCELLED"]
    assert len(outbox("offen@schule.example")) == 1  # only the request to confirm


def test_two_schedulers_at_once_expire_and_remind_once(app, visit_fair, register):
    event, (slot, _) = visit_fair(capacities=(30, 30))
    register(event, class_data(slot, 20), email="vergessen@schule.example")
    register(event, class_data(slot, 20), email="wartet@schule.example", join_waitlist=True,
             confirm=True)
    when = at(2)  # after the hold ran out, inside the reminder window
    db.session.commit()
    results, errors = race(app, [(), ()], lambda: visit_jobs.run(when))
    assert errors == []
    assert sum(report.expired for report in results) == 1
    # The waiting class got the places and exactly one reminder.
    assert sum(report.queued for report in results) == 1
    db.session.expire_all()
    assert db.session.get(VisitSlot, slot.id).pupils_taken == 20
    assert [mail.subject[:14] for mail in outbox("wartet@schule.example")] == [
        "Bitte bestätig", "Klassenbesuch ", "Ein Platz ist ", "Erinnerung: Ih"]


def test_in_the_scheduler_a_slot_runs_once(app, visit_fair, register):
    """The job records its run in the leading scheduler; the same slot fired again by a
    second scheduler is skipped."""
    event, (slot, _) = visit_fair(day=(now_utc() + timedelta(days=20)).date(),
                                  now=now_utc() - timedelta(hours=50))
    register(event, class_data(slot, 20), now=now_utc() - timedelta(hours=49))
    app.extensions[runs.LEADER_KEY] = runs.Leader(host="test-host", pid=4242,
                                                  started_at=datetime.now(UTC))
    try:
        assert jobs.class_visits_job(app) == 0
        assert jobs.class_visits_job(app) is None
    finally:
        app.extensions.pop(runs.LEADER_KEY, None)
    db.session.expire_all()
    assert db.session.get(VisitSlot, slot.id).pupils_taken == 0  # the old hold expired
