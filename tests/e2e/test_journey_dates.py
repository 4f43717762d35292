"""The organisers' calendar in the browser: an organiser finds another organisation's
reserved date (which the public calendar does not show), narrows the list to a district,
and the page fits a phone's width."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

# Fixed dates (2027 and later) meet code that reads the clock: it stands before them.
pytestmark = pytest.mark.usefixtures("fixed_clock")

SATURDAY = date(2027, 9, 18)


def test_organiser_sees_reserved_dates_of_others_and_filters_them(
    page: Page, make_organisation, make_user, make_event, log_in
) -> None:
    ihk = make_organisation("IHK Siegen", "ihk")
    hwk = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    make_user("planung@ihk.example", organisation=ihk)
    make_event("Ausbildungsmesse Siegen", organisation=ihk, day=SATURDAY)
    make_event("Lehrstellenbörse Olpe", organisation=hwk, town="Olpe",
               venue="Stadthalle Olpe", day=SATURDAY, status="planned",
               contact_name="Bernd Muster", contact_email="lehrstellen@hwk.example")
    make_event("Geheimer Entwurf", organisation=hwk, day=SATURDAY, status="draft")

    page.goto("/?from=2027-09-01&to=2027-09-30")
    expect(page.locator("main")).to_contain_text("Ausbildungsmesse Siegen")
    expect(page.locator("main")).not_to_contain_text("Lehrstellenbörse Olpe")

    log_in("planung@ihk.example")
    page.locator("header nav a", has_text="Überschneidungen").click()
    page.locator("nav.subnav a", has_text="Termine aller Veranstalter").click()
    expect(page).to_have_url(re.compile(r"/clashes/dates$"))
    filters = page.locator("form.dates-filters")
    filters.locator("#start").fill("2027-09")
    filters.locator("#end").fill("2027-10")
    filters.locator("button[type=submit]").click()

    reserved = page.locator(".date-item--planned")
    expect(reserved).to_have_count(1)
    expect(reserved).to_contain_text("Lehrstellenbörse Olpe")
    expect(reserved.locator(".badge--status-planned")).to_have_text("reserviert")
    expect(reserved).to_contain_text("Handwerkskammer Südwestfalen")
    expect(reserved).to_contain_text("Kreis Olpe")
    expect(reserved.locator("a[href='mailto:lehrstellen@hwk.example']")).to_be_visible()
    own = page.locator(".date-item--published")
    expect(own).to_contain_text("Ausbildungsmesse Siegen")
    expect(own.locator(".badge--own")).to_have_text("Ihre Organisation")
    expect(page.locator("main")).not_to_contain_text("Geheimer Entwurf")

    filters.locator("#district").select_option("OE")
    filters.locator("button[type=submit]").click()
    expect(page.locator(".date-item")).to_have_count(1)
    expect(page.locator(".date-item")).to_contain_text("Lehrstellenbörse Olpe")

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
