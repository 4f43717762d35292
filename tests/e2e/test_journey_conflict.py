"""Two organisers edit one event: while one has the form open, the other saves a new
title. The first one's save shows both titles side by side, stores nothing; they keep the
other's title, save again, and both changes are there."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.calendar import services as calendar
from app.calendar.models import Event
from app.extensions import db
from app.planning import operations
from app.time import now_utc
from tests.conftest import project_root
from tests.e2e.axe import blocking, run_axe

ARTIFACTS = project_root() / "test-artifacts" / "e2e"


def test_a_stale_save_shows_both_values_and_keeps_both_changes(
    page: Page, make_organisation, make_user, make_event, log_in, browser_log
) -> None:
    chamber = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    make_user("planung@hwk.example", organisation=chamber, language="en")
    colleague = make_user("messe@hwk.example", organisation=chamber, language="en")
    event = make_event("Tag des Handwerks Olpe", organisation=chamber, town="Olpe",
                       venue="Stadthalle Olpe")

    log_in("planung@hwk.example")
    page.goto(f"/manage/events/{event.id}/edit")
    form = page.locator("form.event-form")
    form.locator("#contact_name").fill("Petra Beispiel")

    # Meanwhile the colleague renames the event.
    data = calendar.event_data(event)
    data.title = "Tag des Handwerks Olpe 2031"
    operations.update_event(event, colleague, data, now=now_utc(), version=1)
    db.session.commit()

    browser_log.allow(409)
    form.locator("button[type=submit]").first.click()
    panel = page.locator("[data-conflict]")
    expect(panel).to_be_visible()
    title_row = panel.locator("tr[data-field=title]")
    expect(title_row.locator(".conflict__saved")).to_have_text("Tag des Handwerks Olpe 2031")
    expect(title_row.locator(".conflict__mine")).to_have_text("Tag des Handwerks Olpe")
    expect(panel.locator("tr[data-field=contact_name] .conflict__mine")).to_have_text(
        "Petra Beispiel")
    assert blocking(run_axe(page)) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"conflict-{width}.png"), full_page=False)
    assert blocking(run_axe(page)) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    db.session.expire_all()
    assert db.session.get(Event, event.id).contact_name is None  # nothing stored

    # Keep the colleague's title, keep the own contact, save.
    form.locator("#title").fill("Tag des Handwerks Olpe 2031")
    form.locator("button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(rf"/manage/events/{event.id}/edit$"))
    expect(page.locator("[data-conflict]")).to_have_count(0)
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.title, stored.contact_name, stored.version) == (
        "Tag des Handwerks Olpe 2031", "Petra Beispiel", 3)
