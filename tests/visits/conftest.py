"""Class-visit fixtures: a published fair of an organiser's organisation with its
registration window and slots, and a helper that registers classes as a teacher would.

Service tests use fixed dates (``FAIR_DAY``, ``NOW``) and pass ``now`` in; page tests
need a fair in the future of the real clock (``upcoming_day``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.accounts.models import User
from app.calendar.models import Event
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.time import local_to_utc, local_today
from app.visits import services as visits
from app.visits.models import VisitRegistration, VisitSlot
from tests.conftest import municipality

FAIR_DAY = date(2031, 9, 12)  # a Friday
NOW = datetime(2031, 8, 20, 10, 0, tzinfo=UTC)
SLOT_TIMES = ((time(8, 30), time(10, 0)), (time(10, 0), time(11, 30)))


def upcoming_day() -> date:
    """A Friday five to six weeks ahead of the real today (for the pages)."""
    day = local_today() + timedelta(days=35)
    return day + timedelta(days=(4 - day.weekday()) % 7)


@pytest.fixture
def organiser(make_user, make_organisation) -> User:
    organisation = make_organisation("Wirtschaftsförderung Arnsberg GmbH", "wfg")
    return make_user("messe@wf-arnsberg.example", "organiser", organisation=organisation)


@pytest.fixture
def visit_fair(make_event, organiser) -> Callable[..., tuple[Event, list[VisitSlot]]]:
    """``visit_fair(capacities=(50, 50), bus_bays=(None, None), day=FAIR_DAY, now=NOW)`` →
    a published fair in Arnsberg (08:00–16:00) open for class registrations since a day
    before ``now``, closing the day before the fair, with one slot per capacity."""

    def make(title: str = "Arnsberger Ausbildungsmesse", *, capacities=(50, 50),
             bus_bays=None, day: date = FAIR_DAY, now: datetime = NOW,
             reminder_days: int = 3, times=SLOT_TIMES, status: str = "published",
             instructions: str = "") -> tuple[Event, list[VisitSlot]]:
        event = make_event(title, organisation=organiser.organisation, town="Arnsberg",
                           venue="Kaiserhaus", day=day, start=time(8), end=time(16),
                           audiences=("pupils", "public"), status=status)
        visits.configure(event, organiser, visits.SetupData(
            opens_at=now - timedelta(days=1), closes_at=local_to_utc(
                day - timedelta(days=1), time(18)), reminder_days=reminder_days,
            instructions=instructions), now)
        bays = bus_bays or (None,) * len(capacities)
        slots = [visits.add_slot(event, organiser, visits.SlotData(
            starts_at=local_to_utc(day, times[index % len(times)][0]) + timedelta(
                hours=3 * (index // len(times))),
            ends_at=local_to_utc(day, times[index % len(times)][1]) + timedelta(
                hours=3 * (index // len(times))),
            capacity=capacity, bus_bays=bays[index]), now)
            for index, capacity in enumerate(capacities)]
        db.session.commit()
        return event, slots

    return make


def class_data(slot: VisitSlot, pupils: int = 25, *, grade: int = 9, by_bus: bool = False,
               class_name: str = "9b", phone: str = "02931 12345",
               teacher: str = "Frau Beispiel") -> visits.ClassData:
    return visits.ClassData(slot_id=slot.id, grade=grade, pupils=pupils, teacher_name=teacher,
                            phone=phone, by_bus=by_bus, class_name=class_name)


@pytest.fixture
def register() -> Callable[..., tuple[VisitRegistration, str]]:
    """Register and commit, as the page would: ``register(event, class_data(...), ...)``."""
    counter = iter(range(1, 100_000))

    def make(event: Event, *classes: visits.ClassData, email: str | None = None,
             school: str = "Beispiel-Realschule Arnsberg", town: str = "Arnsberg",
             join_waitlist: bool = False, language: str = "de", now: datetime = NOW,
             confirm: bool = False) -> tuple[VisitRegistration, str]:
        registration, token = visits.register(event, visits.RegistrationData(
            email=email or f"lehrkraft{next(counter)}@schule.example", school_name=school,
            municipality_id=municipality(town).id, classes=list(classes),
            join_waitlist=join_waitlist, language=language), now)
        if confirm:
            visits.confirm(registration, now)
        db.session.commit()
        return registration, token

    return make


def outbox(recipient: str | None = None) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.execute(query).scalars())


def link_in(message: OutboxMessage) -> str:
    """The registration link a mail carries (its token)."""
    line = next(line for line in message.body.splitlines() if "/visits/r/" in line)
    return line.strip().rsplit("/visits/r/", 1)[1]
