"""A company's private iCal feed: its active bookings with status, set-up and tear-down;
unguessable and revocable; another company's or a guessed token shows nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
import vobject

from app.accounts.models import ApiToken
from app.booths import feed
from app.booths.models import BoothSetup
from app.extensions import db
from tests.api.conftest import bearer
from tests.conftest import login


@pytest.fixture
def booked(fair, category, company, book):
    """Erste GmbH: confirmed at one fair, waitlisted at another, cancelled at a third;
    Zweite GmbH books elsewhere."""
    first, user = company("Erste GmbH")
    second, other_user = company("Zweite GmbH")
    main = fair("Messe Siegen")
    setup = db.session.get(BoothSetup, main.id)
    setup.setup_starts_at = main.starts_at - timedelta(hours=3)
    setup.teardown_ends_at = main.ends_at + timedelta(hours=2)
    db.session.commit()
    book(first, user, category(main))
    full = category(fair("Messe Olpe"), capacity=1)
    book(second, other_user, full)
    book(first, user, full)  # waitlisted, position 1
    book(second, other_user, category(fair("Messe Geheim")))
    return user, other_user


def new_feed(client, user) -> str:
    login(client, user)
    html = client.post("/account/company/feed").get_data(as_text=True)
    match = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1).split("localhost", 1)[-1]


def test_feed_lists_own_bookings_with_status_and_setup(client, booked):
    user, _ = booked
    path = new_feed(client, user)
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.data)
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == [
        "Abbau: Messe Siegen", "Aufbau: Messe Siegen",
        "Messe Olpe [Warteliste, Platz 1]", "Messe Siegen [Gebucht (bestätigt)]",
    ]
    assert "Messe Geheim" not in response.get_data(as_text=True)
    setup = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("Aufbau"))
    fair = next(e for e in calendar.walk("VEVENT") if "Siegen [" in str(e["SUMMARY"]))
    assert setup["DTEND"].dt == fair["DTSTART"].dt
    assert "Ihre Buchung: Gebucht" in str(fair["DESCRIPTION"])
    parsed = vobject.readOne(response.get_data(as_text=True))
    assert len(parsed.vevent_list) == 4


def test_revoked_and_replaced_tokens_are_404(client, booked):
    user, _ = booked
    old = new_feed(client, user)
    new = new_feed(client, user)  # a new address revokes the old one
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    login(client, user)
    client.post("/account/company/feed/revoke")
    assert client.get(new).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc/passwd", "%00" * 30, "a" * 500])
def test_guessed_tokens_are_404_without_information(client, booked, token):
    response = client.get(f"/feeds/company/{token}.ics")
    assert response.status_code == 404
    assert "Erste" not in response.get_data(as_text=True)


def test_feed_and_api_tokens_are_not_interchangeable(client, booked):
    user, _ = booked
    path = new_feed(client, user)
    token = path.rsplit("/", 1)[-1].removesuffix(".ics")
    assert client.get("/api/v1/bookings", headers=bearer(token)).status_code == 401
    stored = db.session.execute(db.select(ApiToken.token_hash)).scalars().all()
    assert token not in stored and ApiToken.hash(token) not in stored
    assert feed.feed_hash(token) in stored


def test_each_company_sees_only_its_own_feed(client, booked):
    user, other_user = booked
    mine = new_feed(client, user)
    theirs = new_feed(client, other_user)
    assert "Messe Geheim" in client.get(theirs).get_data(as_text=True)
    assert "Messe Geheim" not in client.get(mine).get_data(as_text=True)


def test_only_company_users_create_feeds(client, organiser):
    login(client, organiser)
    assert client.post("/account/company/feed").status_code == 404
