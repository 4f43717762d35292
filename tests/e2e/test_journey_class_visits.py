"""Class visits in the browser, on a desktop and at phone width.

A careers teacher finds a fair in the calendar, registers two classes, confirms from the
mail, downloads the .ics and moves one class. An organiser sets up the registration and
the slots of a fair and prints the visitor plan."""

from __future__ import annotations

import re
from datetime import time, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.time import local_to_utc, local_today, now_utc
from app.visits import services as visits
from tests.conftest import project_root
from tests.visits.conftest import class_data, upcoming_day

TITLE = "Arnsberger Ausbildungsmesse"
SHOTS = project_root() / "test-artifacts" / "e2e"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"class_visits_{name}.png"), full_page=True)


def fair_with_slots(make_organisation, make_user, make_event):
    chamber = make_organisation("Wirtschaftsförderung Arnsberg GmbH", "wfg")
    organiser = make_user("messe@wf-arnsberg.example", organisation=chamber)
    day = upcoming_day()
    event = make_event(TITLE, organisation=chamber, town="Arnsberg", venue="Kaiserhaus",
                       day=day, start=time(8), end=time(14),
                       audiences=("pupils", "public"))
    now = now_utc()
    visits.configure(event, organiser, visits.SetupData(
        opens_at=now - timedelta(days=1), closes_at=local_to_utc(day - timedelta(days=2),
                                                                 time(18)),
        instructions="Busse halten an der Möhnestraße."), now)
    slots = [visits.add_slot(event, organiser, visits.SlotData(
        starts_at=local_to_utc(day, start), ends_at=local_to_utc(day, end),
        capacity=capacity, bus_bays=bays), now)
        for start, end, capacity, bays in [(time(9), time(10, 15), 225, 4),
                                           (time(10, 15), time(11, 30), 225, 4),
                                           (time(11, 30), time(12, 45), 225, None)]]
    db.session.commit()
    return event, slots, organiser


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_a_teacher_registers_two_classes_confirms_and_moves_one(
        page: Page, make_organisation, make_user, make_event, screen) -> None:
    page.set_viewport_size(VIEWPORTS[screen])
    event, slots, _ = fair_with_slots(make_organisation, make_user, make_event)

    # The teacher finds the fair in the calendar and sees the slots' free places.
    page.goto("/")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page).to_have_url(re.compile(rf"/events/{event.id}$"))
    section = page.locator("section.class-visits")
    expect(section.locator(".slot-item")).to_have_count(3)
    expect(section.locator(".slot-item").first).to_contain_text("225 von 225 Plätzen frei")
    expect(section.locator(".slot-item").first).to_contain_text("4 Busparkplätze frei")
    shoot(page, f"{screen}_1_event_page")
    section.get_by_role("link", name="Schulklassen anmelden").click()

    # Two classes: the second row comes from "add another class", keeping the first.
    form = page.locator("form.visit-form")
    form.locator("#school_name").fill("Beispiel-Realschule Neheim")
    form.locator("#municipality_id").select_option(label="Arnsberg")
    form.locator("#email").fill("stubo@realschule-neheim.example")
    form.locator("#classes-0-slot_id").select_option(str(slots[0].id))
    form.locator("#classes-0-class_name").fill("9a")
    form.locator("#classes-0-grade").fill("9")
    form.locator("#classes-0-pupils").fill("27")
    form.locator("#classes-0-teacher_name").fill("Frau Beispiel")
    form.locator("#classes-0-phone").fill("0151 23456789")
    form.get_by_role("button", name="Weitere Klasse hinzufügen").click()
    form = page.locator("form.visit-form")
    expect(form.locator("#classes-0-pupils")).to_have_value("27")
    form.locator("#classes-1-slot_id").select_option(str(slots[1].id))
    form.locator("#classes-1-class_name").fill("10b")
    form.locator("#classes-1-grade").fill("10")
    form.locator("#classes-1-pupils").fill("24")
    form.locator("#classes-1-teacher_name").fill("Herr Muster")
    form.locator("#classes-1-phone").fill("02932 123456")
    form.locator("#classes-1-by_bus").check()
    form.locator("#consent").check()
    shoot(page, f"{screen}_2_register_form")
    form.get_by_role("button", name="Klassen anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bitte sehen Sie in Ihr E-Mail-Postfach")
    expect(page.locator(".flash-success")).to_contain_text("stubo@realschule-neheim.example")

    # The mail's link: the teacher confirms.
    db.session.expire_all()
    mail = db.session.execute(db.select(OutboxMessage).where(
        OutboxMessage.recipient == "stubo@realschule-neheim.example")).scalar_one()
    link = re.search(r"http://\S+/visits/r/\S+", mail.body).group(0)
    page.goto(urlsplit(link).path)
    expect(page.locator(".visit-confirm")).to_be_visible()
    shoot(page, f"{screen}_3_confirm")
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    expect(page.locator(".flash-success")).to_contain_text("bestätigt")
    expect(page.locator(".visit-card--confirmed")).to_have_count(2)

    # The .ics with both visit times.
    with page.expect_download() as download:
        page.get_by_role("link", name="Besuchszeiten herunterladen (.ics)").click()
    entries = icalendar.Calendar.from_ical(download.value.path().read_bytes()).walk("VEVENT")
    assert sorted(entry["DTSTART"].dt.strftime("%H:%M") for entry in entries) == ["09:00",
                                                                                  "10:15"]

    # The second class moves to the third slot.
    card = page.locator(".visit-card").nth(1)
    card.locator("summary", has_text="In ein anderes Zeitfenster verschieben").click()
    card.locator("select").select_option(str(slots[2].id))
    card.get_by_role("button", name="Klasse verschieben").click()
    expect(page.locator(".flash-success")).to_contain_text("verschoben")
    expect(page.locator(".visit-card").nth(1).locator(".visit-card__when")).to_contain_text(
        "11:30–12:45")
    shoot(page, f"{screen}_4_moved")
    db.session.expire_all()
    moved = db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())
                               ).scalars().first()
    assert "geändert" in moved.subject and moved.attachment


@pytest.mark.parametrize("screen", list(VIEWPORTS))
def test_an_organiser_sets_up_slots_and_prints_the_visitor_plan(
        page: Page, make_organisation, make_user, make_event, log_in, screen) -> None:
    page.set_viewport_size(VIEWPORTS[screen])
    chamber = make_organisation("Interessengemeinschaft Mescheder Wirtschaft (IMW)",
                                "network")
    make_user("bib@imw.example", organisation=chamber)
    day = upcoming_day()
    event = make_event("BerufsInfoBörse (BIB) Meschede", organisation=chamber,
                       town="Meschede", venue="Berufskolleg Meschede", day=day,
                       start=time(8), end=time(14))

    log_in("bib@imw.example")
    page.goto(f"/manage/events/{event.id}/edit")
    page.get_by_role("link", name="Klassenbesuche").click()
    expect(page).to_have_url(re.compile(rf"/manage/events/{event.id}/visits$"))
    setup = page.locator("#setup form.form")
    setup.locator("#opens_day").fill((local_today() - timedelta(days=1)).isoformat())
    setup.locator("#opens_time").fill("08:00")
    setup.locator("#closes_day").fill((day - timedelta(days=3)).isoformat())
    setup.locator("#closes_time").fill("18:00")
    setup.locator("#reminder_days").fill("2")
    setup.get_by_role("button", name="Anmeldung speichern").click()
    expect(page.locator(".flash-success")).to_contain_text("gespeichert")

    for start, end in (("08:00", "09:30"), ("09:30", "11:00")):
        slots = page.locator("#slots")
        if not slots.locator("details.booth-add").evaluate("details => details.open"):
            slots.locator("details.booth-add > summary").click()
        add = slots.locator("form.form")
        add.locator("#day").fill(day.isoformat())
        add.locator("#starts").fill(start)
        add.locator("#ends").fill(end)
        add.locator("#capacity").fill("250")
        add.locator("#bus_bays").fill("6")
        add.get_by_role("button", name="Zeitfenster hinzufügen").click()
        expect(page.locator(".flash-success")).to_contain_text("angelegt")
    expect(page.locator("table.visit-slots tbody tr")).to_have_count(2)

    # A school registers meanwhile; the plan shows it, ready to print.
    first = visits.slots_of(event)[0]
    registration, _ = visits.register(event, visits.RegistrationData(
        email="stubo@realschule-meschede.example", school_name="Beispiel-Realschule Meschede",
        municipality_id=first.event.venue.municipality_id,
        classes=[class_data(first, 27, class_name="9a")]), now_utc())
    visits.confirm(registration, now_utc())
    db.session.commit()
    page.reload()
    expect(page.locator("#plan")).to_contain_text("Beispiel-Realschule Meschede")
    shoot(page, f"{screen}_5_manage")
    page.get_by_role("link", name="Besucherplan zum Drucken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Besucherplan")
    expect(page.locator(".visit-print__slot").first).to_contain_text("27")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    shoot(page, f"{screen}_6_print")
