"""The teachers' pages: the event page's slots, registering classes (also refused input),
and everything through the link: confirm, change, move, cancel, the .ics; links that
are forged or expired lead to a clear page."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.time import now_utc
from app.visits import services as visits
from app.visits.models import ClassVisit, VisitRegistration, VisitSlot
from tests.conftest import municipality
from tests.visits.conftest import class_data, link_in, outbox, upcoming_day


@pytest.fixture
def fair(visit_fair):
    """A fair five weeks ahead with two slots of 50 and 30 pupils (the second with 1 bus
    bay), open for registration now."""
    return visit_fair(capacities=(50, 30), bus_bays=(None, 1), day=upcoming_day(),
                      now=now_utc())


def form_for(event, slot, **changes) -> dict:
    data = {
        "school_name": "Beispiel-Gesamtschule Neheim", "municipality_id":
        str(municipality("Arnsberg").id), "email": "stubo@gesamtschule.example",
        "classes-0-slot_id": str(slot.id), "classes-0-class_name": "9c",
        "classes-0-grade": "9", "classes-0-pupils": "27",
        "classes-0-teacher_name": "Herr Beispiel", "classes-0-phone": "0151 23456789",
        "consent": "y", "action": "register",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_event_page_shows_each_slots_free_places(client, fair, register):
    event, (first, second) = fair
    register(event, class_data(first, 20), now=now_utc())
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Klassenbesuche" in page
    assert "30 von 50 Plätzen frei" in page
    assert "30 von 30 Plätzen frei" in page
    assert "1 Busparkplatz frei" in page
    assert f'href="/events/{event.id}/classes"' in page


def test_a_fair_without_slots_shows_nothing_about_classes(client, make_event):
    event = make_event(day=upcoming_day())
    assert "Klassenbesuche" not in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert client.get(f"/events/{event.id}/classes").status_code == 404


def test_a_teacher_registers_two_classes_and_confirms_by_mail(client, fair):
    event, (first, second) = fair
    page = client.get(f"/events/{event.id}/classes")
    assert page.status_code == 200
    response = client.post(f"/events/{event.id}/classes", data=form_for(
        event, first, **{"classes-1-slot_id": str(second.id), "classes-1-grade": "10",
                         "classes-1-pupils": "22", "classes-1-teacher_name": "Frau Muster",
                         "classes-1-phone": "02932 98765", "classes-1-by_bus": "y"}))
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stubo@gesamtschule.example" in follow
    registration = db.session.execute(select(VisitRegistration)).scalar_one()
    assert [(visit.pupils, visit.by_bus) for visit in registration.classes] == [(27, False),
                                                                                (22, True)]
    [mail] = outbox("stubo@gesamtschule.example")
    token = link_in(mail)
    assert token not in follow  # only the mailbox proves the address

    page = client.get(f"/visits/r/{token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Anmeldung bestätigen" in page.get_data(as_text=True)
    confirmed = client.post(f"/visits/r/{token}/confirm")
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert registration.state == "confirmed"
    assert {visit.status for visit in registration.classes} == {"confirmed"}
    again = client.post(f"/visits/r/{token}/confirm", follow_redirects=True)
    assert "bereits bestätigt" in again.get_data(as_text=True)
    ics = client.get(f"/visits/r/{token}/visits.ics")
    assert ics.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert len(icalendar.Calendar.from_ical(ics.data).walk("VEVENT")) == 2


def test_adding_a_row_keeps_what_was_typed(client, fair):
    event, (first, _) = fair
    response = client.post(f"/events/{event.id}/classes",
                           data=form_for(event, first, action="add"))
    page = response.get_data(as_text=True)
    assert 'name="classes-1-pupils"' in page
    assert 'value="Beispiel-Gesamtschule Neheim"' in page
    assert count(VisitRegistration) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("classes-0-pupils", "0", "zwischen 1 und 200"),
    ("classes-0-pupils", "5000", "zwischen 1 und 200"),
    ("classes-0-pupils", "viele", "ganze Zahl"),
    ("classes-0-grade", "4", "zwischen 5 und 13"),
    ("classes-0-grade", "14", "zwischen 5 und 13"),
    ("classes-0-phone", "zwei-sieben-eins", "Telefonnummer"),
    ("municipality_id", "99999", "aus der Liste"),
    ("municipality_id", "Berlin", "aus der Liste"),
    ("email", "keine-adresse", "gültige E-Mail-Adresse"),
    ("classes-0-slot_id", "99999", "angebotenen Zeitfenster"),
    ("consent", None, "Bitte stimmen Sie zu"),
    ("school_name", "Schule\x00", "Steuerzeichen"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(client, fair, field,
                                                                   value, message):
    event, (first, _) = fair
    response = client.post(f"/events/{event.id}/classes",
                           data=form_for(event, first, **{field: value}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Herr Beispiel"' in page  # nothing typed is lost
    assert count(VisitRegistration) == 0 and count(ClassVisit) == 0
    assert outbox() == []


def test_a_full_slot_offers_the_others_and_the_waitlist(client, fair, register):
    event, (first, second) = fair
    register(event, class_data(second, 30), now=now_utc())
    response = client.post(f"/events/{event.id}/classes", data=form_for(
        event, second, **{"classes-0-pupils": "10"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "ist voll" in page and "Warteliste" in page
    assert "50 Plätze frei" in page  # the first slot, offered instead
    waiting = client.post(f"/events/{event.id}/classes", data=form_for(
        event, second, **{"classes-0-pupils": "10", "join_waitlist": "y"}))
    assert waiting.status_code == 303
    visit = db.session.execute(select(ClassVisit).where(ClassVisit.pupils == 10)).scalar_one()
    assert (visit.status, visit.waitlist_position) == ("waitlisted", 1)


@pytest.fixture
def confirmed(fair, register):
    event, (first, second) = fair
    registration, token = register(event, class_data(first, 25), now=now_utc(),
                                   email="lehrerin@schule.example", confirm=True)
    return event, first, second, registration, token


def test_the_teacher_moves_a_class_through_the_link(client, confirmed):
    event, first, second, registration, token = confirmed
    visit = registration.classes[0]
    response = client.post(f"/visits/r/{token}/classes/{visit.id}/move",
                           data={f"m{visit.id}-slot_id": str(second.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert visit.slot_id == second.id
    assert (db.session.get(VisitSlot, first.id).pupils_taken,
            db.session.get(VisitSlot, second.id).pupils_taken) == (0, 25)
    mail = outbox("lehrerin@schule.example")[-1]
    assert icalendar.Calendar.from_ical(mail.attachment).walk("VEVENT")[0]["SEQUENCE"] == 1


def test_a_move_into_a_full_slot_is_refused_and_says_why(client, confirmed, register):
    event, first, second, registration, token = confirmed
    register(event, class_data(second, 10), now=now_utc())
    visit = registration.classes[0]
    response = client.post(f"/visits/r/{token}/classes/{visit.id}/move",
                           data={f"m{visit.id}-slot_id": str(second.id)})
    assert response.status_code == 422
    assert "noch Platz für 20 Schülerinnen und Schüler" in response.get_data(as_text=True)
    db.session.expire_all()
    assert visit.slot_id == first.id


def test_the_teacher_changes_and_cancels(client, confirmed):
    event, first, second, registration, token = confirmed
    visit = registration.classes[0]
    data = {f"c{visit.id}-pupils": "60", f"c{visit.id}-teacher_name": "Frau Neu",
            f"c{visit.id}-phone": "0151 23456789", f"c{visit.id}-class_name": "9a"}
    too_many = client.post(f"/visits/r/{token}/classes/{visit.id}/change", data=data)
    assert too_many.status_code == 422
    assert "zwischen 1 und 200" not in too_many.get_data(as_text=True)
    assert "noch Platz für 25" in too_many.get_data(as_text=True)
    data[f"c{visit.id}-pupils"] = "30"
    assert client.post(f"/visits/r/{token}/classes/{visit.id}/change",
                       data=data).status_code == 303
    db.session.expire_all()
    assert (visit.pupils, visit.teacher_name) == (30, "Frau Neu")
    assert client.post(f"/visits/r/{token}/classes/{visit.id}/cancel").status_code == 303
    db.session.expire_all()
    assert visit.status == "cancelled"
    assert db.session.get(VisitSlot, first.id).pupils_taken == 0


def test_a_class_of_another_registration_is_not_found(client, confirmed, register):
    event, first, second, registration, token = confirmed
    other, _ = register(event, class_data(first, 5), now=now_utc(), confirm=True)
    assert client.post(f"/visits/r/{token}/classes/{other.classes[0].id}/cancel") \
        .status_code == 404
    db.session.expire_all()
    assert other.classes[0].status == "confirmed"


def test_forged_and_expired_links_lead_to_a_clear_page(client, fair, register):
    event, (first, _) = fair
    forged = client.get("/visits/r/" + "A" * 43)
    assert forged.status_code == 404
    assert "Dieser Link ist nicht gültig" in forged.get_data(as_text=True)
    assert client.post("/visits/r/" + "A" * 43 + "/confirm").status_code == 404
    registration, token = register(event, class_data(first, 5), now=now_utc())
    visits.expire_holds(now_utc() + timedelta(days=3))
    db.session.commit()
    expired = client.get(f"/visits/r/{token}")
    assert expired.status_code == 410
    assert "abgelaufen" in expired.get_data(as_text=True)
    assert client.post(f"/visits/r/{token}/confirm").status_code == 410
