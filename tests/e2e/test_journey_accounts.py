"""Journeys of the rollout, on a desktop and a phone: a company registers, confirms its
address, is approved, sets its password from the mail and books a booth; an organiser
invites a colleague who joins; someone resets a forgotten password. The links come from
the outbox, as they would from the mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.booths import services as booths
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.time import now_utc
from tests.conftest import municipality
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.steps import log_out

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PASSWORD = "mein-sicheres-passwort-7"


def link_from_mail(address: str, path: str) -> str:
    """The path of the link to ``path`` in the newest mail to ``address``."""
    db.session.expire_all()
    body = db.session.execute(
        select(OutboxMessage.body).where(OutboxMessage.recipient == address)
        .order_by(OutboxMessage.id.desc())).scalars().first()
    assert body, f"no mail to {address}"
    found = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"/[\w-]+)", body)
    assert found, body
    return found.group(1)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("device", VIEWPORTS)
def test_a_company_registers_is_approved_and_books(page: Page, device, make_user,
                                                   make_organisation, make_event, log_in):
    page.set_viewport_size(VIEWPORTS[device])
    chamber = make_organisation("IHK Siegen", "ihk")
    organiser = make_user("messe@ihk-siegen.example", organisation=chamber)
    make_user("admin@messekalender.example", role="admin")
    event = make_event("Ausbildungsmesse Olpe", organisation=chamber, town="Olpe",
                       venue="Stadthalle Olpe")
    now = now_utc()
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=2)), now)
    booths.add_category(event, organiser, booths.CategoryData(
        name="Reihenstand 6 m²", size_m2=6, price_cents=15000, capacity=4))
    db.session.commit()

    # The company asks for access.
    page.goto("/login")
    page.locator("a[href='/register/company']").click()
    page.locator("#company_name").fill("Beispiel Drehteile GmbH")
    page.locator("#municipality").select_option(str(municipality("Attendorn").id))
    page.locator("input[name=industries][value=METALL]").check()
    page.locator("#contact_name").fill("Paula Beispiel")
    page.locator("#email").fill("paula@beispiel-drehteile.example")
    shot(page, f"accounts-register-form-{device}")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("paula@beispiel-drehteile.example")

    # It confirms its address with the link from the mail.
    page.goto(link_from_mail("paula@beispiel-drehteile.example", "/register/company/confirm"))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Beispiel Drehteile GmbH")

    # An admin approves it.
    log_in("admin@messekalender.example")
    page.goto("/admin/requests")
    page.locator("a", has_text="Beispiel Drehteile GmbH").click()
    expect(page.locator("#similar-heading")).to_be_visible()
    shot(page, f"accounts-request-review-{device}")
    page.locator("form[action$='/approve'] button").click()
    expect(page.locator(".flash-success")).to_contain_text("paula@beispiel-drehteile.example")
    log_out(page)

    # The contact sets a password with the approval mail's link and is logged in.
    page.goto(link_from_mail("paula@beispiel-drehteile.example", "/invitation"))
    expect(page.locator("h1")).to_contain_text("Willkommen")
    page.locator("#new_password").fill(PASSWORD)
    page.locator("#confirm_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()

    # And books a booth.
    page.goto(f"/booths/events/{event.id}/book")
    page.locator(".booth-choice input[type=radio]").first.check()
    page.locator("form.booking-form button[type=submit]").click()
    expect(page.locator(".booking-result--confirmed")).to_be_visible()
    shot(page, f"accounts-company-booked-{device}")


@pytest.mark.parametrize("device", VIEWPORTS)
def test_an_organiser_invites_a_colleague_who_joins(page: Page, device, make_user,
                                                    make_organisation, log_in):
    page.set_viewport_size(VIEWPORTS[device])
    chamber = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    boss = make_user("chefin@hwk-swf.example", organisation=chamber)
    boss.organisation_role = "admin"
    db.session.commit()
    log_in("chefin@hwk-swf.example")
    page.goto("/account")
    page.locator("a[href='/account/team']").first.click()
    page.locator("#email").fill("kollege@hwk-swf.example")
    page.locator("#name").fill("Karl Kollege")
    page.locator("#invite form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("kollege@hwk-swf.example")
    expect(page.locator("#invitations")).to_contain_text("kollege@hwk-swf.example")
    shot(page, f"accounts-team-invited-{device}")
    log_out(page)

    page.goto(link_from_mail("kollege@hwk-swf.example", "/invitation"))
    expect(page.locator(".lead")).to_contain_text("Handwerkskammer Südwestfalen")
    expect(page.locator("#name")).to_have_value("Karl Kollege")
    page.locator("#new_password").fill(PASSWORD)
    page.locator("#confirm_password").fill(PASSWORD)
    shot(page, f"accounts-invitation-accept-{device}")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.goto("/account/team")
    expect(page.locator("#members-heading")).to_be_visible()
    expect(page.locator("main table").first).to_contain_text("kollege@hwk-swf.example")


@pytest.mark.parametrize("device", VIEWPORTS)
def test_someone_resets_a_forgotten_password(page: Page, device, make_user, make_company,
                                             log_in, browser_log):
    page.set_viewport_size(VIEWPORTS[device])
    browser_log.allow(422)  # the too-short password comes back with its message
    make_user("azubi@beispiel-metallbau.example", role="company", company=make_company())
    page.goto("/login")
    page.locator("a[href='/login/reset']").click()
    page.locator("#email").fill("azubi@beispiel-metallbau.example")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("Postfach")
    shot(page, f"accounts-reset-sent-{device}")

    page.goto(link_from_mail("azubi@beispiel-metallbau.example", "/login/reset"))
    page.locator("#new_password").fill("kurz")
    page.locator("#confirm_password").fill("kurz")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field__errors")).to_contain_text("mindestens 10")
    page.locator("#new_password").fill(PASSWORD)
    page.locator("#confirm_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("neues Passwort")
    log_out(page)
    log_in("azubi@beispiel-metallbau.example", PASSWORD)
