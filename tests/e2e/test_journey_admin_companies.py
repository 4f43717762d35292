"""An admin finds a company in the list, corrects its profile (a wrong website first comes
back with everything typed), gives it a second login; a company's HR person creates the
calendar subscription of their fairs on "My bookings". At desktop and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts.models import Invitation
from app.extensions import db
from app.reference.models import Industry
from tests.e2e.conftest import ARTIFACTS

WIDTHS = {"desktop": 1280, "phone": 375}


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_edits_a_company_and_adds_a_user(page: Page, make_user, make_company,
                                               log_in, browser_log, width) -> None:
    browser_log.allow(422)  # the form with the wrong website comes back as 422
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    make_user("admin@example.org", "admin")
    metall = make_company("Beispiel Metallbau GmbH", "Lüdenscheid")
    metall.industries = [db.session.get(Industry, "METALL")]
    make_company("Klinikum Siegen gGmbH", "Siegen")
    make_company("Holzbau Sauerland KG", "Arnsberg")
    db.session.commit()
    make_user("azubi@metallbau.example", "company", company=metall)

    log_in("admin@example.org")
    page.locator(".subnav a[href='/admin/companies']").click()
    expect(page.locator("h1")).to_have_text("Unternehmen")
    expect(page.locator(".results-count")).to_have_text("3 Unternehmen")
    no_horizontal_scroll(page)
    shot(page, f"admin-companies-list-{width}")

    page.locator("#company-q").fill("metall")
    page.locator("form.company-filters button[type=submit]").click()
    expect(page.locator(".results-count")).to_contain_text("1 Unternehmen")
    page.locator("td a", has_text="Beispiel Metallbau GmbH").click()
    expect(page.locator("h1")).to_have_text("Beispiel Metallbau GmbH")
    no_horizontal_scroll(page)
    shot(page, f"admin-company-{width}")

    page.locator("#website").fill("metallbau.example")
    page.locator("#contact_phone").fill("02351 123-0")
    page.locator("section[aria-labelledby=profile-heading] button[type=submit]").click()
    expect(page.locator("#website-error")).to_contain_text("https://")
    expect(page.locator("#contact_phone")).to_have_value("02351 123-0")
    expect(page.locator("#website")).to_have_value("metallbau.example")
    shot(page, f"admin-company-error-{width}")
    page.locator("#website").fill("https://metallbau.example")
    page.locator("section[aria-labelledby=profile-heading] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("gespeichert")
    expect(page.locator("#website")).to_have_value("https://metallbau.example")

    page.locator("#new-user ~ form #email").fill("personal@metallbau.example")
    page.locator("#new-user ~ form #user-name").fill("Petra Personal")
    page.locator("#new-user ~ form button[type=submit]").click()
    # An invitation, no password on the page: the person chooses it with the mail's link.
    expect(page.locator(".flash-success")).to_contain_text("personal@metallbau.example")
    expect(page.locator("#shown-password")).to_have_count(0)
    expect(page.locator("#users")).to_contain_text("personal@metallbau.example")
    no_horizontal_scroll(page)
    shot(page, f"admin-company-user-added-{width}")
    invitation = db.session.execute(select(Invitation).where(
        Invitation.email == "personal@metallbau.example")).scalar_one()
    assert invitation.company_id == metall.id and invitation.role == "company"


@pytest.mark.parametrize("width", WIDTHS)
def test_company_creates_its_calendar_subscription(page: Page, make_user, make_company,
                                                   log_in, width) -> None:
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    company = make_company("Beispiel Metallbau GmbH", "Lüdenscheid")
    make_user("personal@metallbau.example", "company", company=company)

    log_in("personal@metallbau.example")
    page.goto("/booths/")
    section = page.locator("#subscription")
    expect(section.locator("h2")).to_have_text("Kalender-Abo")
    section.locator("button", has_text="Abo-Adresse anlegen").click()
    address = page.locator("#feed-url")
    expect(address).to_have_value(
        re.compile(r"^http://127\.0\.0\.1:\d+/feeds/company/[\w-]{40,}\.ics$"))
    expect(page.locator("#subscription a[href^='webcal://']")).to_be_visible()
    no_horizontal_scroll(page)
    shot(page, f"company-subscription-{width}")
    url = address.input_value()
    feed = page.request.get(url)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")

    page.goto("/account")
    expect(page.locator("#tokens")).not_to_contain_text("iCal")
    page.locator("#tokens a[href='/booths/#subscription']").click()
    expect(page.locator("#subscription dl")).to_contain_text("aktiv")
    page.locator("#subscription button", has_text="Adresse widerrufen").click()
    expect(page.locator(".flash-success")).to_contain_text("widerrufen")
    assert page.request.get(url).status == 404
