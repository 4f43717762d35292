"""The organisers' class-visit pages: window, slots (also on the clock-change weekends),
the visitor plan with moves and cancellations, its exports and print page, and who may
see them."""

from __future__ import annotations

import csv
import io
from datetime import date, time, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.time import now_utc, to_local
from app.visits.models import ClassVisit, VisitSetup, VisitSlot
from tests.conftest import login
from tests.visits.conftest import class_data, outbox, upcoming_day

DST_STARTS = date(2031, 3, 30)  # clocks go forward at 02:00
DST_ENDS = date(2031, 10, 26)  # clocks go back at 03:00


@pytest.fixture
def fair(visit_fair):
    return visit_fair(capacities=(50, 30), day=upcoming_day(), now=now_utc())


@pytest.fixture
def signed_in(client, organiser):
    login(client, organiser)
    return client


def slot_count() -> int:
    return db.session.execute(select(func.count()).select_from(VisitSlot)).scalar_one()


def test_the_organiser_sets_the_window_and_the_reminder(signed_in, make_event, organiser):
    event = make_event(organisation=organiser.organisation, day=upcoming_day())
    assert "noch keine Schulklassen" in signed_in.get(
        f"/manage/events/{event.id}/visits").get_data(as_text=True)
    day = to_local(event.starts_at).date()
    response = signed_in.post(f"/manage/events/{event.id}/visits/setup", data={
        "opens_day": (day - timedelta(days=30)).isoformat(), "opens_time": "08:00",
        "closes_day": day.isoformat(), "closes_time": "12:00", "reminder_days": "5"})
    assert response.status_code == 422
    assert "vor Beginn der Messe" in response.get_data(as_text=True)
    assert db.session.get(VisitSetup, event.id) is None
    response = signed_in.post(f"/manage/events/{event.id}/visits/setup", data={
        "opens_day": (day - timedelta(days=30)).isoformat(), "opens_time": "08:00",
        "closes_day": (day - timedelta(days=2)).isoformat(), "closes_time": "18:00",
        "reminder_days": "5", "instructions": "Busse halten an der Möhnestraße."})
    assert response.status_code == 302
    setup = db.session.get(VisitSetup, event.id)
    assert (setup.reminder_days, setup.instructions) == (5, "Busse halten an der Möhnestraße.")


@pytest.mark.parametrize(("data", "message"), [
    ({"starts": "10:00", "ends": "09:00"}, "nach seinem Beginn enden"),
    ({"starts": "06:00", "ends": "07:30"}, "innerhalb der Öffnungszeiten"),
    ({"capacity": "0"}, "zwischen 1 und 5.000"),
    ({"capacity": "5001"}, "zwischen 1 und 5.000"),
    ({"capacity": "viele"}, "ganze Zahl"),
    ({"bus_bays": "-1"}, "Busparkplätze"),
    ({"starts": "8 Uhr"}, "Uhrzeit"),
])
def test_bad_slots_are_refused_with_a_message(signed_in, fair, data, message):
    event, (first, _) = fair
    form = {"day": to_local(first.starts_at).date().isoformat(), "starts": "12:00",
            "ends": "13:30", "capacity": "60"} | data
    response = signed_in.post(f"/manage/events/{event.id}/visits/slots", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert slot_count() == 2


@pytest.mark.parametrize(("day", "utc_hour"), [(DST_STARTS - timedelta(days=2), 7),
                                               (DST_STARTS, 6), (DST_ENDS, 7),
                                               (DST_ENDS + timedelta(days=1), 7)])
def test_slots_keep_their_wall_clock_time_on_the_clock_change_weekends(
        signed_in, make_event, organiser, day, utc_hour):
    """08:30 local is stored as the right UTC instant on either side of each change and
    is shown, exported and returned by the API as 08:30 again."""
    event = make_event(organisation=organiser.organisation, day=day, start=time(8),
                       end=time(16))
    response = signed_in.post(f"/manage/events/{event.id}/visits/slots", data={
        "day": day.isoformat(), "starts": "08:30", "ends": "10:00", "capacity": "100"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    slot = db.session.execute(select(VisitSlot)).scalar_one()
    assert (slot.starts_at.hour, slot.starts_at.minute) == (utc_hour, 30)
    assert to_local(slot.starts_at).strftime("%H:%M") == "08:30"
    assert to_local(slot.ends_at).strftime("%H:%M") == "10:00"
    assert "08:30–10:00" in signed_in.get(f"/manage/events/{event.id}/visits") \
        .get_data(as_text=True)


def test_a_time_the_clocks_skip_is_refused(signed_in, make_event, organiser):
    event = make_event(organisation=organiser.organisation, day=DST_STARTS, start=time(0),
                       end=time(23))
    response = signed_in.post(f"/manage/events/{event.id}/visits/slots", data={
        "day": DST_STARTS.isoformat(), "starts": "02:30", "ends": "04:00",
        "capacity": "100"})
    assert response.status_code == 422
    assert "Uhren" in response.get_data(as_text=True)
    assert slot_count() == 0


def test_the_plan_shows_each_slots_classes_and_the_organiser_moves_one(signed_in, fair,
                                                                       register):
    event, (first, second) = fair
    registration, _ = register(event, class_data(first, 25, class_name="8a"),
                               school="Beispiel-Hauptschule Hüsten",
                               email="huesten@schule.example", now=now_utc(), confirm=True)
    page = signed_in.get(f"/manage/events/{event.id}/visits").get_data(as_text=True)
    assert "Beispiel-Hauptschule Hüsten" in page and "25 von 50 belegt" in page
    visit = registration.classes[0]
    response = signed_in.post(f"/manage/events/{event.id}/visits/classes/{visit.id}/move",
                              data={"slot_id": str(second.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert visit.slot_id == second.id
    assert "verschoben" in outbox("huesten@schule.example")[-1].subject
    response = signed_in.post(f"/manage/events/{event.id}/visits/classes/{visit.id}/cancel")
    db.session.expire_all()
    assert visit.status == "cancelled"
    assert "abgesagt" in outbox("huesten@schule.example")[-1].subject


def test_the_organiser_closes_registration(signed_in, fair):
    event, _ = fair
    signed_in.post(f"/manage/events/{event.id}/visits/close")
    db.session.expire_all()
    assert db.session.get(VisitSetup, event.id).closes_at <= now_utc()
    page = signed_in.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Klassenanmeldung ist geschlossen" in page
    assert f'href="/events/{event.id}/classes"' not in page


def test_a_slot_with_classes_cannot_shrink_below_them(signed_in, fair, register):
    event, (first, _) = fair
    register(event, class_data(first, 40), now=now_utc())
    local = to_local(first.starts_at)
    response = signed_in.post(f"/manage/events/{event.id}/visits/slots/{first.id}", data={
        "day": local.date().isoformat(), "starts": "08:30", "ends": "10:00",
        "capacity": "39"})
    assert response.status_code == 422
    assert "40 Schülerinnen und Schüler sind bereits angemeldet" in response.get_data(
        as_text=True)
    response = signed_in.post(f"/manage/events/{event.id}/visits/slots/{first.id}/delete")
    assert db.session.get(VisitSlot, first.id) is not None


HOSTILE = "=HYPERLINK(\"http://evil.example\",\"Klick\")"


def test_exports_list_the_plan_and_neutralise_formulas(signed_in, fair, register):
    event, (first, second) = fair
    register(event, class_data(first, 25, teacher="@Lehrkraft"), school=HOSTILE,
             now=now_utc(), confirm=True)
    register(event, class_data(second, 12, by_bus=True), school="Beispiel-Realschule",
             now=now_utc())
    response = signed_in.get(f"/manage/events/{event.id}/visits/plan.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Zeitfenster", "Status", "Platz auf der Warteliste", "Schule"]
    assert [row[3] for row in rows[1:]] == ["'" + HOSTILE, "Beispiel-Realschule"]
    assert rows[1][9] == "'@Lehrkraft"
    assert rows[2][8] == "ja"
    book = openpyxl.load_workbook(io.BytesIO(signed_in.get(
        f"/manage/events/{event.id}/visits/plan.xlsx").data))
    sheet = book.active
    assert sheet["D2"].value == "'" + HOSTILE and sheet["D2"].data_type == "s"
    assert sheet["H2"].value == 25
    printed = signed_in.get(f"/manage/events/{event.id}/visits/plan").get_data(as_text=True)
    assert "Besucherplan" in printed and "Beispiel-Realschule *" in printed
    assert "&#34;http://evil.example&#34;" in printed or "&quot;http" in printed


def test_only_the_fairs_organisers_see_the_pages(client, fair, make_user, org_b,
                                                 make_company):
    event, (first, _) = fair
    urls = [f"/manage/events/{event.id}/visits", f"/manage/events/{event.id}/visits/plan",
            f"/manage/events/{event.id}/visits/plan.csv",
            f"/manage/events/{event.id}/visits/slots/{first.id}"]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login
    login(client, make_user("fremd@hwk.example", "organiser", organisation=org_b))
    for url in urls:
        assert client.get(url).status_code == 403
    response = client.post(f"/manage/events/{event.id}/visits/slots", data={
        "day": "2031-01-01", "starts": "09:00", "ends": "10:00", "capacity": "10"})
    assert response.status_code == 403
    assert slot_count() == 2
    company = make_company("Beispiel GmbH")
    login(client, make_user("firma@beispiel.example", "company", company=company))
    assert client.get(urls[0]).status_code == 403
    assert db.session.execute(select(func.count()).select_from(ClassVisit)).scalar_one() == 0
