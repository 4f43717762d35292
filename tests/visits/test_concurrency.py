"""The class-visit invariants under concurrent requests (on SQLite and PostgreSQL,
whichever the suite runs on): 300 class registrations released at the same moment for
four slots with 200 places in all — no slot over its pupils or bus bays, each waitlist
numbered 1..n in the order the registrations were accepted, nobody overtaking the queue;
and the hold-expiry job racing itself and the teachers who confirm."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.visits import services as visits
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from tests.booths.test_booking_concurrency import race
from tests.conftest import municipality
from tests.visits.conftest import NOW

REGISTRATIONS = 300
CAPACITIES = (50, 50, 50, 50)  # 200 places in all
BUS_BAYS = (3, None, 3, None)


def class_of(number: int, slot_ids: list[int]) -> visits.ClassData:
    """Classes of 1, 2 or 3 pupils (600 asked for 200 places), every 7th by bus."""
    return visits.ClassData(slot_id=slot_ids[number % len(slot_ids)], grade=5 + number % 9,
                            pupils=1 + number % 3, teacher_name=f"Lehrkraft {number}",
                            phone="0271 12345", by_bus=number % 7 == 0,
                            class_name=f"{number}")


def test_300_registrations_at_once_never_overfill_a_slot(app, visit_fair):
    event, slots = visit_fair(capacities=CAPACITIES, bus_bays=BUS_BAYS)
    slot_ids = [slot.id for slot in slots]
    event_id, town_id = event.id, municipality("Arnsberg").id
    db.session.commit()

    def register(number: int):
        registration, _token = visits.register(
            db.session.get(type(event), event_id), visits.RegistrationData(
                email=f"lehrkraft{number}@schule.example", school_name=f"Schule {number}",
                municipality_id=town_id, classes=[class_of(number, slot_ids)],
                join_waitlist=True), NOW)
        visit = registration.classes[0]
        return visit.id, visit.status

    results, errors = race(app, [(number,) for number in range(REGISTRATIONS)], register)
    assert errors == []
    assert len(results) == REGISTRATIONS

    db.session.expire_all()
    held_in_all = 0
    for slot_id in slot_ids:
        slot = db.session.get(VisitSlot, slot_id)
        classes = db.session.execute(
            select(ClassVisit).where(ClassVisit.slot_id == slot_id).order_by(ClassVisit.id)
        ).scalars().all()
        held = [visit for visit in classes if visit.status == "unconfirmed"]
        waiting = [visit for visit in classes if visit.status == "waitlisted"]
        assert len(held) + len(waiting) == len(classes) == REGISTRATIONS // len(slot_ids)
        # The counters are the truth and within the slot's room.
        assert slot.pupils_taken == sum(visit.pupils for visit in held) <= slot.capacity
        assert slot.buses_taken == sum(visit.by_bus for visit in held)
        assert slot.bus_bays is None or slot.buses_taken <= slot.bus_bays
        # The waitlist: 1..n by arrival, and nobody got places after the queue began.
        assert [visit.waitlist_position for visit in waiting] == list(
            range(1, len(waiting) + 1))
        assert waiting and max(visit.id for visit in held) < waiting[0].id
        # The queue began because its first class did not fit.
        assert not slot.fits(waiting[0].pupils, waiting[0].by_bus)
        if slot.bus_bays is None:  # only pupils count: at most 2 places stay empty
            assert slot.capacity - slot.pupils_taken <= 2
        held_in_all += slot.pupils_taken
    assert held_in_all <= sum(CAPACITIES)


def test_expiry_races_itself_and_the_confirmations(app, visit_fair, register):
    """Two expiry runs and the teachers confirming, all at once just after the holds ran
    out: each registration either expired or was confirmed (never both), the freed places
    went to the waitlist once, and the counters match the classes."""
    event, (slot, _) = visit_fair(capacities=(60, 60))
    held = [register(event, visits.ClassData(
        slot_id=slot.id, grade=9, pupils=10, teacher_name="Frau A", phone="0271 12345"))
        for _ in range(6)]
    waiting = [register(event, visits.ClassData(
        slot_id=slot.id, grade=9, pupils=10, teacher_name="Frau B", phone="0271 12345"),
        join_waitlist=True, now=NOW + timedelta(hours=1), confirm=True) for _ in range(4)]
    later = NOW + timedelta(hours=48)
    jobs = [("expire", 0), ("expire", 0)] + [("confirm", registration.id)
                                              for registration, _ in held[:3]]
    slot_id = slot.id
    db.session.commit()

    def act(kind: str, registration_id: int):
        if kind == "expire":
            return ("expired", visits.expire_holds(later))
        registration = db.session.get(VisitRegistration, registration_id)
        try:
            return ("confirmed", visits.confirm(registration, later - timedelta(seconds=1)))
        except visits.VisitError as error:
            return ("refused", error.code)

    results, errors = race(app, jobs, act)
    assert errors == []
    db.session.expire_all()
    registrations = [db.session.get(VisitRegistration, registration.id)
                     for registration, _ in held + waiting]
    assert not any(item.confirmed_at and item.expired_at for item in registrations)
    expired = sum(count for kind, count in results if kind == "expired")
    confirmed = sum(1 for kind, value in results if kind == "confirmed" and value is True)
    refused = [value for kind, value in results if kind == "refused"]
    # Each of the six holds ended exactly once: confirmed in time or expired.
    assert expired == sum(1 for item in registrations[:6] if item.expired_at is not None)
    assert confirmed == sum(1 for item in registrations[:6] if item.confirmed_at is not None)
    assert expired + confirmed == 6
    assert refused == ["expired"] * (3 - confirmed)
    slot = db.session.get(VisitSlot, slot_id)
    classes = db.session.execute(select(ClassVisit).where(ClassVisit.slot_id == slot_id)
                                 ).scalars().all()
    holding = [visit for visit in classes if visit.holds_place]
    assert slot.pupils_taken == sum(visit.pupils for visit in holding) <= slot.capacity
    positions = sorted(visit.waitlist_position for visit in classes
                       if visit.status == "waitlisted")
    assert positions == list(range(1, len(positions) + 1))
    # Every place freed by an expiry went to a waiting class (4 waited, 10 pupils each).
    assert len(holding) == confirmed + min(4, expired)
    assert {visit.status for visit in holding} == {"confirmed"}
