"""Personal and non-public answers are never cached: ``Cache-Control: private,
no-store`` on every page and API answer asked with credentials or of a private area;
public pages and feeds for anonymous visitors keep theirs."""

from __future__ import annotations

import pytest

from app.accounts.services import issue_token
from app.extensions import db
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401
from tests.conftest import login

NO_STORE = "private, no-store"


@pytest.fixture
def world(fair, category, company, book, organiser, make_user):  # noqa: F811
    event = fair("Messe Siegen")
    firm, user = company("Erste GmbH")
    book(firm, user, category(event))
    admin = make_user("admin@example.org", "admin")
    tokens = {"company": issue_token(user), "organiser": issue_token(organiser)}
    db.session.commit()
    return {"event": event, "company": user, "organiser": organiser, "admin": admin,
            "tokens": tokens}


@pytest.mark.parametrize("who, path", [
    ("company", "/account"), ("company", "/booths/"), ("company", "/account/company"),
    ("organiser", "/manage/"), ("organiser", "/manage/events/{id}/booths"),
    ("organiser", "/manage/events/{id}/booths/exhibitors.csv"),
    ("organiser", "/manage/events/{id}/booths/exhibitors.xlsx"),
    ("organiser", "/clashes"), ("admin", "/admin/"), ("admin", "/admin/users"),
    ("admin", "/admin/audit"), ("admin", "/admin/outbox"),
    ("organiser", "/"),  # a public page, but with the user's name in it
])
def test_pages_for_logged_in_users(client, world, who, path):
    login(client, world[who])
    response = client.get(path.format(id=world["event"].id))
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == NO_STORE


@pytest.mark.parametrize("who, path", [
    ("company", "/api/v1/bookings"), ("organiser", "/api/v1/events/{id}"),
    ("organiser", "/api/v1/events/{id}/bookings"), ("organiser", "/api/v1/clashes"),
])
def test_api_answers_with_a_token(client, world, who, path):
    response = client.get(path.format(id=world["event"].id),
                          headers={"Authorization": f"Bearer {world['tokens'][who]}"})
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == NO_STORE


def test_private_areas_even_when_refused(client, world):
    for path in ("/admin/", "/api/v1/bookings", "/booths/"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == NO_STORE, path


def test_public_answers_stay_cacheable(app, world):
    assert "Cache-Control" not in app.test_client().get("/api/v1/events").headers
    feed = app.test_client().get("/feeds/all.ics")
    assert feed.headers["Cache-Control"] == "public, max-age=900"
    static = app.test_client().get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/", "/events/{id}"])
def test_a_page_that_sets_a_cookie_is_not_stored(app, world, path):
    """Public pages' forms (the language switch) carry a CSRF token of the visitor's
    session: a shared cache must not hand it to the next visitor."""
    response = app.test_client().get(path.format(id=world["event"].id))
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == NO_STORE
