"""A teacher narrows the calendar to one district (and industry), shares the link, and sees
the fair on its day in the month view."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from app.time import local_today


def shown_titles(page: Page) -> list[str]:
    return page.locator(".event-list .event-item__title a").all_inner_texts()


def apply_filters(page: Page, *codes: str) -> None:
    """Tick filter boxes by their ids (``district-OE``, ``industry-HOLZ``) and submit."""
    panel = page.locator("details#filters")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for code in codes:
        page.locator(f"#f-{code}").check()
    panel.locator("form button[type=submit]").click()


def test_filter_by_district_and_industry_then_share_the_link(page: Page, make_event) -> None:
    soon = local_today() + timedelta(days=20)
    make_event("Ausbildungsmesse Siegen", town="Siegen", day=soon, industries=("METALL",))
    make_event("Berufsmesse Olpe", town="Olpe", venue="Stadthalle Olpe", day=soon,
               industries=("METALL",), audiences=("pupils",))
    make_event("Holztag Attendorn", town="Attendorn", venue="Stadthalle Attendorn",
               day=soon + timedelta(days=1), industries=("HOLZ",), audiences=("jobseekers",))
    make_event("Jobbörse Arnsberg", town="Arnsberg", venue="Sauerlandtheater", day=soon,
               event_type="job_fair", industries=("HOLZ",), audiences=("professionals",))
    make_event("Planung Olpe (Entwurf)", town="Olpe", day=soon, status="draft")

    page.goto("/")
    expect(page.locator(".event-list .event-item")).to_have_count(4)

    apply_filters(page, "district-OE")

    expect(page).to_have_url(re.compile(r"[?&]district=OE(&|$)"))
    expect(page.locator(".event-list .event-item")).to_have_count(2)
    assert sorted(shown_titles(page)) == ["Berufsmesse Olpe", "Holztag Attendorn"]
    expect(page.locator("#f-district-OE")).to_be_checked()
    expect(page.locator("#f-district-SI")).not_to_be_checked()

    # A second filter narrows further: districts AND industries.
    apply_filters(page, "industry-HOLZ")
    expect(page.locator(".event-list .event-item")).to_have_count(1)
    assert shown_titles(page) == ["Holztag Attendorn"]
    shared = page.url
    query = parse_qs(urlsplit(shared).query)
    assert query["district"] == ["OE"] and query["industry"] == ["HOLZ"]

    # The link, opened fresh (another browser, no cookies), shows the same result.
    fresh = page.context.browser.new_context()
    try:
        other = fresh.new_page()
        response = other.goto(shared)
        assert response is not None and response.status == 200
        expect(other.locator(".event-list .event-item")).to_have_count(1)
        assert shown_titles(other) == ["Holztag Attendorn"]
        expect(other.locator("#f-district-OE")).to_be_checked()
        expect(other.locator("#f-industry-HOLZ")).to_be_checked()
    finally:
        fresh.close()


def test_month_view_shows_the_event_on_its_day(page: Page, make_event) -> None:
    day = local_today() + timedelta(days=40)
    make_event("Lehrstellenbörse Soest", town="Soest", venue="Stadthalle Soest", day=day,
               event_type="placement_exchange")
    make_event("Tag der offenen Tür Siegen", town="Siegen", day=day)

    page.goto("/?district=SO")
    # From the list, the month heading leads to the month view with the same filter.
    page.locator(".month-group__title a").first.click()
    expect(page).to_have_url(re.compile(r"view=month"))
    expect(page).to_have_url(re.compile(rf"month={day:%Y-%m}"))
    expect(page).to_have_url(re.compile(r"district=SO"))

    cell = page.locator("li.day", has=page.locator(".day-event__title",
                                                 has_text="Lehrstellenbörse Soest"))
    expect(cell).to_have_count(1)
    expect(cell.locator(".day__number")).to_have_text(str(day.day))
    expect(cell).not_to_have_class(re.compile(r"day--outside"))
    expect(cell.locator(".day-event__time")).to_have_text("09:00")
    # The other district's event is filtered out of the grid.
    expect(page.locator(".day-event__title", has_text="Siegen")).to_have_count(0)

    # The entry links to the event page.
    cell.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lehrstellenbörse Soest")
