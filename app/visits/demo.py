"""Demo class visits for ``seed-demo``: two real fairs of the region that bring school
classes on their Friday get slots, with a few registrations of fictional schools.

From ``training_fairs_examples.csv``: the BerufsInfoBörse Meschede has school classes on
the Friday from 8 to 14 (about 1,000 pupils), the Arnsberger Ausbildungsmesse from 9 to 14
(about 900 pupils, by shuttle bus). The slots divide those hours and numbers evenly;
bus bays are left unlimited (the sources say nothing about them). Schools are "Beispiel …",
addresses end in ``.example`` and the phone numbers are from the range the Federal Network
Agency keeps free for films and books (030 23125 …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.reference.models import Municipality
from app.time import local_to_utc, to_local
from app.visits import services as visits


@dataclass(frozen=True)
class DemoFair:
    title: str
    opening: time
    slot_minutes: int
    slots: int
    pupils: int  # the Friday's pupils, as the CSV reports them


DEMO_FAIRS = [
    DemoFair("BerufsInfoBörse (BIB) Meschede", time(8), 90, 4, 1000),
    DemoFair("Arnsberger Ausbildungsmesse", time(9), 75, 4, 900),
]
# fair → [(school, town, [(slot number, class, grade, pupils, by bus)], confirmed)]
DEMO_SCHOOLS = {
    "BerufsInfoBörse (BIB) Meschede": [
        ("Beispiel-Realschule Meschede", "Meschede",
         [(0, "9a", 9, 27, False), (0, "9b", 9, 25, False)], True),
        ("Beispiel-Sekundarschule Bestwig", "Bestwig", [(1, "10", 10, 48, True)], True),
        ("Beispiel-Gesamtschule Sundern", "Sundern (Sauerland)", [(2, "8c", 8, 24, True)],
         False),
    ],
    "Arnsberger Ausbildungsmesse": [
        ("Beispiel-Gymnasium Arnsberg", "Arnsberg", [(0, "EF", 11, 60, False)], True),
        ("Beispiel-Hauptschule Neheim", "Arnsberg",
         [(1, "9", 9, 22, True), (3, "10", 10, 19, True)], True),
    ],
}


def seed_class_visits(actor: User, now: datetime) -> None:
    """Slots and registrations for the demo fairs, once per fair (idempotent)."""
    phones = iter(range(1, 1000))
    for demo in DEMO_FAIRS:
        event = db.session.execute(
            select(Event).where(Event.title == demo.title, Event.status == "published")
        ).scalars().first()
        if (event is None or visits.setup_of(event) is not None
                or event.starts_at - now < timedelta(days=10)):
            continue
        friday = to_local(event.starts_at).date()
        visits.configure(event, actor, visits.SetupData(
            opens_at=now - timedelta(days=1),
            closes_at=local_to_utc(friday - timedelta(days=3), time(18)), reminder_days=3,
            instructions="Bitte melden Sie sich bei Ankunft am Info-Stand im Eingang."), now)
        start = local_to_utc(friday, demo.opening)
        slots = [visits.add_slot(event, actor, visits.SlotData(
            starts_at=start + timedelta(minutes=demo.slot_minutes * index),
            ends_at=start + timedelta(minutes=demo.slot_minutes * (index + 1)),
            capacity=demo.pupils // demo.slots), now) for index in range(demo.slots)]
        for school, town, classes, confirmed in DEMO_SCHOOLS[demo.title]:
            municipality = db.session.execute(
                select(Municipality).where(Municipality.name == town)).scalar_one()
            registration, _token = visits.register(event, visits.RegistrationData(
                email=f"stubo{next(phones)}@schule.example", school_name=school,
                municipality_id=municipality.id, classes=[visits.ClassData(
                    slot_id=slots[slot].id, class_name=name, grade=grade, pupils=pupils,
                    by_bus=by_bus, teacher_name="Frau Beispiel" if index else "Herr Muster",
                    phone=f"030 23125 {next(phones):03d}")
                    for index, (slot, name, grade, pupils, by_bus) in enumerate(classes)]),
                now)
            if confirmed:
                visits.confirm(registration, now)
