"""Every scheduled job, registered in one place.

The scheduler runs in a process of its own (``flask --app wsgi scheduler``), never inside
``create_app``: every web worker would start one. A job is a thin function that opens an
app context and calls a service; its id is stable, because logs and the scheduler know a
job by it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app

from app.feeds import publish
from app.time import now_utc

logger = logging.getLogger(__name__)

# Every job: a run that was missed (the process was busy or asleep) runs once, late, if it
# is not older than the grace time; never two runs of one job at the same time.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 5 * 60}


@contextmanager
def single_instance(job_id: str) -> Iterator[bool]:
    """Whether this process may run ``job_id`` now, and the record of the run.

    In the leading scheduler process (``flask --app wsgi scheduler``) the run first claims
    its slot in ``job_runs`` (the unique job/slot pair: a slot never runs twice, even if
    two schedulers somehow fired it) and records its outcome. Called anywhere else (a
    test, a shell) the job simply runs, unrecorded.
    """
    from app.ops import runs

    leader = current_app.extensions.get(runs.LEADER_KEY)
    if leader is None:
        yield True
        return
    run_id = runs.claim(job_id, current_slot(job_by_id(job_id), current_app), leader)
    if run_id is None:
        logger.info("%s: this slot has run already; skipped", job_id)
        yield False
        return
    if not leader.leading:
        runs.finish(run_id, "skipped", "this scheduler is no longer the leader")
        yield False
        return
    try:
        yield True
    except Exception as error:
        runs.finish(run_id, "error", f"{type(error).__name__}: {error}")
        raise
    runs.finish(run_id, "ok")


def publish_feeds_job(app: Flask) -> publish.PublishReport | None:
    """Write the static feeds whose events changed; every feed at least hourly.

    Cheap when nothing changed: one validator query per feed, nothing built. The state
    lives in the app object of the scheduler process, so a new process (e.g. after a
    deploy) builds every feed once; files whose bytes did not change are not rewritten.
    """
    with app.app_context(), single_instance("publish-feeds") as allowed:
        if not allowed:
            return None
        state = app.extensions.setdefault("messekalender.publish_state", publish.PublishState())
        report = publish.publish_feeds(app.config["CALENDARS_DIR"], now_utc(), state)
        logger.info("publish-feeds: %d written, %d unchanged, %d skipped (no change)",
                    len(report.written), len(report.unchanged), len(report.skipped))
        return report


def booth_notifications_job(app: Flask) -> int | None:
    """Settle the bookings of cancelled fairs, queue the 7-day reminders and the final
    exhibitor lists that are due (each once: the services mark what they queued and the
    outbox refuses a second copy)."""
    from app.booths import scheduled
    from app.extensions import db

    with app.app_context(), single_instance("booth-notifications") as allowed:
        if not allowed:
            return None
        now = now_utc()
        queued = (scheduled.due_fair_cancellations(now) + scheduled.due_reminders(now)
                  + scheduled.due_final_lists(now))
        db.session.commit()
        logger.info("booth-notifications: %d messages queued", queued)
        return queued


def class_visits_job(app: Flask) -> int | None:
    """Free the places of unconfirmed class registrations whose hold ran out (the
    waitlists move up), settle the class visits of cancelled fairs and queue the
    reminders the organisers asked for (each once)."""
    from app.extensions import db
    from app.visits import jobs as visits

    with app.app_context(), single_instance("class-visits") as allowed:
        if not allowed:
            return None
        report = visits.run(now_utc())
        db.session.commit()
        logger.info("class-visits: %d holds expired, %d messages queued", report.expired,
                    report.queued)
        return report.queued


def booth_offers_job(app: Flask) -> int | None:
    """Allocate the lottery fairs whose registration closed, end the waitlist offers
    whose time ran out (each passes to the next company) and remind of offers that end
    soon. One commit per fair and per offer: no category stays locked longer."""
    from app.booths import services as booths
    from app.extensions import db

    with app.app_context(), single_instance("booth-offers") as allowed:
        if not allowed:
            return None
        now = now_utc()
        done = booths.due_allocations(now)
        db.session.commit()
        for booking_id in booths.due_offers(now):
            done += booths.expire_offer(booking_id, now)
            db.session.commit()
        done += booths.remind_offers(now)
        db.session.commit()
        logger.info("booth-offers: %d allocations, expiries and reminders", done)
        return done


def deliver_outbox_job(app: Flask) -> object | None:
    """Send the due e-mails of the outbox (SMTP_URL, else files in OUTBOX_DIR)."""
    from app.outbox.services import deliver_outbox

    with app.app_context(), single_instance("deliver-outbox") as allowed:
        if not allowed:
            return None
        report = deliver_outbox(now_utc())
        if report.sent or report.failed:
            logger.info("deliver-outbox: %d sent, %d failed", len(report.sent),
                        len(report.failed))
        return report


def scan_clashes_job(app: Flask) -> object | None:
    """Re-scan every event for date clashes; accepted clashes stay accepted until an
    event moves (see clashes.scan.scan_all). New clashes are announced by e-mail."""
    from app.clashes.notifications import scan_found
    from app.clashes.scan import scan_all
    from app.extensions import db

    with app.app_context(), single_instance("scan-clashes") as allowed:
        if not allowed:
            return None
        now = now_utc()
        report = scan_all(now)
        scan_found(now)  # the other organiser hears of a new clash by e-mail
        db.session.commit()
        logger.info("scan-clashes: %d open hard, %d open soft", report.open_hard,
                    report.open_soft)
        return report


def purge_personal_data_job(app: Flask) -> dict[str, int] | None:
    """Delete personal data past its retention period (see ``accounts.retention``)."""
    from app.accounts.retention import purge_expired
    from app.extensions import db
    from app.outbox.services import purge_sent

    with app.app_context(), single_instance("purge-personal-data") as allowed:
        if not allowed:
            return None
        now = now_utc()
        removed = purge_expired(now) | {"sent_mails": purge_sent(now)}
        db.session.commit()
        logger.info("purge-personal-data: %s", ", ".join(
            f"{count} {name}" for name, count in removed.items()))
        return removed


def change_notices_job(app: Flask) -> int | None:
    """Queue the immediate change notices (an event in the next 14 days cancelled or
    moved) and delete unconfirmed subscriptions whose link expired. Each notice once: its
    outbox key names the subscription and the entry of the event's history."""
    from app.extensions import db
    from app.notices import alerts, services

    with app.app_context(), single_instance("change-notices") as allowed:
        if not allowed:
            return None
        now = now_utc()
        forgotten = services.forget_unconfirmed(now)
        queued = alerts.send_alerts(now)
        db.session.commit()
        if queued or forgotten:
            logger.info("change-notices: %d notices queued, %d unconfirmed addresses deleted",
                        queued, forgotten)
        return queued


def notice_digest_job(app: Flask) -> object | None:
    """Queue the weekly digests of change notices (none where nothing changed); once a
    week per subscription, whoever runs it: the outbox key names the week."""
    from app.extensions import db
    from app.notices.digest import send_digests

    with app.app_context(), single_instance("notice-digest") as allowed:
        if not allowed:
            return None
        report = send_digests(now_utc())
        db.session.commit()
        logger.info("notice-digest: %d queued, %d without changes, %d queued before",
                    report.queued, report.quiet, report.already)
        return report


def feed_health_job(app: Flask) -> int | None:
    """Count the static feed fetches in nginx's feed log (FEED_ACCESS_LOG, format in
    deploy/README.md) and forget feed statistics past their retention."""
    from app.feeds import health

    with app.app_context(), single_instance("feed-health") as allowed:
        if not allowed:
            return None
        counted = health.run_job(app.config.get("FEED_ACCESS_LOG"), now_utc())
        logger.info("feed-health: %d static feed fetches counted", counted)
        return counted


@dataclass(frozen=True)
class Job:
    """One entry of the schedule: an APScheduler trigger and the function it runs."""

    id: str
    func: Callable[[Flask], object]
    trigger: str
    trigger_args: Mapping[str, int | str] = field(default_factory=dict)
    description: str = ""
    run_at_start: bool = False

    @property
    def schedule(self) -> str:
        every = ", ".join(f"{value} {name}" for name, value in self.trigger_args.items())
        return f"{self.trigger}: {every}" + (", and at start" if self.run_at_start else "")


JOBS: tuple[Job, ...] = (
    Job(
        id="publish-feeds",
        func=publish_feeds_job,
        trigger="interval",
        trigger_args={"minutes": 10},
        description="Write the static iCal feeds to CALENDARS_DIR where events changed",
        run_at_start=True,
    ),
    Job(
        id="booth-notifications",
        func=booth_notifications_job,
        trigger="interval",
        trigger_args={"minutes": 5},
        description=("Settle bookings of cancelled fairs; queue booth reminders (7 days "
                     "before) and final exhibitor lists"),
    ),
    Job(
        id="class-visits",
        func=class_visits_job,
        trigger="interval",
        trigger_args={"minutes": 5},
        description=("Free the places of unconfirmed class registrations; settle class "
                     "visits of cancelled fairs; queue class-visit reminders"),
    ),
    Job(
        id="booth-offers",
        func=booth_offers_job,
        trigger="interval",
        trigger_args={"minutes": 1},
        description=("Allocate lottery fairs at registration close; expire and remind "
                     "waitlist offers"),
    ),
    Job(
        id="deliver-outbox",
        func=deliver_outbox_job,
        trigger="interval",
        trigger_args={"minutes": 1},
        description="Send queued e-mails over SMTP_URL or write them to OUTBOX_DIR",
        run_at_start=True,
    ),
    Job(
        id="change-notices",
        func=change_notices_job,
        trigger="interval",
        trigger_args={"minutes": 1},
        description=("Queue change notices for cancelled or moved events of the next 14 "
                     "days; delete unconfirmed subscriptions"),
    ),
    Job(
        id="notice-digest",
        func=notice_digest_job,
        trigger="cron",
        trigger_args={"day_of_week": "mon", "hour": 6, "minute": 0},
        description="Weekly digest of change notices (Monday 06:00, only where something changed)",
    ),
    Job(
        id="scan-clashes",
        func=scan_clashes_job,
        trigger="cron",
        trigger_args={"hour": 3, "minute": 30},
        description="Nightly re-scan of all events for date clashes",
    ),
    Job(
        id="purge-personal-data",
        func=purge_personal_data_job,
        trigger="cron",
        trigger_args={"hour": 4, "minute": 15},
        description=("Delete login failures, audit entries, expired links, invitations, "
                     "company requests and sent mails past their retention period"),
    ),
    Job(
        id="feed-health",
        func=feed_health_job,
        trigger="interval",
        trigger_args={"minutes": 5},
        description=("Count static feed fetches in the nginx feed log; forget feed "
                     "statistics past their retention"),
    ),
)


# Interval triggers count from this instant, so every scheduler process fires the same
# slots (10:00, 10:10, …) and the job_runs claim recognises a slot fired twice.
INTERVAL_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CRON_LOOKBACK = timedelta(days=8)
TEST_INTERVAL_SETTING = "SCHEDULER_TEST_INTERVAL_SECONDS"


def job_by_id(job_id: str) -> Job:
    return next(job for job in JOBS if job.id == job_id)


def override_interval_seconds(app: Flask) -> float | None:
    """TEST ONLY: every job on this interval (seconds) instead of its schedule, so that
    the scheduler tests see several runs in a few seconds. Never set it in production."""
    value = app.config.get(TEST_INTERVAL_SETTING) or os.environ.get(TEST_INTERVAL_SETTING)
    return float(value) if value else None


def job_trigger(job: Job, app: Flask) -> BaseTrigger:
    """The APScheduler trigger of ``job`` (also used to show the next run times without a
    running scheduler)."""
    timezone = ZoneInfo(app.config["TIMEZONE"])
    if seconds := override_interval_seconds(app):
        return IntervalTrigger(seconds=seconds, start_date=INTERVAL_EPOCH, timezone=timezone)
    if job.trigger == "interval":
        return IntervalTrigger(**job.trigger_args, start_date=INTERVAL_EPOCH, timezone=timezone)
    return CronTrigger(**job.trigger_args, timezone=timezone)


def current_slot(job: Job, app: Flask, now: datetime | None = None) -> datetime:
    """The slot a run at ``now`` belongs to: the trigger's latest fire time at or before
    ``now`` (a run at start or a late run counts for the slot it stands in for)."""
    now = now or datetime.now(UTC)
    trigger = job_trigger(job, app)
    if isinstance(trigger, IntervalTrigger):
        start = trigger.start_date.astimezone(UTC)
        return start + trigger.interval * ((now - start) // trigger.interval)
    slot = None
    fire = trigger.get_next_fire_time(None, now - CRON_LOOKBACK)
    while fire is not None and fire <= now:
        slot = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    if slot is None:  # rarer than weekly: the run is its own slot
        return now.replace(microsecond=0)
    return slot.astimezone(UTC)


def next_run_time(job: Job, app: Flask, now: datetime | None = None) -> datetime | None:
    """When the schedule fires ``job`` next (what a running scheduler would do)."""
    now = now or datetime.now(UTC)
    fire = job_trigger(job, app).get_next_fire_time(None, now)
    return fire.astimezone(UTC) if fire else None


def build_scheduler(
    app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    """A scheduler (not started) with every job of ``JOBS``, each given ``app``."""
    scheduler = scheduler_class(timezone=ZoneInfo(app.config["TIMEZONE"]),
                                job_defaults=JOB_DEFAULTS)
    for job in JOBS:
        extra = {"next_run_time": datetime.now(UTC)} if job.run_at_start else {}
        scheduler.add_job(job.func, job_trigger(job, app), args=(app,), id=job.id,
                          name=job.description, replace_existing=True, **extra)
    return scheduler
