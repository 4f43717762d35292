"""Immediate notices: an event of the selection in the next 14 days is cancelled or moves
(date, time or place) — one mail per subscriber and change, at the next run; nothing for
other changes, far-off events, events nobody saw, or subscribers who came later."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app import jobs
from app.extensions import db
from app.notices import alerts
from app.notices.alerts import SETTLE, send_alerts
from tests.conftest import utc
from tests.notices.conftest import cancel, mails, mails_to, move, unsubscribe_link

NOW = utc(2027, 3, 3, 10)  # Wednesday 3 March 2027, 11:00 in Berlin
LATER = NOW + SETTLE + timedelta(minutes=1)
OE, ALL, SI = "oe@schule.example", "alle@school.example", "si@schule.example"


@pytest.fixture
def soon(publish, subscribed):
    """Events 5, 10, 20 and 30 days ahead in Olpe; three subscriptions; the notices have
    read the history up to now."""
    events = {
        "in5": publish("Messe in 5 Tagen", date(2027, 3, 8)),
        "in10": publish("Messe in 10 Tagen", date(2027, 3, 13)),
        "in20": publish("Messe in 20 Tagen", date(2027, 3, 23)),
        "in30": publish("Messe in 30 Tagen", date(2027, 4, 2)),
    }
    subscribed(OE, "district=OE&grade=9", at=NOW - timedelta(days=7))
    subscribed(ALL, "", at=NOW - timedelta(days=7), language="en")
    subscribed(SI, "district=SI", at=NOW - timedelta(days=7))
    assert send_alerts(NOW - timedelta(hours=1)) == 0  # the first run starts from the present
    db.session.commit()
    return events


def run(at=LATER) -> int:
    queued = send_alerts(at)
    db.session.commit()
    return queued


def test_a_cancellation_in_the_next_14_days_is_told_at_once(soon, client):
    cancel(soon["in5"], at=NOW, reason="Sturmwarnung")
    assert run() == 2  # OE and ALL; not SI
    (mail,) = mails_to(OE, "alert")
    assert mail.subject == "Abgesagt: Messe in 5 Tagen"
    assert "ein Termin Ihrer Auswahl wurde abgesagt:" in mail.body
    assert "Montag, 8. März 2027, 09:00–14:00 Uhr" in mail.body
    assert "Grund: Sturmwarnung" in mail.body
    assert "Ihre Auswahl: Kreis Olpe · Klasse 9" in mail.body
    (english,) = mails_to(ALL, "alert")
    assert english.subject == "Cancelled: Messe in 5 Tagen" and "Reason: Sturmwarnung" in \
        english.body
    assert mails_to(SI, "alert") == []
    assert run(LATER + timedelta(minutes=1)) == 0  # once
    assert client.post(unsubscribe_link(mail)).status_code == 200


def test_a_move_says_the_new_and_the_old_date(soon):
    move(soon["in10"], at=NOW, day=date(2027, 3, 12), start=time(8, 30))
    assert run() == 2
    (mail,) = mails_to(OE, "alert")
    assert mail.subject == "Verlegt: Messe in 10 Tagen"
    assert "Neu: Freitag, 12. März 2027, 08:30–14:00 Uhr" in mail.body
    assert "Bisher: Samstag, 13. März 2027, 09:00–14:00 Uhr" in mail.body


def test_a_new_place_is_a_move_too(soon):
    move(soon["in5"], at=NOW, venue=("Attendorn", "Stadthalle Attendorn"))
    assert run() == 2
    body = mails_to(OE, "alert")[0].body
    assert "Neuer Ort: Stadthalle Attendorn, Attendorn" in body
    assert "Bisher: Stadthalle Olpe, Olpe" in body


@pytest.mark.parametrize(("key", "change", "told"), [
    ("in20", {"day": date(2027, 3, 10)}, True),  # moved into the next 14 days
    ("in10", {"day": date(2027, 4, 20)}, True),  # moved away from them: still news
    ("in30", {"day": date(2027, 4, 9)}, False),  # far off before and after: the digest
    ("in5", {"title": "Messe in 5 Tagen (neuer Titel)"}, False),  # not a move
    ("in5", {"description": "Mit Speed-Dating"}, False),
])
def test_only_moves_touching_the_next_14_days_are_told_at_once(soon, key, change, told):
    move(soon[key], at=NOW, **change)
    assert bool(run()) is told


def test_a_cancellation_beyond_14_days_waits_for_the_digest(soon):
    cancel(soon["in20"], at=NOW)
    assert run() == 0


def test_subscribers_who_came_after_the_change_are_not_told(soon, subscribed):
    cancel(soon["in5"], at=NOW)
    subscribed("spaet@schule.example", "", at=NOW + timedelta(minutes=2))
    run()
    assert mails_to("spaet@schule.example", "alert") == []


def test_an_event_nobody_saw_is_no_news(soon, make_event):
    planned = make_event("Reservierter Termin", town="Olpe", venue="Kreishaus",
                         day=date(2027, 3, 9), status="planned")
    from app.planning import operations

    operations.cancel_event(planned, None, now=NOW)
    db.session.commit()
    assert run() == 0


def test_a_young_change_is_read_again_and_told_once(soon):
    cancel(soon["in5"], at=NOW)
    assert run(NOW + timedelta(minutes=1)) == 2  # told at once …
    progress = db.session.get(alerts.NoticeProgress, 1)
    assert progress.last_change_id < max(m.id for m in [soon["in5"].changes[-1]])
    assert run(NOW + timedelta(minutes=2)) == 0  # … read again while young, not told again
    assert run(LATER) == 0
    db.session.refresh(progress)
    assert progress.last_change_id == soon["in5"].changes[-1].id


def test_a_change_found_a_day_late_is_no_longer_news(soon):
    cancel(soon["in5"], at=NOW)
    assert run(NOW + timedelta(days=1, minutes=1)) == 0
    assert len([m for m in mails() if ":alert:" in m.key]) == 0


def test_the_job_also_deletes_expired_unconfirmed_addresses(app, soon):
    from app.calendar.filters import EventFilter
    from app.notices import services
    from app.time import now_utc

    three_days_ago = now_utc() - timedelta(days=3)  # the job runs on the real clock
    services.subscribe("vergessen@schule.example", EventFilter(), "de", three_days_ago)
    db.session.commit()
    assert jobs.job_by_id("change-notices").trigger_args == {"minutes": 1}
    jobs.change_notices_job(app)
    assert all(m.recipient != "vergessen@schule.example" for m in mails())
