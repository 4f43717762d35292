"""An organiser plans a fair: a mistake in the form loses nothing, the fixed event is saved,
published and appears on the public calendar. Another organisation cannot touch it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from app.calendar.models import Event
from app.extensions import db
from app.time import local_today
from tests.e2e.steps import log_out

TITLE = "Tag des Handwerks Olpe"


def test_organiser_creates_fixes_publishes_and_finds_the_event(
    page: Page, make_organisation, make_user, log_in, browser_log
) -> None:
    chamber = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    # English account: the error message below is the English msgid, whatever German says.
    make_user("planung@hwk.example", organisation=chamber, language="en")
    day = local_today() + timedelta(days=45)

    log_in("planung@hwk.example")
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("main a[href='/manage/events/new']").click()
    expect(page).to_have_url(re.compile(r"/manage/events/new$"))

    form = page.locator("form.event-form")
    # The form's script shows only the date fields of the chosen kind of schedule.
    expect(form.locator("#day")).to_be_visible()
    expect(form.locator("#first_day")).to_be_hidden()
    form.locator("#all_day").check()
    expect(form.locator("#first_day")).to_be_visible()
    expect(form.locator("#day")).to_be_hidden()
    form.locator("#all_day").uncheck()

    form.locator("#title").fill(TITLE)
    form.locator("#event_type").select_option("open_day")
    form.locator("#description").fill("Betriebe zeigen ihre Werkstätten.")
    expect(form.locator("input[name=audiences][value=pupils]")).to_be_checked()
    form.locator("input[name=audiences][value=parents]").check()
    form.locator("input[name=industries][value=METALL]").check()
    form.locator("#venue_name").fill("Kreishaus Olpe")
    form.locator("#municipality").select_option(label="Olpe")
    form.locator("#day").fill(day.isoformat())
    form.locator("#start_time").fill("14:00")
    form.locator("#end_time").fill("10:00")  # before the start: a typing mistake

    browser_log.allow(422)  # the form comes back as "422 Unprocessable"
    form.locator("button[type=submit]").click()

    expect(page.locator(".form-errors[role=alert]")).to_be_visible()
    error = page.locator("#end_time-error")
    expect(error).to_have_text("The event must end after it starts.")
    expect(form.locator("#end_time")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#end_time")).to_have_attribute(
        "aria-describedby", re.compile(r"\bend_time-error\b"))
    # Nothing typed is lost.
    expect(form.locator("#title")).to_have_value(TITLE)
    expect(form.locator("#event_type")).to_have_value("open_day")
    expect(form.locator("#description")).to_have_value("Betriebe zeigen ihre Werkstätten.")
    expect(form.locator("input[name=audiences][value=parents]")).to_be_checked()
    expect(form.locator("input[name=industries][value=METALL]")).to_be_checked()
    expect(form.locator("#venue_name")).to_have_value("Kreishaus Olpe")
    expect(form.locator("#municipality option:checked")).to_have_text("Olpe")
    expect(form.locator("#day")).to_have_value(day.isoformat())
    expect(form.locator("#start_time")).to_have_value("14:00")

    form.locator("#end_time").fill("18:00")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/manage/events/\d+/edit$"))
    event_id = int(re.search(r"/events/(\d+)/edit", page.url).group(1))
    expect(page.locator(".flash-success")).to_contain_text(TITLE)
    status = page.locator("section[aria-labelledby=status-heading]")
    expect(status.locator(".badge--draft")).to_be_visible()

    status.locator("button[name=status][value=published]").click()
    expect(status.locator(".badge--published")).to_be_visible()
    expect(status.locator(f"a[href='/events/{event_id}']")).to_be_visible()

    log_out(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("a.site-login")).to_be_visible()

    # Anyone now finds it in the public calendar, with the corrected time.
    entry = page.locator(".event-item", has=page.get_by_role("link", name=TITLE))
    expect(entry).to_have_count(1)
    expect(entry.locator(".event-item__where")).to_contain_text("Olpe")
    entry.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/events/{event_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".event-page__when")).to_contain_text("14:00")
    expect(page.locator(".event-page__when")).to_contain_text("18:00")
    address = page.locator(".event-page__facts address")
    expect(address).to_contain_text("Kreishaus Olpe")
    expect(address).to_contain_text("Kreis Olpe")
    expect(page.locator(".event-page__facts")).to_contain_text("Handwerkskammer Südwestfalen")


def test_another_organisation_cannot_edit_the_event(
    page: Page, make_organisation, make_user, make_event, log_in, browser_log
) -> None:
    chamber = make_organisation("IHK Siegen")
    published = make_event("Ausbildungsmesse Siegen", organisation=chamber)
    draft = make_event("Azubi-Speed-Dating Siegen (Entwurf)", organisation=chamber,
                       status="draft")
    published_id, draft_id = published.id, draft.id
    university = make_organisation("Fachhochschule Südwestfalen", "university")
    make_user("events@fh.example", organisation=university)
    browser_log.allow(403)
    browser_log.allow(404)

    log_in("events@fh.example")
    # Their own list does not offer the other organisation's events.
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.locator("main")).not_to_contain_text("Ausbildungsmesse Siegen")

    response = page.goto(f"/manage/events/{published_id}/edit")
    assert response is not None and response.status == 403
    expect(page.locator(".error-page__status")).to_have_text("403")
    expect(page.locator("form.event-form")).to_have_count(0)
    expect(page.locator("#title")).to_have_count(0)

    # A draft of another organisation is not even admitted to exist.
    response = page.goto(f"/manage/events/{draft_id}/edit")
    assert response is not None and response.status == 404
    expect(page.locator(".error-page__status")).to_have_text("404")
    expect(page.locator("main")).not_to_contain_text("Speed-Dating")

    # Nor can they cancel it with a hand-made request carrying a valid CSRF token.
    page.goto("/manage/")
    token = page.locator("form[action='/logout'] input[name=csrf_token]").input_value()
    answer = page.request.post(
        f"/manage/events/{published_id}/status",
        form={"csrf_token": token, "status": "cancelled"}, max_redirects=0,
    )
    assert answer.status == 403
    db.session.expire_all()
    assert db.session.get(Event, published_id).status == "published"
