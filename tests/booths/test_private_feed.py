"""A company's private iCal feed ("Kalender-Abo"): its active bookings with status, set-up
and tear-down; unguessable and revocable on "My bookings"; another company's or a guessed
token shows nothing; the feed token is no API token (not usable, not listed)."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import select

from app.accounts.models import ApiToken
from app.accounts.security import AuditEntry
from app.booths import feed
from app.booths.models import BoothSetup, CompanyFeedToken
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
    """Create the subscription on "My bookings" as the user would; its path."""
    login(client, user)
    html = client.post("/booths/subscription").get_data(as_text=True)
    match = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1).split("localhost", 1)[-1]


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".ics")


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
    response = client.post("/booths/subscription/revoke")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/booths/#subscription")
    assert client.get(new).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 43, "../../etc/passwd", "%00" * 30, "a" * 500])
def test_guessed_tokens_are_404_without_information(client, booked, token):
    response = client.get(f"/feeds/company/{token}.ics")
    assert response.status_code == 404
    assert "Erste" not in response.get_data(as_text=True)


def test_feed_and_api_tokens_are_not_interchangeable(client, booked):
    user, _ = booked
    token = token_of(new_feed(client, user))
    # Neither the token nor the value its stored hash is taken over opens the API.
    for value in (token, f"company-feed:{token}"):
        response = client.get("/api/v1/bookings", headers=bearer(value))
        assert response.status_code == 401, value
        assert response.get_json()["error"]["code"] == "invalid_token"
    assert db.session.execute(select(ApiToken)).scalars().all() == []
    stored = db.session.execute(select(CompanyFeedToken.token_hash)).scalars().all()
    assert stored == [feed.feed_hash(token)]
    assert token not in stored and ApiToken.hash(token) not in stored
    # ... and an API token is no feed address.
    api_token = feed_user_api_token(user)
    assert client.get(f"/feeds/company/{api_token}.ics").status_code == 404


def feed_user_api_token(user) -> str:
    from app.accounts.services import issue_token

    token = issue_token(user, "iCal feed (company)")  # even with the old feed label
    db.session.commit()
    return token


def test_each_company_sees_only_its_own_feed(client, booked):
    user, other_user = booked
    mine = new_feed(client, user)
    theirs = new_feed(client, other_user)
    assert "Messe Geheim" in client.get(theirs).get_data(as_text=True)
    assert "Messe Geheim" not in client.get(mine).get_data(as_text=True)


def test_only_company_users_create_feeds(client, organiser):
    login(client, organiser)
    assert client.post("/booths/subscription").status_code == 403
    assert client.post("/booths/subscription/revoke").status_code == 403
    assert db.session.execute(select(CompanyFeedToken)).scalars().all() == []


def test_the_subscription_is_not_in_the_api_token_list(client, booked):
    user, _ = booked
    new_feed(client, user)
    html = client.get("/account").get_data(as_text=True)
    tokens = html[html.index('id="tokens"'):]
    assert "Sie haben noch keine API-Tokens." in tokens or "no API tokens" in tokens
    assert "iCal" not in tokens and "<table" not in tokens
    assert 'href="/booths/#subscription"' in tokens  # where it is instead


def test_my_bookings_shows_the_subscription_once_then_its_state(client, booked, app):
    user, _ = booked
    login(client, user)
    page = client.get("/booths/").get_data(as_text=True)
    assert 'id="subscription-heading">Kalender-Abo</h2>' in page
    assert "Ihr Unternehmen hat noch keine Abo-Adresse." in page
    created = client.post("/booths/subscription")
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    path = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html).group(1)
    assert path.startswith("http://localhost/feeds/company/")
    assert f'href="webcal://localhost/feeds/company/{token_of(path)}.ics"' in html
    assert "nicht erneut angezeigt" in html

    page = client.get("/booths/").get_data(as_text=True)
    assert token_of(path) not in page  # shown once only
    assert "aktiv" in page and user.email in page
    assert "noch nicht" in page  # not fetched yet
    assert client.get(path.split("localhost", 1)[1]).status_code == 200
    page = client.get("/booths/").get_data(as_text=True)
    assert "noch nicht" not in page
    assert db.session.execute(select(CompanyFeedToken.last_used_at)).scalar_one() is not None


def test_any_user_of_the_company_revokes_it_and_it_is_audited(
        client, booked, make_user):
    user, _ = booked
    path = new_feed(client, user)
    colleague = make_user("kollegin@firma1.example", "company", company=user.company)
    login(client, colleague)
    assert "aktiv" in client.get("/booths/").get_data(as_text=True)
    client.post("/booths/subscription/revoke")
    assert client.get(path).status_code == 404
    actions = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_id).order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in actions] == [("feed.created", user.id),
                                               ("feed.revoked", colleague.id)]


def test_a_deactivated_creator_takes_the_address_with_them(client, booked):
    user, _ = booked
    path = new_feed(client, user)
    user.active = False
    db.session.commit()
    assert client.get(path).status_code == 404
    assert feed.active_feed_token(user.company) is None


def test_the_api_token_revoke_route_does_not_reach_a_feed_token(client, booked):
    user, _ = booked
    path = new_feed(client, user)
    row = db.session.execute(select(CompanyFeedToken)).scalar_one()
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert client.get(path).status_code == 200


def test_new_address_comes_with_copy_buttons_app_steps_and_the_renewal_warning(client, booked):
    user, _ = booked
    login(client, user)
    fresh = client.post("/booths/subscription").get_data(as_text=True)
    buttons = re.findall(r'<button type="button" class="button" data-copy="([^"]+)" hidden>',
                         fresh)
    assert buttons == ["feed-url", "feed-webcal"]
    assert re.search(r'id="feed-webcal"[^>]*value="webcal://localhost/feeds/company/', fresh)
    assert 'data-copy-status data-copied="Adresse kopiert."' in fresh
    # The same steps per app as on /feeds, from the same partial.
    steps = fresh[fresh.index('id="h-howto"'):]
    for app_name in ("Google Kalender", "Outlook", "Apple Kalender", "Thunderbird"):
        assert app_name in steps
    assert "alle 6 Stunden" in steps and "QR-Code" not in steps
    assert "beendet die bisherige für alle, die sie abonniert haben" in fresh
    # Later visits show no address (it is stored as a hash), so no steps either.
    later = client.get("/booths/").get_data(as_text=True)
    assert 'id="h-howto"' not in later and 'data-copy=' not in later
    assert "beendet die bisherige für alle, die sie abonniert haben" in later
