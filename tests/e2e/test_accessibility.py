"""axe-core on every page of every role, at 1280×800 and 390×844.

The demo is seeded (with a clash, a cancelled and a waitlisted booking on top, so the
board and the booking pages show their states); each role logs in through the form and
every page it can reach (found in ``app.url_map``, see ``pages.py``) is checked at both
sizes. A critical or serious violation fails; the counts of all are printed and written
to ``test-artifacts/e2e/axe-<role>.txt``.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import Page as BrowserPage
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import find_company, find_organisation, find_user
from app.booths import services as booths
from app.calendar import services as calendar
from app.calendar.models import Event
from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from app.planning import operations
from app.time import local_to_utc, local_today, now_utc
from tests.conftest import municipality, project_root
from tests.e2e.axe import Tally, blocking, run_axe
from tests.e2e.pages import candidate_rules, reachable_pages, unknown_arguments

ARTIFACTS = project_root() / "test-artifacts" / "e2e"
WIDTHS = ((1280, 800), (390, 844))
ROLES = {
    "anonymous": None,
    "company": "metallbau@messekalender.example",
    "organiser": "ihk-siegen@messekalender.example",
    "admin": "admin@messekalender.example",
}


def seed_site() -> None:
    """The demo, plus what makes the logged-in pages show their states."""
    today = local_today()
    seed_demo(today)
    now = now_utc()
    fair = db.session.execute(
        select(Event).where(Event.title == "Ausbildungsmesse Siegen")).scalars().first()
    day = fair.starts_at.date() if fair.starts_at else fair.first_day
    sihk = find_organisation("Südwestfälische IHK zu Hagen (SIHK)")
    planner = find_user("sihk@messekalender.example")
    clashing = calendar.EventData(
        title="Berufsinfotag Kreuztal", event_type="training_fair",
        venue=calendar.find_or_create_venue("Stadthalle Kreuztal", municipality("Kreuztal")),
        all_day=False, starts_at=local_to_utc(day, time(10)), ends_at=local_to_utc(day, time(15)),
        audiences=["pupils"], industries=["CROSS"])
    operations.create_event(sihk, planner, clashing, now=now, status="planned",
                            clash_note="Mit der IHK Siegen abgesprochen: anderer Schwerpunkt.")
    # A fair whose booths are allocated by lottery (its rules page exists for those only).
    siegen = find_organisation("IHK Siegen")
    chamber = find_user("ihk-siegen@messekalender.example")
    lottery_day = day + timedelta(days=21)
    lottery = operations.create_event(siegen, chamber, calendar.EventData(
        title="Ausbildungsbörse Netphen", event_type="training_fair",
        venue=calendar.find_or_create_venue("Rathaus Netphen", municipality("Netphen")),
        all_day=False, starts_at=local_to_utc(lottery_day, time(9)),
        ends_at=local_to_utc(lottery_day, time(13)), audiences=["pupils"],
        industries=["CROSS"]), now=now, status="published",
        clash_note="Demo: eine Messe mit Losverfahren.")
    booths.configure_fair(lottery, chamber, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=lottery.starts_at - timedelta(days=7),
        allocation="lottery", priority_groups=["members", "first_time"]), now)
    booths.add_category(lottery, chamber, booths.CategoryData(
        name="Standard 9 m²", size_m2=9.0, price_cents=0, capacity=3))
    company = find_company("Beispiel Metallbau GmbH")
    user = find_user("metallbau@messekalender.example")
    for booking in db.session.execute(booths.company_bookings(company)).scalars():
        if booking.status in ("pending", "waitlisted"):
            booths.cancel(booking, user, now + timedelta(seconds=1))
            break
    db.session.commit()


@pytest.fixture
def site(app, live_server):
    seed_site()
    return live_server


def user_of(role: str) -> User | None:
    return find_user(ROLES[role]) if ROLES[role] else None


def test_every_page_is_reached(site) -> None:
    """Every page-like GET rule is filled from the data and opened by some role; a rule
    whose arguments cannot be filled is named here (add them to ``pages.TEXT_VALUES``)."""
    rules = candidate_rules(site.app)
    unfillable = {rule.rule: unknown_arguments(rule) for rule in rules if unknown_arguments(rule)}
    assert not unfillable, f"cannot fill the arguments of {unfillable}"
    reached = {page.endpoint for role in ROLES
               for page in reachable_pages(site.app, user_of(role))}
    missing = sorted(rule.rule for rule in rules
                     if rule.endpoint not in reached | NOT_A_PAGE)
    assert not missing, f"pages no role reached: {missing}"
    assert {"calendar.index", "booths.my_bookings", "editing.index", "admin.index",
            "clash_board.board", "clash_board.year_overview"} <= reached


# Endpoints that answer no role with a page of their own.
NOT_A_PAGE = {
    "health.healthz",  # JSON for monitors
    "notices.sent",  # "check your inbox", shown once after subscribing (its own journey)
}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_violation_on_any_page(role: str, site, page: BrowserPage, log_in,
                                          browser_log) -> None:
    browser_log.allow(404)  # the page of a mail's link with an unknown token
    user = user_of(role)
    pages = reachable_pages(site.app, user)
    if user is not None:
        log_in(user.email, DEMO_PASSWORD)
    tally = Tally()
    for found in pages:
        page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
        page.goto(found.url)
        tally.pages.add(found.url)
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            tally.violations += run_axe(page, found.url)
    report = tally.summary(role)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{role}.txt").write_text(
        report + "\n\n" + "\n".join(map(str, tally.violations)) + "\n")
    print(report)
    assert len(pages) >= 3
    serious = blocking(tally.violations)
    assert not serious, "\n".join(map(str, serious))
