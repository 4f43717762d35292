"""Three journeys with the keyboard only (Tab, Shift+Tab, Enter, Space and typing into
fields): a teacher builds a feed, a company books a booth, an organiser settles a clash.
At every stop the focus is visible and it never gets stuck; the number of keys each
journey takes is printed (run with -s) for the issue's click counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.booths import services as booths
from app.clashes import scan as clash_scan
from app.clashes.models import Clash
from app.extensions import db
from app.time import local_today, now_utc
from tests.conftest import PASSWORD
from tests.e2e.keyboard import Keyboard

LATER_SATURDAY = date(2027, 9, 18)


def log_in_by_keyboard(keys: Keyboard, email: str) -> None:
    keys.page.goto("/login")
    expect(keys.page.locator("#email")).to_be_focused()  # the login page starts there
    keys.type(email)
    keys.tab_to("#password")
    keys.type(PASSWORD)
    keys.press("Enter")
    expect(keys.page.locator("form[action='/logout']")).to_have_count(1)


def test_a_teacher_builds_a_feed_by_keyboard(page: Page, live_server, make_event) -> None:
    make_event("Elternabend Kreuztal", town="Kreuztal", venue="Stadthalle Kreuztal",
               day=local_today() + timedelta(days=12))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.base_url)
    keys = Keyboard(page)
    page.goto("/feeds")
    keys.tab_to("#fb-district-SI")
    keys.press("Space")
    # Enter sends the filter form: the result's heading takes the focus, the address is next.
    keys.press("Enter")
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/feeds/district/SI\.ics$"))
    expect(page.locator("#feed-result h2")).to_be_focused()
    keys.tab_to("#feed-result button[data-copy=feed-url]")
    keys.press("Enter")
    expect(page.locator("#feed-status")).to_have_text("Adresse kopiert.")
    assert page.evaluate("navigator.clipboard.readText()").endswith("/feeds/district/SI.ics")
    print(f"\nkeyboard journey feed: {keys.presses} keys")
    keys.leaves_the_page_content()


def test_a_company_books_a_booth_by_keyboard(page: Page, make_organisation, make_user,
                                             make_company, make_event) -> None:
    chamber = make_organisation("IHK Hagen", "ihk")
    organiser = make_user("messe@ihk-hagen.example", organisation=chamber)
    event = make_event("Ausbildungsbörse Lüdenscheid", organisation=chamber,
                       town="Lüdenscheid", venue="Kulturhaus")
    now = now_utc()
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=2)), now)
    booths.add_category(event, organiser, booths.CategoryData(
        name="Reihenstand 6 m²", size_m2=6, price_cents=15000, capacity=2))
    db.session.commit()
    company = make_company("Beispiel Metall GmbH", town="Lüdenscheid")
    make_user("ausbildung@beispiel-metall.example", "company", company=company)

    keys = Keyboard(page)
    log_in_by_keyboard(keys, "ausbildung@beispiel-metall.example")
    expect(page).to_have_url(re.compile(r"/booths/$"))  # a company's home: its bookings
    keys.tab_to(f"a[href='/booths/events/{event.id}/book']")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(rf"/booths/events/{event.id}/book$"))
    keys.tab_to(".booth-choice input[type=radio]")
    keys.press("Space")
    keys.tab_to("#staff_count")
    keys.type("2")
    keys.tab_to("form.booking-form button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".booking-result--confirmed")).to_be_visible()
    print(f"\nkeyboard journey booth: {keys.presses} keys")
    keys.leaves_the_page_content()


def test_an_organiser_accepts_a_clash_by_keyboard(page: Page, make_organisation, make_user,
                                                  make_event) -> None:
    ihk = make_organisation("IHK Siegen", "ihk")
    hwk = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    make_user("olpe@hwk.example", organisation=hwk)
    make_event("Ausbildungsmesse Siegen", organisation=ihk, day=LATER_SATURDAY)
    make_event("Berufsmesse Olpe", organisation=hwk, town="Olpe", venue="Stadthalle Olpe",
               day=LATER_SATURDAY, status="planned")
    clash_scan.scan_all(now_utc())
    db.session.commit()

    keys = Keyboard(page)
    log_in_by_keyboard(keys, "olpe@hwk.example")
    keys.tab_to("header nav a[href='/clashes']")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/clashes$"))
    expect(page.locator(".clash-action__meaning").first).to_contain_text(
        "Beide Veranstaltungen finden wie geplant statt")
    keys.tab_to("form[action$='/accept'] textarea")
    keys.type("Unterschiedliche Branchen, Busse abgestimmt.")
    keys.tab_to("form[action$='/accept'] button[type=submit]")
    keys.press("Enter")
    expect(page.locator(".flash-success")).to_be_visible()
    print(f"\nkeyboard journey clash: {keys.presses} keys")
    db.session.expire_all()
    assert db.session.execute(select(Clash.status)).scalar_one() == "accepted"
    keys.leaves_the_page_content()
