"""Booking day in the browser, at desktop and phone width: the organiser finds bookings,
ticks several and rejects them with one reason (asked first — by a dialog with
JavaScript, by a page without); a company accepts the place offered from the waitlist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.booths import services as booths
from app.booths.models import Booking
from app.extensions import db
from app.time import now_utc
from tests.e2e.conftest import ARTIFACTS

TITLE = "Ausbildungsmesse Arnsberg"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def fair(make_organisation, make_user, make_company, make_event):
    """A fair of IHK Arnsberg with one category of 2 places, four companies booked
    (two confirmed, two waiting), offers for 48 hours."""
    chamber = make_organisation("IHK Arnsberg", "ihk")
    organiser = make_user("messe@ihk-arnsberg.example", organisation=chamber)
    event = make_event(TITLE, organisation=chamber, town="Arnsberg", venue="Sauerlandhalle",
                       contact_name="Anna Beispiel", contact_email="messe@ihk-arnsberg.example")
    now = now_utc()
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=2),
        waitlist_mode="offer"), now)
    category = booths.add_category(event, organiser, booths.CategoryData(
        name="Standard 9 m²", size_m2=9, price_cents=25000, capacity=2))
    bookings = {}
    for name, email, town in (("Beispiel Stahl GmbH", "team@stahl.example", "Arnsberg"),
                              ("Beispiel Pflege gGmbH", "team@pflege.example", "Meschede"),
                              ("Beispiel Holz KG", "team@holz.example", "Sundern (Sauerland)"),
                              ("Beispiel Elektro AG", "team@elektro.example", "Brilon")):
        firm = make_company(name, town=town)
        user = make_user(email, "company", company=firm)
        bookings[name] = booths.book(firm, category, booths.BookingDetails(), user, now)
    db.session.commit()
    return event, organiser, bookings


def status(booking) -> str:
    return db.session.get(Booking, booking.id, populate_existing=True).status


@pytest.mark.parametrize("size", list(SIZES))
def test_organiser_rejects_two_waiting_with_one_reason(page: Page, log_in, fair, size):
    event, organiser, bookings = fair
    page.set_viewport_size(SIZES[size])
    log_in(organiser.email)
    page.goto(f"/manage/events/{event.id}/booths")
    page.get_by_label("Bewerbungen, dann Zuteilung").check()
    snapshot(page, f"booth_day_setup_{size}")
    page.get_by_role("link", name="Buchungen verwalten").click()
    expect(page.locator(".booth-bookings tbody tr")).to_have_count(4)
    page.locator("#status-waitlisted").check()
    page.get_by_role("button", name="Anzeigen").click()
    rows = page.locator(".booth-bookings tbody tr")
    expect(rows).to_have_count(2)
    for row in range(2):
        rows.nth(row).locator("input[name=booking_ids]").check()
    page.locator("#action").select_option("reject")
    page.locator("#reason").fill("Die Branchen sind schon vertreten.")
    snapshot(page, f"booth_day_bulk_list_{size}")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Auf die angekreuzten Buchungen anwenden").click()
    expect(page.locator(".flash-success")).to_contain_text("2 Buchungen")
    assert questions and "2 Buchungen" in questions[0]
    assert status(bookings["Beispiel Holz KG"]) == "rejected"
    assert status(bookings["Beispiel Elektro AG"]) == "rejected"
    assert status(bookings["Beispiel Stahl GmbH"]) == "confirmed"


def test_without_javascript_a_page_asks_first(browser, live_server, fair):
    event, organiser, bookings = fair
    context = browser.new_context(base_url=live_server.base_url, locale="de-DE",
                                  java_script_enabled=False, viewport=SIZES["phone"])
    page = context.new_page()
    try:
        page.goto("/login")
        page.locator("main form[action='/login'] #email").fill(organiser.email)
        from tests.conftest import PASSWORD

        page.locator("main form[action='/login'] #password").fill(PASSWORD)
        page.locator("main form[action='/login'] button[type=submit]").click()
        page.goto(f"/manage/events/{event.id}/booths/bookings?company=Stahl")
        page.locator("input[name=booking_ids]").first.check()
        page.locator("#action").select_option("cancel")
        page.locator("#reason").fill("Der Stand wird für die Feuerwehr gebraucht.")
        page.get_by_role("button", name="Auf die angekreuzten Buchungen anwenden").click()
        expect(page.locator("h1")).to_have_text("Bitte bestätigen")
        expect(page.locator(".booking-confirm__list")).to_contain_text("Beispiel Stahl GmbH")
        assert status(bookings["Beispiel Stahl GmbH"]) == "confirmed"
        snapshot(page, "booth_day_confirm_without_js")
        page.locator(".booking-confirm button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()
        assert status(bookings["Beispiel Stahl GmbH"]) == "cancelled"
        # The freed place is offered to the head of the waitlist.
        assert status(bookings["Beispiel Holz KG"]) == "offered"
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_company_accepts_the_offered_place(page: Page, log_in, fair, size):
    event, organiser, bookings = fair
    page.set_viewport_size(SIZES[size])
    booths.cancel(bookings["Beispiel Stahl GmbH"], organiser, now_utc(), reason="Doppelt.")
    db.session.commit()
    offered = bookings["Beispiel Holz KG"]
    assert status(offered) == "offered"
    log_in("team@holz.example")
    page.goto("/booths/")
    row = page.locator(".company-bookings__row--offered")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("Annehmen bis")
    row.locator("a").first.click()
    expect(page.locator(".booking-result--offered h2")).to_have_text(
        "Ihnen wird ein Platz angeboten.")
    snapshot(page, f"booth_day_offer_{size}")
    page.get_by_role("button", name="Platz annehmen").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".booking-result--confirmed")).to_be_visible()
    assert status(offered) == "confirmed"


def snapshot(page: Page, name: str) -> None:
    """A picture of a step in the middle of a journey (the last page is kept anyway)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
