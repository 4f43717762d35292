"""The weekly digest: new, changed and cancelled events of each selection since the last
digest, in the subscriber's language, with one-click unsubscribe; no mail when nothing
changed; once per week and subscription, also when two runs overlap."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import create_app, jobs
from app.extensions import db
from app.notices.digest import send_digests, week_key
from app.notices.models import NoticeSubscription
from app.ops import runs
from app.outbox.services import build_email
from tests.conftest import utc
from tests.notices.conftest import (
    LAST_MONDAY,
    MONDAY,
    cancel,
    mails,
    mails_to,
    move,
    unsubscribe_link,
)

WEDNESDAY = LAST_MONDAY + timedelta(days=2)
THURSDAY = LAST_MONDAY + timedelta(days=3)
FRIDAY = LAST_MONDAY + timedelta(days=4)
OE9, SI, HOLZ, ALL = ("oe9@schule.example", "si@school.example", "holz@schule.example",
                      "alles@schule.example")


@pytest.fixture
def week(publish, subscribed):
    """Last week in Kreis Olpe and Siegen, and four subscriptions."""
    for email, query, language in ((OE9, "district=OE&grade=9", "de"), (SI, "district=SI", "en"),
                                   (HOLZ, "industry=HOLZ", "de"), (ALL, "", "de")):
        subscribed(email, query, language=language)
    new = publish("Messe neu", date(2027, 3, 20), at=WEDNESDAY, grade_from=8, grade_to=10)
    moved = publish("Messe verlegt", date(2027, 3, 12))
    move(moved, day=date(2027, 3, 19), at=THURSDAY)
    cancelled = publish("Messe abgesagt", date(2027, 4, 2))
    cancel(cancelled, at=FRIDAY, reason="Die Halle wird saniert.")
    publish("Messe unverändert", date(2027, 3, 25))
    publish("Messe Siegen", date(2027, 3, 21), at=WEDNESDAY, town="Siegen",
            venue="Siegerlandhalle")
    publish("Messe vorbei", date(2027, 2, 26), at=WEDNESDAY)
    brief = publish("Messe kurz", date(2027, 3, 27), at=WEDNESDAY)
    cancel(brief, at=THURSDAY)
    details = publish("Messe Beschreibung", date(2027, 3, 26))
    move(details, at=THURSDAY, description="Mit Bewerbungsmappen-Check.")
    publish("Messe Oberstufe", date(2027, 3, 22), at=WEDNESDAY, grade_from=11, grade_to=13)
    return {"new": new, "moved": moved, "cancelled": cancelled}


def digest_of(email: str):
    (mail,) = mails_to(email, "digest")
    return mail


def titles(body: str) -> list[str]:
    return [line[2:].split(" — ")[0] for line in body.splitlines() if line.startswith("* ")]


def test_each_subscriber_gets_the_changes_of_their_selection(week):
    report = send_digests(MONDAY)
    db.session.commit()
    assert (report.queued, report.quiet, report.already) == (3, 1, 0)
    assert mails_to(HOLZ, "digest") == []  # nothing in the selection changed: no mail

    mail = digest_of(OE9)
    assert mail.subject == "Messekalender Südwestfalen: 4 Änderungen in Ihrer Auswahl diese Woche"
    body = mail.body
    assert "  Kreis Olpe · Klasse 9" in body
    assert titles(body) == ["Messe neu", "Messe verlegt", "Messe Beschreibung", "Messe abgesagt"]
    new, changed, cancelled = (body.index(h) for h in ("Neue Termine (1)",
                                                       "Geänderte Termine (2)",
                                                       "Abgesagte Termine (1)"))
    assert new < body.index("* Messe neu") < changed < cancelled
    assert "* Messe verlegt — geändert: Datum und Uhrzeit" in body
    assert "Freitag, 19. März 2027, 09:00–14:00 Uhr" in body
    assert "* Messe Beschreibung — geändert: Einzelheiten" in body
    assert "Grund: Die Halle wird saniert." in body
    assert f"http://localhost/events/{week['new'].id}" in body
    for absent in ("Messe Siegen", "Messe unverändert", "Messe vorbei", "Messe kurz",
                   "Messe Oberstufe"):
        assert absent not in body

    english = digest_of(SI)
    assert english.language == "en"
    assert english.subject == ("Messekalender Südwestfalen: 1 change in your selection this "
                               "week")
    assert titles(english.body) == ["Messe Siegen"]
    assert "Sunday, 21 March 2027" in english.body and "New events (1)" in english.body

    # New, changed, cancelled; by date within each.
    assert titles(digest_of(ALL).body) == [
        "Messe neu", "Messe Siegen", "Messe Oberstufe", "Messe verlegt",
        "Messe Beschreibung", "Messe abgesagt"]


def test_every_digest_has_a_working_one_click_unsubscribe(client, week):
    send_digests(MONDAY)
    db.session.commit()
    mail = digest_of(OE9)
    email = build_email(mail)
    assert email["To"] == OE9 and email["Content-Language"] == "de"
    path = unsubscribe_link(mail)
    assert client.post(path).status_code == 200
    assert OE9 not in db.session.execute(select(NoticeSubscription.email)).scalars().all()
    assert mails_to(OE9, "digest") == []  # its mails went with the address


def test_a_second_run_in_the_week_sends_nothing_and_next_week_starts_where_it_ended(week):
    send_digests(MONDAY)
    db.session.commit()
    before = len(mails())
    again = send_digests(MONDAY + timedelta(hours=2))
    db.session.commit()
    assert again.queued == 0 and len(mails()) == before
    # Next week: only what changed since this Monday.
    move(week["new"], at=MONDAY + timedelta(days=2), title="Messe neu (mit Eltern)")
    following = send_digests(MONDAY + timedelta(days=7))
    db.session.commit()
    assert following.queued == 2  # OE9 and ALL; SI's and HOLZ's selections are quiet
    (second,) = [m for m in mails_to(OE9, "digest") if week_key(MONDAY) not in m.key]
    assert titles(second.body) == ["Messe neu (mit Eltern)"]
    assert "geändert: Titel" in second.body


def test_a_subscription_confirmed_mid_week_gets_only_what_came_after(week, subscribed):
    subscribed("neu@schule.example", "", at=THURSDAY + timedelta(hours=12))
    send_digests(MONDAY)
    db.session.commit()
    assert titles(digest_of("neu@schule.example").body) == ["Messe abgesagt"]


def test_two_runs_at_once_queue_one_digest_per_subscription(week, test_config):
    """A second run starts while the first has queued its digests but not committed: it
    waits (SQLite's write lock, PostgreSQL's unique key) and queues nothing more."""
    first_queued, second_started = threading.Event(), threading.Event()
    reports, errors = {}, []

    # One app, made here, for both runs (each with its own context and session): two apps
    # built and compiling their templates in two threads at once can trip CPython 3.11's
    # AST recursion check ("recursion depth mismatch").
    worker = create_app(test_config)

    def run(name: str) -> None:
        with worker.app_context():
            try:
                if name == "second":
                    first_queued.wait(timeout=30)
                    second_started.set()
                reports[name] = send_digests(MONDAY)
                if name == "first":
                    first_queued.set()
                    second_started.wait(timeout=30)
                    time.sleep(0.5)  # the second run is under way and must wait
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Closed once both runs are over: disposing while the other run still holds a
    # connection would orphan it, and the interpreter would later warn about it.
    with worker.app_context():
        db.engine.dispose()
    assert not errors
    assert reports["first"].queued == 3 and reports["second"].queued == 0
    if db.engine.dialect.name == "sqlite":  # it waited for the write lock, then saw it done
        assert (reports["second"].quiet, reports["second"].already) == (4, 0)
    else:  # it built the mails alongside; the outbox's unique keys kept them out
        assert (reports["second"].quiet, reports["second"].already) == (1, 3)
    digests = [mail.recipient for mail in mails() if ":digest:" in mail.key]
    assert sorted(digests) == sorted([OE9, SI, ALL])


def test_the_scheduled_job_runs_once_per_slot_even_from_two_schedulers(app, week):
    leader = runs.Leader(host="test-host", pid=4242, started_at=MONDAY)
    other = runs.Leader(host="other-host", pid=4343, started_at=MONDAY)
    job = jobs.job_by_id("notice-digest")
    assert job.trigger == "cron" and job.trigger_args["day_of_week"] == "mon"
    try:
        app.extensions[runs.LEADER_KEY] = leader
        first = jobs.notice_digest_job(app)
        app.extensions[runs.LEADER_KEY] = other  # a second scheduler fires the same slot
        second = jobs.notice_digest_job(app)
    finally:
        app.extensions.pop(runs.LEADER_KEY, None)
    assert first is not None and second is None


def test_the_week_key_follows_berlin_time():
    assert week_key(utc(2027, 3, 1, 5)) == "2027-W09"
    assert week_key(utc(2027, 2, 28, 23, 30)) == "2027-W09"  # already Monday in Berlin
    assert week_key(utc(2027, 3, 28, 0, 30)) == "2027-W12"  # the clock-change Sunday


def test_descriptions_put_together_say_what_describe_says(app):
    """The digest words each part of a selection once and joins them; the result must be
    the one ``describe`` gives for the whole selection."""
    from app.calendar.filters import EventFilter
    from app.notices.mails import Descriptions, describe
    from app.reference.models import Occupation

    occupation = db.session.execute(select(Occupation.id).order_by(Occupation.id)).scalar()
    descriptions = Descriptions()
    for event_filter in (EventFilter(), EventFilter(districts=("SI", "OE"), grades=(9, 10)),
                         EventFilter(industries=("HOLZ", "AUTO"), audiences=("parents",),
                                     types=("open_day",), occupations=(occupation,)),
                         EventFilter(grades=(5, 7, 8), audiences=("pupils", "teachers"))):
        for language in ("de", "en"):
            assert descriptions.of(event_filter, language) == describe(event_filter, language)
