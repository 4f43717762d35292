"""A teacher builds the feed for their school: ticks a district and an audience, sees the
address, the QR code and the preview change without a reload, and copies the address."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from app.time import local_today


def preview(page: Page) -> list[str]:
    return page.locator("#feed-result .feed-preview__title").all_inner_texts()


def test_choose_filters_and_subscribe(page: Page, live_server, make_event) -> None:
    soon = local_today() + timedelta(days=20)
    make_event("Ausbildungsmesse Siegen", town="Siegen", day=soon, audiences=("pupils",))
    make_event("Elternabend Kreuztal", town="Kreuztal", venue="Stadthalle Kreuztal",
               day=soon + timedelta(days=2), audiences=("parents",),
               event_type="info_evening")
    make_event("BIB Meschede", town="Meschede", venue="Berufskolleg",
               day=soon + timedelta(days=1), audiences=("pupils",))
    base = live_server.app.config["BASE_URL"]  # the public address, not the test port
    host = base.split("://", 1)[1]

    page.goto("/feeds")
    url = page.locator("#feed-url")
    expect(url).to_have_value(f"{base}/feeds/all.ics")
    expect(page.locator("#feed-webcal")).to_have_value(f"webcal://{host}/feeds/all.ics")
    assert preview(page) == ["Ausbildungsmesse Siegen", "BIB Meschede", "Elternabend Kreuztal"]
    qr = page.locator("#feed-result svg.qr-code")
    expect(qr).to_be_visible()
    first_qr = qr.inner_html()

    # One district: the district's own feed, updated live (no navigation).
    page.get_by_label("Kreis Siegen-Wittgenstein").check()
    expect(url).to_have_value(f"{base}/feeds/district/SI.ics")
    expect(page.locator("#feed-webcal")).to_have_value(f"webcal://{host}/feeds/district/SI.ics")
    expect(page.locator("#feed-result .feed-preview__title")).to_have_text(
        ["Ausbildungsmesse Siegen", "Elternabend Kreuztal"])
    expect(page).to_have_url(re.compile(r"/feeds\?district=SI$"))
    expect(page.locator("#feed-result svg.qr-code")).to_be_visible()
    assert page.locator("#feed-result svg.qr-code").inner_html() != first_qr
    expect(page.locator("#feed-webcal-link")).to_have_attribute(
        "href", f"webcal://{host}/feeds/district/SI.ics")

    # And an audience: the all-feed with both filters.
    page.locator("#fb-audience-parents").check()
    expect(url).to_have_value(f"{base}/feeds/all.ics?district=SI&audience=parents")
    expect(page.locator("#feed-result .feed-preview__title")).to_have_text(
        ["Elternabend Kreuztal"])
    expect(page.locator("#feed-status")).to_have_text("Feed-Adresse und Vorschau aktualisiert.")

    # The copy button appears with JavaScript and puts the address on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.base_url)
    copy = page.locator("#feed-result button[data-copy=feed-url]")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.locator("#feed-status")).to_have_text("Adresse kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{base}/feeds/all.ics?district=SI&audience=parents")

    # The address works in a calendar app: it is a feed with exactly that event.
    feed = page.request.get(url.input_value().removeprefix(base))
    assert feed.ok and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:Elternabend Kreuztal" in feed.text() and "Meschede" not in feed.text()

    # The button takes a phone user to the result; a reload keeps the choice.
    page.locator("#feed-form button[type=submit]").click()
    expect(page.locator("#feed-result h2")).to_be_focused()
    page.reload()
    expect(page.locator("#fb-district-SI")).to_be_checked()
    expect(page.locator("#fb-audience-parents")).to_be_checked()
    expect(url).to_have_value(f"{base}/feeds/all.ics?district=SI&audience=parents")


def test_event_page_leads_to_the_districts_feed(page: Page, live_server, make_event) -> None:
    event = make_event("Berufsmesse Olpe", town="Olpe", venue="Stadthalle Olpe",
                       day=local_today() + timedelta(days=12))
    page.goto(f"/events/{event.id}")
    page.get_by_role("link", name=re.compile("Kreis Olpe")).click()
    expect(page).to_have_url(re.compile(r"/feeds\?district=OE$"))
    expect(page.locator("#fb-district-OE")).to_be_checked()
    base = live_server.app.config["BASE_URL"]
    expect(page.locator("#feed-url")).to_have_value(f"{base}/feeds/district/OE.ics")
    expect(page.locator("#feed-result .feed-preview__title")).to_have_text(["Berufsmesse Olpe"])
    # The header marks where we are.
    expect(page.locator(".site-nav a[aria-current=page]")).to_have_attribute("href", "/feeds")


def test_without_javascript_the_form_still_works(browser, live_server, make_event) -> None:
    make_event("Holztag Attendorn", town="Attendorn", venue="Stadthalle Attendorn",
               day=local_today() + timedelta(days=9), industries=("HOLZ",))
    context = browser.new_context(base_url=live_server.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/feeds")
        expect(page.locator("button[data-copy]").first).to_be_hidden()
        page.locator("#fb-industry-HOLZ").check()
        page.locator("#feed-form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/feeds\?industry=HOLZ$"))
        expect(page.locator("#feed-url")).to_have_value(
            f"{live_server.app.config['BASE_URL']}/feeds/industry/HOLZ.ics")
        expect(page.locator("#feed-result .feed-preview__title")).to_have_text(
            ["Holztag Attendorn"])
    finally:
        context.close()
