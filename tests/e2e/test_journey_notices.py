"""Schools by grade, on a computer and on a phone: a teacher finds the fairs for grade 9
and takes the same selection to the feed builder; someone subscribes to change notices
there, confirms from the mail, gets a notice of a cancellation and unsubscribes from it
with one click."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.notices.alerts import SETTLE, send_alerts
from app.notices.models import NoticeSubscription
from app.outbox.models import OutboxMessage
from app.planning import operations
from app.time import local_today, now_utc
from tests.conftest import project_root

ARTIFACTS = project_root() / "test-artifacts" / "e2e"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
EMAIL = "stubo@realschule-olpe.example"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


def outbox(prefix: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxMessage).where(
        OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)).scalars())


@pytest.fixture
def fairs(make_event):
    soon = local_today() + timedelta(days=5)
    return {
        "middle": make_event("Ausbildungsmesse Olpe", town="Olpe", venue="Stadthalle Olpe",
                             day=soon, audiences=("pupils",), grade_from=8, grade_to=10),
        "all": make_event("Berufsinfotag Attendorn", town="Attendorn",
                          venue="Stadthalle Attendorn", day=soon + timedelta(days=2),
                          audiences=("pupils", "parents")),
        "upper": make_event("Studientag Lennestadt", town="Lennestadt",
                            venue="Sauerlandhalle", day=soon + timedelta(days=3),
                            audiences=("pupils",), grade_from=11, grade_to=13),
        "siegen": make_event("Ausbildungsbörse Siegen", town="Siegen",
                             day=soon + timedelta(days=4), audiences=("pupils",),
                             grade_from=9, grade_to=10),
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_a_teacher_finds_the_fairs_for_grade_9(page: Page, fairs, width) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto("/")
    panel = page.locator("details#filters")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    panel.get_by_label("Kreis Olpe").check()
    panel.locator("#f-grade-9").check()
    expect(panel.get_by_text("Klasse (Schülerinnen und Schüler)")).to_be_visible()
    panel.locator("form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"district=OE&grade=9"))
    titles = page.locator(".event-list .event-item__title a")
    expect(titles).to_have_text(["Ausbildungsmesse Olpe", "Berufsinfotag Attendorn"])
    expect(page.locator(".event-item", has_text="Ausbildungsmesse Olpe")).to_contain_text(
        "Schülerinnen und Schüler (Klasse 8–10)")
    expect(page.locator(".event-item", has_text="Berufsinfotag Attendorn")).to_contain_text(
        "Schülerinnen und Schüler (alle Klassen)")
    no_horizontal_scroll(page)
    shot(page, f"notices-grade-9-calendar-{width}")

    # The same selection as a calendar subscription.
    page.get_by_role("link", name="Diese Auswahl abonnieren").click()
    expect(page).to_have_url(re.compile(r"/feeds\?district=OE&grade=9$"))
    expect(page.locator("#fb-district-OE")).to_be_checked()
    expect(page.locator("#fb-grade-9")).to_be_checked()
    expect(page.locator("#fb-grade-8")).not_to_be_checked()
    expect(page.locator("#feed-url")).to_have_value(
        "http://localhost/feeds/all.ics?district=OE&grade=9")
    expect(page.locator(".feed-name")).to_contain_text("Kreis Olpe · Klasse 9")
    expect(page.locator("#feed-result .feed-preview__title")).to_have_text(
        ["Ausbildungsmesse Olpe", "Berufsinfotag Attendorn"])
    no_horizontal_scroll(page)
    shot(page, f"notices-grade-9-feed-builder-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_someone_subscribes_to_change_notices_and_unsubscribes_in_one_click(
        page: Page, fairs, width) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    assert send_alerts(now_utc()) == 0  # the notices start reading the history now
    db.session.commit()

    page.goto("/feeds")
    page.locator("#fb-district-OE").check()
    page.locator("#fb-grade-9").check()  # the result (and its selection) updates itself
    expect(page.locator("#feed-url")).to_have_value(
        "http://localhost/feeds/all.ics?district=OE&grade=9")
    card = page.locator(".notice-subscribe")
    card.scroll_into_view_if_needed()
    card.get_by_label("Ihre E-Mail-Adresse").fill(EMAIL)
    shot(page, f"notices-subscribe-form-{width}")
    card.screenshot(path=str(ARTIFACTS / f"notices-subscribe-card-{width}.png"))
    card.get_by_role("button", name="Änderungen per E-Mail abonnieren").click()

    expect(page.locator("h1")).to_have_text("Bitte bestätigen Sie Ihre Adresse")
    expect(page.locator(".lead")).to_contain_text(EMAIL)
    no_horizontal_scroll(page)
    (confirmation,) = outbox("notices:")
    assert confirmation.recipient == EMAIL and "Kreis Olpe · Klasse 9" in confirmation.body
    link = re.search(r"http://localhost(/notices/confirm/[\w-]+)", confirmation.body)[1]

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Änderungsmitteilungen bestätigen")
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.locator("h1")).to_have_text("Abonniert")
    no_horizontal_scroll(page)
    shot(page, f"notices-confirmed-{width}")

    # A fair of the selection in five days is cancelled: the notice goes out at once.
    operations.cancel_event(fairs["middle"], None, now=now_utc(), reason="Hallenschaden")
    db.session.commit()
    assert send_alerts(now_utc() + SETTLE + timedelta(minutes=1)) == 1
    db.session.commit()
    (notice,) = outbox("notices:")[1:]
    assert notice.subject == "Abgesagt: Ausbildungsmesse Olpe"
    assert notice.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.search(r"http://localhost(/notices/unsubscribe/\S+)", notice.body)[1]
    assert notice.headers["List-Unsubscribe"] == f"<http://localhost{unsubscribe}>"

    # One click on the page the mail's link opens.
    page.goto(unsubscribe)
    expect(page.locator("h1")).to_have_text("Änderungsmitteilungen abbestellen")
    expect(page.locator(".lead")).to_contain_text(EMAIL)
    shot(page, f"notices-unsubscribe-{width}")
    page.get_by_role("button", name="Abbestellen").click()
    expect(page.locator("h1")).to_have_text("Abbestellt")
    expect(page.locator("[role=status]").first).to_contain_text("Ihre Adresse wurde gelöscht")
    no_horizontal_scroll(page)
    shot(page, f"notices-unsubscribed-{width}")
    db.session.expire_all()
    assert db.session.execute(select(NoticeSubscription)).first() is None
    assert outbox("notices:") == []  # the address is gone from the outbox too
