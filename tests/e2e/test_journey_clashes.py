"""Clashes in the browser: an organiser picks a date that clashes, sees the warning live,
takes a suggested free date, saves and publishes; another organiser accepts a soft clash
on the clash board with a note."""

from __future__ import annotations

import re
from datetime import date, time

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.calendar.models import Event
from app.clashes import scan as clash_scan
from app.clashes.models import Clash
from app.extensions import db
from app.time import now_utc

SATURDAY = date(2027, 6, 12)
LATER_SATURDAY = date(2027, 9, 18)


def test_organiser_sees_a_clash_takes_a_free_date_and_publishes(
    page: Page, make_organisation, make_user, make_event, log_in
) -> None:
    ihk = make_organisation("IHK Siegen", "ihk")
    hwk = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    make_user("planung@ihk.example", organisation=ihk, language="en")
    make_event("Messe Kreuztal", organisation=hwk, town="Kreuztal",
               venue="Stadthalle Kreuztal", day=SATURDAY, start=time(9), end=time(16))

    log_in("planung@ihk.example")
    page.goto("/manage/events/new")
    form = page.locator("form.event-form")
    panel = page.locator("#clash-panel")
    expect(panel).to_contain_text("As soon as date, place and audiences are set")
    form.locator("#title").fill("Ausbildungsmesse Siegen")
    form.locator("#event_type").select_option("training_fair")
    form.locator("input[name=industries][value=CROSS]").check()
    form.locator("#venue_name").fill("Siegerlandhalle")
    form.locator("#municipality").select_option(label="Siegen")
    form.locator("#start_time").fill("10:00")
    form.locator("#end_time").fill("15:00")
    form.locator("#day").fill(SATURDAY.isoformat())
    form.locator("#day").dispatch_event("change")

    # The warning appears without sending the form: hard, naming the other event.
    finding = panel.locator(".clash-finding--hard")
    expect(finding).to_contain_text("Same district at the same time")
    expect(finding).to_contain_text("Messe Kreuztal")
    expect(finding).to_contain_text("Handwerkskammer Südwestfalen")
    expect(panel.locator("#clash_acknowledged")).to_be_visible()
    expect(form.locator("#clash-inline")).to_contain_text("1 hard clash")
    suggestion = panel.locator("button[name=use_date]").first
    free_day = suggestion.get_attribute("data-date")
    assert free_day and date.fromisoformat(free_day).weekday() == 5

    suggestion.click()
    expect(form.locator("#day")).to_have_value(free_day)
    expect(panel.locator(".clash-none")).to_be_visible()
    expect(form.locator("#clash-inline")).to_contain_text("No clashes on this date.")
    assert page.url.endswith("/manage/events/new")  # nothing was sent or saved

    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/events/\d+/edit$"))
    page.locator("form.status-buttons button[value=published]").click()
    expect(page.locator(".status-current")).to_contain_text("Published")

    db.session.expire_all()
    event = db.session.execute(
        select(Event).where(Event.title == "Ausbildungsmesse Siegen")).scalar_one()
    assert event.status == "published"
    assert event.local_start.date() == date.fromisoformat(free_day)


def test_other_organiser_accepts_a_soft_clash_on_the_board(
    page: Page, make_organisation, make_user, make_event, log_in
) -> None:
    ihk = make_organisation("IHK Siegen", "ihk")
    hwk = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    make_user("olpe@hwk.example", organisation=hwk, language="en")
    make_event("Ausbildungsmesse Siegen", organisation=ihk, day=LATER_SATURDAY)
    make_event("Berufsmesse Olpe", organisation=hwk, town="Olpe", venue="Stadthalle Olpe",
               day=LATER_SATURDAY, status="planned")
    clash_scan.scan_all(now_utc())
    db.session.commit()

    log_in("olpe@hwk.example")
    page.locator("header nav a", has_text="Clashes").click()
    expect(page).to_have_url(re.compile(r"/clashes$"))
    card = page.locator(".clash-card").first
    expect(card).to_contain_text("Neighbouring district on the same day")
    expect(card).to_contain_text("Ausbildungsmesse Siegen")
    expect(card).to_contain_text("IHK Siegen")
    accept = card.locator("form[action$='/accept']")
    accept.locator("textarea").fill("Unterschiedliche Branchen, Busse abgestimmt.")
    accept.locator("button[type=submit]").click()

    expect(page.locator(".flash-success")).to_contain_text("accepted")
    page.goto("/clashes?status=accepted")
    card = page.locator(".clash-card").first
    expect(card.locator(".badge--clash-status-accepted")).to_be_visible()
    expect(card.locator(".clash-history")).to_contain_text(
        "Unterschiedliche Branchen, Busse abgestimmt.")
    db.session.expire_all()
    clash = db.session.execute(select(Clash)).scalar_one()
    assert clash.status == "accepted"
    assert clash.note == "Unterschiedliche Branchen, Busse abgestimmt."
