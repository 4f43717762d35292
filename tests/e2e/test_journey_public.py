"""A visitor without an account: the calendar in German by default, in English on request,
and an event page with everything a school needs (when, where, who)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from playwright.sync_api import Page, expect

from app.time import local_today


def saturday_in_february() -> date:
    """The first Saturday of next February: always upcoming, names known in both languages."""
    day = date(local_today().year + 1, 2, 1)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def test_calendar_is_german_by_default_and_english_after_the_switch(
    page: Page, make_event, switch_language
) -> None:
    day = saturday_in_february()
    event = make_event("Ausbildungsbörse Siegen", day=day, start=time(9), end=time(15))

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    entry = page.locator(".event-item", has=page.get_by_role("link", name=event.title))
    expect(entry).to_have_count(1)
    when = entry.locator(".event-item__when")
    expect(when).to_contain_text(f"Samstag, {day.day}. Februar {day.year}")
    expect(page.locator(".month-group__title")).to_contain_text(f"Februar {day.year}")
    expect(page.locator(".language-switch button[value=de]")).to_have_attribute(
        "aria-pressed", "true")

    switch_language("en")
    # Back on the calendar (the switch returns to the page it was pressed on), now English.
    expect(page).to_have_url(re.compile(r"/$"))
    # English dates are written in the British order: "Saturday, 6 February 2027".
    expect(when).to_contain_text(f"Saturday, {day.day} February {day.year}")
    expect(when).not_to_contain_text("Samstag")
    expect(page.locator(".month-group__title")).to_contain_text(f"February {day.year}")
    expect(page.locator(".language-switch button[value=en]")).to_have_attribute(
        "aria-pressed", "true")

    # The choice survives navigation: to the event page and, freshly loaded, back again.
    page.get_by_role("link", name=event.title).click()
    expect(page).to_have_url(re.compile(rf"/events/{event.id}$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".event-page__when")).to_contain_text("Saturday")
    page.goto("/?view=month&month=" + day.strftime("%Y-%m"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".month-nav__title")).to_have_text(f"February {day.year}")

    switch_language("de")
    expect(page).to_have_url(re.compile(r"view=month"))
    expect(page.locator(".month-nav__title")).to_have_text(f"Februar {day.year}")


def test_event_page_shows_when_where_and_who(page: Page, make_event, switch_language) -> None:
    day = saturday_in_february()
    event = make_event(
        "Azubi-Speed-Dating Siegen", town="Siegen", venue="Siegerlandhalle",
        day=day, start=time(9), end=time(14), event_type="speed_dating",
        audiences=("pupils", "parents"), industries=("METALL",), grade_from=8, grade_to=10,
        description="Zehn Minuten je Gespräch, Lebenslauf mitbringen.",
        contact_name="Anna Beispiel", contact_email="ausbildung@ihk.example",
    )

    response = page.goto(f"/events/{event.id}")
    assert response is not None and response.status == 200
    expect(page).to_have_title(re.compile(r"^Azubi-Speed-Dating Siegen"))
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    # When: a German date with the local times.
    when = page.locator(".event-page__when")
    expect(when).to_contain_text(f"Samstag, {day.day}. Februar {day.year}")
    expect(when).to_contain_text("09:00")
    expect(when).to_contain_text("14:00")
    # Where: venue, town and district.
    address = page.locator(".event-page__facts address")
    expect(address).to_contain_text("Siegerlandhalle")
    expect(address).to_contain_text("Siegen")
    expect(address).to_contain_text("Kreis Siegen-Wittgenstein")
    # Who organises it and how to reach them.
    facts = page.locator(".event-page__facts")
    expect(facts).to_contain_text("IHK Siegen")
    expect(facts.get_by_role("link", name="ausbildung@ihk.example")).to_have_attribute(
        "href", "mailto:ausbildung@ihk.example")
    expect(page.locator(".event-page__main")).to_contain_text("Lebenslauf mitbringen")

    # Who it is for, read in English so the labels do not depend on the translation.
    switch_language("en")
    expect(page).to_have_url(re.compile(rf"/events/{event.id}$"))
    audiences = page.locator("#h-audience + .tags")
    expect(audiences.locator("li")).to_have_count(2)
    expect(audiences.locator("li", has_text="Pupils")).to_have_text("Pupils (grades 8–10)")
    expect(audiences.locator("li", has_text="Parents")).to_have_count(1)
    expect(page.locator(".event-page__type")).to_contain_text("Apprentice speed dating")


def test_a_draft_is_not_found(page: Page, make_event, browser_log) -> None:
    draft = make_event("Geheime Planung Olpe", town="Olpe", status="draft")
    browser_log.allow(404)

    response = page.goto(f"/events/{draft.id}")

    assert response is not None and response.status == 404
    expect(page.locator(".error-page")).to_be_visible()
    expect(page.locator(".error-page__status")).to_have_text("404")
    expect(page.locator("main")).not_to_contain_text("Geheime Planung")
    # The way out works.
    page.locator(".error-page a.button").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main")).not_to_contain_text("Geheime Planung")
