"""Subscribing to change notices from the feed builder: double opt-in, the confirmation
page, one-click unsubscribe (page and RFC 8058 POST), the address deleted when the
subscription ends or was never confirmed; hostile input stores nothing."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.calendar.filters import EventFilter
from app.extensions import db
from app.notices import services as notices
from app.notices.models import NoticeSubscription
from app.outbox.models import OutboxMessage
from app.time import now_utc
from tests.notices.conftest import (
    LAST_MONDAY,
    confirmation_token,
    mails,
    mails_to,
    unsubscribe_link,
)

EMAIL = "stubo@gesamtschule-olpe.example"


def subscriptions() -> list[NoticeSubscription]:
    db.session.expire_all()
    return list(db.session.execute(select(NoticeSubscription)).scalars())


def post_subscribe(client, **fields):
    data = {"email": EMAIL, "language": "de", "district": "OE", "audience": "pupils",
            "grade": ["8", "9", "10"]} | fields
    return client.post("/notices/subscribe", data=data)


def test_the_feed_builder_offers_the_form_with_the_chosen_selection(client):
    page = client.get("/feeds?district=OE&grade=9&grade=10").get_data(as_text=True)
    assert '<form id="notice-form" class="form notice-form" method="post" ' \
           'action="/notices/subscribe"' in page
    assert '<input type="hidden" name="district" value="OE" form="notice-form">' in page
    assert '<input type="hidden" name="grade" value="10" form="notice-form">' in page
    # The hidden inputs sit in the result, which the feed builder refreshes as boxes change.
    result = page[page.index('id="feed-result"'):page.index('id="h-notices"')]
    assert 'form="notice-form"' in result
    assert "3. Oder: Änderungen per E-Mail" in page


def test_subscribing_sends_a_confirmation_link_and_stores_a_pending_address(client):
    response = post_subscribe(client, email="  StuBO@Gesamtschule-Olpe.example ")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Wir haben eine E-Mail an {EMAIL} geschickt" in page
    (subscription,) = subscriptions()
    assert subscription.email == EMAIL and not subscription.confirmed
    assert subscription.selection == "district=OE&audience=pupils&grade=8&grade=9&grade=10"
    (mail,) = mails_to(EMAIL, "confirm")
    assert mail.subject == "Bitte bestätigen: Änderungsmitteilungen des Messekalenders " \
                           "Südwestfalen"
    assert "Kreis Olpe · für Schülerinnen und Schüler · Klasse 8–10" in mail.body
    assert "http://localhost/notices/confirm/" in mail.body
    # No List-Unsubscribe yet: nothing is subscribed before the confirmation.
    assert mail.headers is None
    # Only the token's hash is stored.
    token = confirmation_token(EMAIL)
    assert token not in (subscription.confirm_hash or "") and len(subscription.confirm_hash) == 64


def test_opening_the_link_changes_nothing_the_button_confirms(client):
    post_subscribe(client)
    token = confirmation_token(EMAIL)
    page = client.get(f"/notices/confirm/{token}")
    assert page.status_code == 200
    assert "Bestätigen</button>" in page.get_data(as_text=True)
    assert not subscriptions()[0].confirmed  # a mail scanner's GET subscribes nobody
    done = client.post(f"/notices/confirm/{token}")
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Abonniert" in html
    assert f"{EMAIL} erhält jetzt Änderungsmitteilungen zu:" in html
    (subscription,) = subscriptions()
    assert subscription.confirmed and subscription.digest_since == subscription.confirmed_at
    assert re.search(r'href="/notices/unsubscribe/[\w-]+\.[0-9a-f]{32}">Abbestellen', html)
    # The same link again: already confirmed, nothing changes.
    again = client.post(f"/notices/confirm/{token}")
    assert again.status_code == 200 and "Bereits bestätigt" in again.get_data(as_text=True)
    assert subscriptions()[0].confirmed_at == subscription.confirmed_at


def test_forged_and_expired_confirmation_links_lead_to_clear_pages(client, app):
    post_subscribe(client)
    token = confirmation_token(EMAIL)
    forged = client.get("/notices/confirm/" + "A" * 43)
    assert forged.status_code == 404
    assert "Dieser Link ist nicht gültig" in forged.get_data(as_text=True)
    assert client.post("/notices/confirm/" + token[:-1] + "x").status_code == 404
    subscription = subscriptions()[0]
    subscription.confirm_expires_at = now_utc() - timedelta(minutes=1)
    db.session.commit()
    expired = client.post(f"/notices/confirm/{token}")
    html = expired.get_data(as_text=True)
    assert expired.status_code == 410 and "Dieser Link ist abgelaufen" in html
    assert 'href="/feeds?district=OE&amp;audience=pupils&amp;grade=8&amp;grade=9&amp;grade=10"' \
        in html
    assert not subscriptions()[0].confirmed


def test_unsubscribing_with_one_click_deletes_the_address(client, subscribed):
    subscription = subscribed(EMAIL, "district=OE")
    subscribed("other@school.example", "district=OE")
    notices.subscribe(EMAIL, EventFilter(districts=("OE",)), "de", LAST_MONDAY)  # "already"
    db.session.commit()
    (already,) = mails_to(EMAIL, "already")
    path = unsubscribe_link(already)
    ask = client.get(path)
    assert ask.status_code == 200
    assert f"Änderungsmitteilungen an {EMAIL} abbestellen zu:" in ask.get_data(as_text=True)
    assert len(subscriptions()) == 2  # a GET (a link scanner) unsubscribes nobody
    done = client.post(path)
    assert done.status_code == 200
    assert "Ihre Adresse wurde gelöscht" in done.get_data(as_text=True)
    remaining = subscriptions()
    assert [sub.email for sub in remaining] == ["other@school.example"]
    # The address is nowhere any more: not in the subscriptions, not in the outbox.
    assert db.session.execute(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == EMAIL)).scalar() == 0
    assert mails_to("other@school.example", "confirm")
    assert subscription.handle not in {sub.handle for sub in remaining}
    # Used again: it has ended, said plainly.
    gone = client.post(path)
    assert gone.status_code == 200 and "Bereits abbestellt" in gone.get_data(as_text=True)
    assert "Bereits abbestellt" in client.get(path).get_data(as_text=True)


def test_rfc_8058_one_click_post_works_without_cookie_or_csrf_token(test_config, subscribed):
    subscribed(EMAIL, "grade=9")
    notices.subscribe(EMAIL, EventFilter(grades=(9,)), "de", LAST_MONDAY)
    db.session.commit()
    path = unsubscribe_link(mails_to(EMAIL, "already")[0])
    app = create_app(test_config | {"WTF_CSRF_ENABLED": True})
    try:
        with app.test_client() as mail_provider:
            response = mail_provider.post(path, data="List-Unsubscribe=One-Click",
                                          content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert subscriptions() == []
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("token", ["nothing", "abc.def", "x" * 400, ".", "abc."])
def test_forged_unsubscribe_links_unsubscribe_nobody(client, subscribed, token):
    subscription = subscribed(EMAIL)
    for response in (client.get(f"/notices/unsubscribe/{token}"),
                     client.post(f"/notices/unsubscribe/{token}")):
        assert response.status_code == 404
        assert "Dieser Link ist nicht gültig" in response.get_data(as_text=True)
    genuine = notices.unsubscribe_token(subscription)
    handle, signature = genuine.split(".")
    assert client.post(f"/notices/unsubscribe/{handle}.{signature[::-1]}").status_code == 404
    assert client.post(f"/notices/unsubscribe/{handle}x.{signature}").status_code == 404
    assert len(subscriptions()) == 1


def test_asking_again_does_not_tell_who_is_subscribed_and_adds_no_row(client, subscribed):
    subscribed(EMAIL, "district=OE&audience=pupils&grade=8&grade=9&grade=10")
    response = post_subscribe(client)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Wir haben eine E-Mail an {EMAIL} geschickt" in page  # the same words as new
    assert len(subscriptions()) == 1
    (mail,) = mails_to(EMAIL, "already")
    assert mail.subject == "Sie erhalten diese Änderungsmitteilungen bereits"
    # A different selection is a subscription of its own.
    post_subscribe(client, district="SI")
    assert len(subscriptions()) == 2


def test_confirmation_mails_are_limited_per_pending_subscription(client):
    for _ in range(3):
        assert post_subscribe(client).status_code == 303
    response = post_subscribe(client)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wir haben bereits mehrere Bestätigungslinks" in page
    assert len(mails_to(EMAIL, "confirm")) == 3
    # Each new link replaces the last: only the latest confirms.
    tokens = [re.search(r"/notices/confirm/([\w-]+)", m.body)[1] for m in mails_to(EMAIL,
                                                                                   "confirm")]
    assert client.post(f"/notices/confirm/{tokens[0]}").status_code == 404
    assert client.post(f"/notices/confirm/{tokens[-1]}").status_code == 200


def test_unconfirmed_addresses_are_deleted_when_the_link_expires(app, subscribed):
    notices.subscribe("pending@school.example", EventFilter(), "en", LAST_MONDAY)
    subscribed(EMAIL)
    db.session.commit()
    assert notices.forget_unconfirmed(LAST_MONDAY + timedelta(hours=47)) == 0
    assert notices.forget_unconfirmed(LAST_MONDAY + timedelta(hours=48)) == 1
    db.session.commit()
    assert [sub.email for sub in subscriptions()] == [EMAIL]
    assert all(mail.recipient != "pending@school.example" for mail in mails())


def test_the_confirmation_mail_is_in_the_chosen_language(client):
    post_subscribe(client, language="en", email="teacher@school.example")
    (mail,) = mails_to("teacher@school.example", "confirm")
    assert mail.language == "en"
    assert mail.subject == "Please confirm: change notices of the Messekalender Südwestfalen"
    assert "Kreis Olpe · for Pupils · grades 8–10" in mail.body
    assert "it works for 48 hours" in mail.body


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": ""}, "Bitte geben Sie Ihre E-Mail-Adresse ein."),
    ({"email": "keine-adresse"}, "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
    ({"email": "a@b.example\r\nBcc: victim@example.org"},
     "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
    ({"email": "x" * 250 + "@b.example"}, "254"),
    ({"email": "nul\x00@school.example"}, "gültige E-Mail-Adresse"),
    ({"language": "fr"}, "Bitte wählen Sie Deutsch oder Englisch."),
    ({"language": ""}, "Bitte wählen Sie Deutsch oder Englisch."),
    ({"grade": ["4"]}, "Bitte wählen Sie Klassen von 5 bis 13."),
    ({"grade": ["8", "neun"]}, "Bitte wählen Sie Klassen von 5 bis 13."),
    ({"district": "XX"}, "Unbekannter Kreis"),
    ({"occupation": "99999999"}, "Unbekannter Ausbildungsberuf"),
])
def test_bad_input_is_refused_with_a_message_and_stores_nothing(client, fields, message):
    response = post_subscribe(client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert subscriptions() == [] and mails() == []
    # What was typed comes back (unless it was the broken part).
    if "email" not in fields:
        assert f'value="{EMAIL}"' in html


def test_without_csrf_token_nothing_is_stored(app, csrf_app, test_config):
    app = csrf_app(test_config)
    with app.test_client() as client:
        response = client.post("/notices/subscribe", data={"email": EMAIL, "language": "de"})
    assert response.status_code == 400
    assert subscriptions() == []


def test_the_subscribe_page_without_a_form_shows_the_selection(client):
    page = client.get("/notices/subscribe?district=SI&grade=9")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kreis Siegen-Wittgenstein · Klasse 9" in html
    assert '<input type="hidden" name="grade" value="9">' in html
    assert client.get("/notices/subscribe?grade=99").status_code == 400
    assert client.get("/notices/subscribe/sent").status_code == 302


def test_the_same_subscription_at_once_from_two_requests_is_one_row(app):
    """Two teachers of one school press the button at the same moment."""
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    # Both requests run in this test's app, each in its own context and session: two apps
    # built in two threads at once can trip CPython 3.11's AST recursion check.
    def request() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes.append(notices.subscribe(
                    EMAIL, EventFilter(districts=("MK",)), "de", LAST_MONDAY).outcome)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert outcomes == ["sent", "sent"]
    assert len(subscriptions()) == 1
    assert subscriptions()[0].confirmations_sent in (1, 2)
