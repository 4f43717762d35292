"""Two companies and the last booth: the first books it, the second lands on the waitlist,
the first cancels and the second is promoted at once and sees it on its page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from app.booths import services as booths
from app.extensions import db
from app.time import now_utc
from tests.e2e.steps import log_out

TITLE = "Ausbildungsbörse Lüdenscheid"


def test_last_place_waitlist_and_promotion(page: Page, make_organisation, make_user,
                                           make_company, make_event, log_in) -> None:
    chamber = make_organisation("IHK Hagen", "ihk")
    organiser = make_user("messe@ihk-hagen.example", organisation=chamber)
    event = make_event(TITLE, organisation=chamber, town="Lüdenscheid", venue="Kulturhaus")
    now = now_utc()
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=2),
        waitlist_mode="confirm"), now)
    category = booths.add_category(event, organiser, booths.CategoryData(
        name="Reihenstand 6 m²", size_m2=6, price_cents=15000, capacity=2))
    early = make_company("Frühbucher GmbH", town="Iserlohn")
    early_user = make_user("team@fruehbucher.example", "company", company=early)
    booths.book(early, category, booths.BookingDetails(), early_user, now)
    db.session.commit()
    first = make_company("Erste Metall GmbH", town="Lüdenscheid")
    make_user("ausbildung@erste-metall.example", "company", company=first)
    second = make_company("Zweite Technik AG", town="Menden (Sauerland)")
    make_user("azubi@zweite-technik.example", "company", company=second)

    # The first company books the last place.
    log_in("ausbildung@erste-metall.example")
    page.goto("/booths/")
    page.locator(f"a[href='/booths/events/{event.id}/book']").click()
    choice = page.locator(".booth-choice").first
    expect(choice.locator(".booth-choice__places")).not_to_have_class(re.compile("is-full"))
    choice.locator("input[type=radio]").check()
    page.locator("#staff_count").fill("3")
    page.locator("#power_needs").fill("230 V für einen Bildschirm")
    page.locator("form.booking-form button[type=submit]").click()
    expect(page.locator(".booking-result--confirmed")).to_be_visible()
    log_out(page)

    # The second one finds the category full and joins the waitlist at position 1.
    log_in("azubi@zweite-technik.example")
    page.goto(f"/booths/events/{event.id}/book")
    expect(page.locator(".booth-choice__places.is-full")).to_be_visible()
    page.locator(".booth-choice input[type=radio]").first.check()
    page.locator("form.booking-form button[type=submit]").click()
    expect(page.locator(".booking-result--waitlisted")).to_be_visible()
    expect(page.locator(".booking-result h2")).to_contain_text("1")
    log_out(page)

    # The first one cancels on its booking's page, and confirms the browser's question.
    log_in("ausbildung@erste-metall.example")
    page.goto("/booths/")
    row = page.locator(".company-bookings__row--confirmed")
    expect(row).to_contain_text(TITLE)
    row.locator("a").first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/cancel'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".company-bookings__row--cancelled")).to_be_visible()
    log_out(page)

    # The second one has been promoted and sees it.
    log_in("azubi@zweite-technik.example")
    page.goto("/booths/")
    expect(page.locator(".company-bookings__row--confirmed")).to_contain_text(TITLE)
    expect(page.locator(".booking-status--confirmed")).to_be_visible()
    expect(page.locator(".company-bookings__row--waitlisted")).to_have_count(0)

