"""seed-demo gives two real fairs of the region slots for school classes, with a few
registrations of fictional schools; seeding twice adds nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.accounts.services import find_user
from app.calendar.models import Event
from app.demo import seed_demo
from app.extensions import db
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from tests.conftest import login

TODAY = date(2031, 1, 15)  # the fairs' next editions: May and September 2031


def counts() -> list[int]:
    return [db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (VisitSlot, VisitRegistration, ClassVisit)]


def test_two_real_fairs_take_classes_and_seeding_twice_adds_nothing(app, client):
    seed_demo(TODAY)
    db.session.commit()
    titles = set(db.session.execute(
        select(Event.title).join(VisitSlot, VisitSlot.event_id == Event.id)).scalars())
    assert titles == {"BerufsInfoBörse (BIB) Meschede", "Arnsberger Ausbildungsmesse"}
    totals = counts()
    assert totals[0] == 8 and totals[1] >= 4
    assert {status for status in db.session.execute(select(ClassVisit.status)).scalars()} \
        == {"confirmed", "unconfirmed"}
    schools = db.session.execute(select(VisitRegistration.school_name)).scalars().all()
    assert all(school.startswith("Beispiel-") for school in schools)
    seed_demo(TODAY)
    db.session.commit()
    assert counts() == totals

    meschede = db.session.execute(select(Event).where(
        Event.title == "BerufsInfoBörse (BIB) Meschede")).scalar_one()
    page = client.get(f"/events/{meschede.id}").text
    assert "198 von 250 Plätzen frei" in page  # two classes of 27 and 25 pupils
    login(client, find_user("admin@messekalender.example"))
    plan = client.get(f"/manage/events/{meschede.id}/visits/plan").text
    assert "Beispiel-Realschule Meschede" in plan
