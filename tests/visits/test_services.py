"""Class visits through the services: holding, confirming, the waitlist in order,
expiry, changes by teachers and organisers, and the rules that refuse bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.visits import services as visits
from app.visits.links import find_registration
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from tests.visits.conftest import NOW, class_data, link_in, outbox


def fresh(slot: VisitSlot) -> VisitSlot:
    db.session.expire_all()
    return db.session.get(VisitSlot, slot.id)


def test_a_registration_holds_places_and_mails_the_link_to_confirm(visit_fair, register):
    event, (first, second) = visit_fair()
    registration, token = register(event, class_data(first, 25),
                                   class_data(second, 20, by_bus=True, class_name="10a"),
                                   email="stubo@realschule.example")
    assert [visit.status for visit in registration.classes] == ["unconfirmed", "unconfirmed"]
    assert (fresh(first).pupils_taken, fresh(second).pupils_taken) == (25, 20)
    assert fresh(second).buses_taken == 1
    assert registration.hold_expires_at == NOW + timedelta(hours=48)
    [mail] = outbox("stubo@realschule.example")
    assert "Bitte bestätigen" in mail.subject
    assert "9b" in mail.body and "10a" in mail.body
    assert mail.attachment is None  # nothing to put in a calendar before confirmation
    assert link_in(mail) == token
    assert find_registration(token).id == registration.id
    assert find_registration(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert find_registration("../../etc/passwd") is None


def test_confirming_confirms_the_classes_and_sends_the_calendar_file(visit_fair, register):
    import icalendar

    event, (first, second) = visit_fair(instructions="Bushaltestelle Möhnestraße")
    registration, token = register(event, class_data(first, 25), class_data(second, 20),
                                   email="stubo@realschule.example", language="en")
    assert visits.confirm(registration, NOW + timedelta(hours=1)) is True
    db.session.commit()
    assert [visit.status for visit in registration.classes] == ["confirmed", "confirmed"]
    assert visits.confirm(registration, NOW + timedelta(hours=2)) is False  # used link
    received, confirmed = outbox("stubo@realschule.example")
    assert confirmed.subject.startswith("Class visit confirmed")
    assert "Bushaltestelle Möhnestraße" in confirmed.body
    assert link_in(confirmed) != token and find_registration(link_in(confirmed)) is not None
    calendar = icalendar.Calendar.from_ical(confirmed.attachment)
    entries = sorted(calendar.walk("VEVENT"), key=lambda entry: entry["DTSTART"].dt)
    assert [entry["DTSTART"].dt.strftime("%H:%M") for entry in entries] == ["08:30", "10:00"]
    assert str(entries[0]["DTSTART"].params["TZID"]) == "Europe/Berlin"
    assert entries[0]["UID"] == f"class-visit-{registration.classes[0].id}@" \
        "messekalender-suedwestfalen.de"
    assert "Kaiserhaus" in str(entries[0]["LOCATION"])


def test_a_full_slot_stores_nothing_unless_the_teacher_asks_for_the_waitlist(
        visit_fair, register):
    event, (first, second) = visit_fair(capacities=(30, 50))
    register(event, class_data(first, 25))
    with pytest.raises(visits.VisitError) as raised:
        register(event, class_data(second, 10), class_data(first, 6))
    db.session.rollback()
    assert raised.value.code == "full"
    assert raised.value.field == "classes-1-slot_id"
    assert "5" in raised.value.message  # room for only 5 more pupils
    assert db.session.execute(select(func.count()).select_from(VisitRegistration)) \
        .scalar_one() == 1
    assert fresh(second).pupils_taken == 0

    registration, _ = register(event, class_data(first, 6), join_waitlist=True)
    assert registration.classes[0].status == "waitlisted"
    assert registration.classes[0].waitlist_position == 1
    assert fresh(first).pupils_taken == 25


def test_the_waitlist_is_first_come_first_served(visit_fair, register):
    """A small class that would fit does not overtake the classes already waiting; a freed
    place goes to the head of the waitlist, and only while the head fits."""
    event, (slot, _) = visit_fair(capacities=(50, 50))
    holder, _ = register(event, class_data(slot, 40), confirm=True)
    big, _ = register(event, class_data(slot, 30), join_waitlist=True, confirm=True)
    small, _ = register(event, class_data(slot, 5), join_waitlist=True, confirm=True)
    assert small.classes[0].status == "waitlisted"  # 10 places free, but the queue is first
    assert [big.classes[0].waitlist_position, small.classes[0].waitlist_position] == [1, 2]

    visits.change_class(holder.classes[0], class_data(slot, 25), NOW)  # frees 15: too few
    db.session.commit()
    db.session.expire_all()
    assert big.classes[0].status == "waitlisted" and small.classes[0].status == "waitlisted"

    visits.cancel_class(holder.classes[0], NOW)
    db.session.commit()
    db.session.expire_all()
    assert big.classes[0].status == "confirmed" and small.classes[0].status == "confirmed"
    assert fresh(slot).pupils_taken == 35
    promoted = [mail for mail in outbox() if "Platz ist frei" in mail.subject]
    assert len(promoted) == 2


def test_bus_bays_are_counted(visit_fair, register):
    event, (slot, other) = visit_fair(capacities=(200, 200), bus_bays=(1, None))
    register(event, class_data(slot, 20, by_bus=True))
    with pytest.raises(visits.VisitError) as raised:
        register(event, class_data(slot, 20, by_bus=True))
    db.session.rollback()
    assert "Busparkplätze" in raised.value.message
    register(event, class_data(slot, 20, by_bus=False))
    register(event, class_data(other, 20, by_bus=True))
    assert (fresh(slot).buses_taken, fresh(slot).pupils_taken) == (1, 40)


def test_an_unconfirmed_hold_expires_and_frees_its_places(visit_fair, register):
    event, (slot, _) = visit_fair(capacities=(30, 30))
    held, token = register(event, class_data(slot, 25))
    waiting, _ = register(event, class_data(slot, 20), join_waitlist=True, confirm=True)
    later = NOW + timedelta(hours=48)
    assert visits.expire_holds(later - timedelta(seconds=1)) == 0
    assert visits.expire_holds(later) == 1
    db.session.commit()
    assert visits.expire_holds(later + timedelta(minutes=5)) == 0  # once only
    db.session.expire_all()
    assert held.state == "expired" and held.classes[0].status == "expired"
    assert waiting.classes[0].status == "confirmed"
    assert fresh(slot).pupils_taken == 20
    with pytest.raises(visits.VisitError) as raised:
        visits.confirm(find_registration(token), later)
    assert raised.value.code == "expired"


def test_confirming_in_the_last_second_keeps_the_places(visit_fair, register):
    event, (slot, _) = visit_fair()
    registration, _ = register(event, class_data(slot, 25))
    visits.confirm(registration, NOW + timedelta(hours=48) - timedelta(seconds=1))
    db.session.commit()
    assert visits.expire_holds(NOW + timedelta(days=3)) == 0
    assert fresh(slot).pupils_taken == 25


def test_the_teacher_changes_numbers_within_the_free_places(visit_fair, register):
    event, (slot, _) = visit_fair(capacities=(30, 30))
    registration, _ = register(event, class_data(slot, 25), confirm=True)
    visit = registration.classes[0]
    with pytest.raises(visits.VisitInvalid) as raised:
        visits.change_class(visit, class_data(slot, 31), NOW)
    db.session.rollback()
    assert raised.value.field == "pupils"
    visits.change_class(visit, class_data(slot, 30, phone="0171 2345678"), NOW)
    db.session.commit()
    assert fresh(slot).pupils_taken == 30
    assert visit.phone == "+49 171 2345678"
    assert outbox()[-1].subject.startswith("Klassenbesuch geändert")


def test_unconfirmed_registrations_cannot_be_changed(visit_fair, register):
    event, (slot, other) = visit_fair()
    registration, _ = register(event, class_data(slot, 25))
    with pytest.raises(visits.VisitError) as raised:
        visits.move_class(registration.classes[0], other, NOW)
    assert raised.value.code == "unconfirmed"


def test_the_teacher_moves_only_into_a_slot_with_room_and_no_queue(visit_fair, register):
    event, (first, second) = visit_fair(capacities=(50, 30))
    registration, _ = register(event, class_data(first, 25), confirm=True)
    register(event, class_data(second, 25), confirm=True)
    register(event, class_data(second, 10), join_waitlist=True, confirm=True)
    with pytest.raises(visits.VisitError):
        visits.move_class(registration.classes[0], second, NOW)
    db.session.rollback()
    event, (third, fourth) = visit_fair("Zweite Messe", capacities=(50, 50))
    other, _ = register(event, class_data(third, 25), confirm=True)
    visits.move_class(other.classes[0], fourth, NOW)
    db.session.commit()
    assert (fresh(third).pupils_taken, fresh(fourth).pupils_taken) == (0, 25)
    assert other.classes[0].sequence == 1


def test_the_organiser_moves_a_class_and_the_teacher_is_told(visit_fair, register, organiser):
    import icalendar

    event, (first, second) = visit_fair()
    registration, _ = register(event, class_data(first, 25), email="lehrer@schule.example",
                               confirm=True)
    visit = registration.classes[0]
    visits.move_class(visit, second, NOW, actor=organiser)
    db.session.commit()
    mail = outbox("lehrer@schule.example")[-1]
    assert "verschoben" in mail.subject
    assert "08:30–10:00" in mail.body  # the old slot is named
    entry = icalendar.Calendar.from_ical(mail.attachment).walk("VEVENT")[0]
    assert entry["DTSTART"].dt.strftime("%H:%M") == "10:00" and entry["SEQUENCE"] == 1
    assert find_registration(link_in(mail)).id == registration.id


def test_organisers_of_other_organisations_are_refused(visit_fair, register, make_user,
                                                       org_b):
    event, (first, second) = visit_fair()
    registration, _ = register(event, class_data(first, 25), confirm=True)
    stranger = make_user("fremd@hwk.example", "organiser", organisation=org_b)
    with pytest.raises(visits.VisitDenied):
        visits.move_class(registration.classes[0], second, NOW, actor=stranger)
    with pytest.raises(visits.VisitDenied):
        visits.add_slot(event, stranger, visits.SlotData(
            starts_at=first.starts_at, ends_at=first.ends_at + timedelta(hours=1),
            capacity=10), NOW)
    with pytest.raises(visits.VisitDenied):
        visits.close_registration(event, stranger, NOW)


def test_cancelling_frees_the_places(visit_fair, register):
    event, (slot, _) = visit_fair()
    registration, _ = register(event, class_data(slot, 25), confirm=True)
    visits.cancel_class(registration.classes[0], NOW)
    db.session.commit()
    assert registration.classes[0].status == "cancelled"
    assert fresh(slot).pupils_taken == 0
    with pytest.raises(visits.VisitError):
        visits.cancel_class(registration.classes[0], NOW)


@pytest.mark.parametrize(("change", "field"), [
    ({"pupils": 0}, "classes-0-pupils"),
    ({"pupils": 5000}, "classes-0-pupils"),
    ({"grade": 4}, "classes-0-grade"),
    ({"grade": 14}, "classes-0-grade"),
    ({"phone": "zwei-sieben-eins"}, "classes-0-phone"),
    ({"phone": "0800-FLOWERS"}, "classes-0-phone"),
    ({"phone": "12"}, "classes-0-phone"),
    ({"teacher_name": " "}, "classes-0-teacher_name"),
    ({"teacher_name": "Frau\x00Beispiel"}, "classes-0-teacher_name"),
])
def test_bad_classes_are_refused_and_nothing_is_stored(visit_fair, change, field):
    event, (slot, _) = visit_fair()
    data = class_data(slot)
    for name, value in change.items():
        setattr(data, name, value)
    with pytest.raises(visits.VisitInvalid) as raised:
        visits.register(event, visits.RegistrationData(
            email="a@schule.example", school_name="Schule", municipality_id=1,
            classes=[data]), NOW)
    db.session.rollback()
    assert raised.value.field == field
    assert db.session.execute(select(func.count()).select_from(ClassVisit)).scalar_one() == 0
    assert fresh(slot).pupils_taken == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"municipality_id": 99_999}, "municipality_id"),
    ({"municipality_id": -1}, "municipality_id"),
    ({"email": "keine-adresse"}, "email"),
    ({"school_name": ""}, "school_name"),
    ({"classes": []}, "classes"),
])
def test_bad_registrations_are_refused(visit_fair, change, field):
    event, (slot, _) = visit_fair()
    data = visits.RegistrationData(email="a@schule.example", school_name="Schule",
                                   municipality_id=1, classes=[class_data(slot)])
    for name, value in change.items():
        setattr(data, name, value)
    with pytest.raises(visits.VisitInvalid) as raised:
        visits.register(event, data, NOW)
    assert raised.value.field == field


def test_registration_only_while_the_window_is_open(visit_fair, register, organiser):
    event, (slot, _) = visit_fair()
    with pytest.raises(visits.VisitError) as raised:
        register(event, class_data(slot), now=NOW - timedelta(days=2))
    assert raised.value.code == "not_open_yet"
    db.session.rollback()
    visits.close_registration(event, organiser, NOW)
    db.session.commit()
    with pytest.raises(visits.VisitError) as raised:
        register(event, class_data(slot), now=NOW + timedelta(seconds=1))
    assert raised.value.code == "closed"


def test_a_slot_of_another_fair_is_refused(visit_fair, register):
    event, _ = visit_fair()
    _, (foreign, _) = visit_fair("Andere Messe")
    with pytest.raises(visits.VisitInvalid) as raised:
        register(event, class_data(foreign))
    assert raised.value.field == "classes-0-slot_id"


@pytest.mark.parametrize(("shift_start", "shift_end", "capacity", "bays", "field"), [
    (timedelta(hours=2), timedelta(hours=1), 50, None, "ends_at"),   # ends before it starts
    (timedelta(0), timedelta(0), 50, None, "ends_at"),                # ends as it starts
    (timedelta(hours=-1), timedelta(hours=1), 50, None, "starts_at"),  # before the fair
    (timedelta(hours=7), timedelta(hours=9), 50, None, "starts_at"),   # after the fair
    (timedelta(hours=1), timedelta(hours=2), 0, None, "capacity"),
    (timedelta(hours=1), timedelta(hours=2), 5001, None, "capacity"),
    (timedelta(hours=1), timedelta(hours=2), 50, -1, "bus_bays"),
    (timedelta(0), timedelta(hours=1, minutes=30), 50, None, "starts_at"),  # duplicate
])
def test_bad_slots_are_refused(visit_fair, organiser, shift_start, shift_end, capacity, bays,
                               field):
    event, (first, _) = visit_fair()  # the fair runs 08:00–16:00, the first slot 08:30–10:00
    with pytest.raises(visits.VisitInvalid) as raised:
        visits.add_slot(event, organiser, visits.SlotData(
            starts_at=first.starts_at + shift_start, ends_at=first.starts_at + shift_end,
            capacity=capacity, bus_bays=bays), NOW)
    assert raised.value.field == field
    db.session.rollback()
    assert len(visits.slots_of(event)) == 2


def test_changing_a_slot(visit_fair, register, organiser):
    event, (slot, _) = visit_fair(capacities=(30, 30))
    holder, _ = register(event, class_data(slot, 25), email="eins@schule.example",
                         confirm=True)
    waiting, _ = register(event, class_data(slot, 20), join_waitlist=True,
                          email="zwei@schule.example", confirm=True)
    data = visits.SlotData(starts_at=slot.starts_at, ends_at=slot.ends_at, capacity=24)
    with pytest.raises(visits.VisitInvalid) as raised:
        visits.update_slot(slot, organiser, data, NOW)
    assert raised.value.field == "capacity"
    db.session.rollback()
    data = visits.SlotData(starts_at=slot.starts_at - timedelta(minutes=30),
                           ends_at=slot.ends_at, capacity=45)
    visits.update_slot(fresh(slot), organiser, data, NOW)
    db.session.commit()
    db.session.expire_all()
    assert waiting.classes[0].status == "confirmed"  # the larger slot took the waitlist
    assert holder.classes[0].sequence == 1
    assert "Neue Uhrzeit" in outbox("eins@schule.example")[-1].subject
    assert "08:00–10:00" in outbox("eins@schule.example")[-1].body


def test_a_slot_with_classes_stays(visit_fair, register, organiser):
    event, (slot, empty) = visit_fair()
    register(event, class_data(slot))
    with pytest.raises(visits.VisitError):
        visits.delete_slot(slot, organiser)
    db.session.rollback()
    visits.delete_slot(empty, organiser)
    db.session.commit()
    assert [item.id for item in visits.slots_of(event)] == [slot.id]


def test_setup_rules(visit_fair, organiser):
    event, _ = visit_fair()
    for data, field in [
        (visits.SetupData(opens_at=NOW, closes_at=NOW), "closes_at"),
        (visits.SetupData(opens_at=NOW, closes_at=event.starts_at + timedelta(hours=1)),
         "closes_at"),
        (visits.SetupData(opens_at=NOW, closes_at=NOW + timedelta(days=1), reminder_days=15),
         "reminder_days"),
        (visits.SetupData(opens_at=NOW, closes_at=NOW + timedelta(days=1),
                          instructions="x" * 2001), "instructions"),
    ]:
        with pytest.raises(visits.VisitInvalid) as raised:
            visits.configure(event, organiser, data, NOW)
        assert raised.value.field == field


def test_cancelling_the_fair_tells_the_teachers_at_once(visit_fair, register, organiser):
    from app.planning import operations

    event, (slot, _) = visit_fair()
    register(event, class_data(slot, 25), email="sofort@schule.example", confirm=True)
    operations.cancel_event(event, organiser, now=NOW, reason="Die Halle ist gesperrt.")
    db.session.commit()
    mail = outbox("sofort@schule.example")[-1]
    assert mail.subject.startswith("Messe abgesagt")
    assert "Die Halle ist gesperrt." in mail.body
    assert fresh(slot).pupils_taken == 0
