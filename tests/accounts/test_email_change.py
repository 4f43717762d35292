"""Changing the e-mail address: confirmed by a link to the new address, the old one told;
taken addresses reveal nothing."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.extensions import db
from tests.accounts.conftest import link_in, mails_to
from tests.conftest import PASSWORD, login


@pytest.fixture
def organiser(client, make_user, org_a):
    user = make_user("alt@ihk-siegen.example", organisation=org_a)
    login(client, user)
    return user


def change(client, new="neu@ihk-siegen.example", password=PASSWORD):
    return client.post("/account/email", data={"new_email": new,
                                               "current_password": password})


def test_the_new_address_confirms_and_the_old_one_is_told(client, organiser):
    assert change(client, " Neu@IHK-Siegen.example ").status_code == 302
    db.session.refresh(organiser)
    assert organiser.email == "alt@ihk-siegen.example"  # not before the confirmation
    (confirm,) = mails_to("neu@ihk-siegen.example")
    assert confirm.subject == "Bitte bestätigen Sie Ihre neue E-Mail-Adresse"
    (told,) = mails_to("alt@ihk-siegen.example")
    assert "neu@ihk-siegen.example" in told.body
    path = link_in(confirm, "/account/email")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    db.session.refresh(organiser)
    assert organiser.email == "neu@ihk-siegen.example"
    assert mails_to("alt@ihk-siegen.example")[-1].subject == "Ihre E-Mail-Adresse wurde geändert"
    assert client.post(path).status_code == 410
    assert client.post("/login", data={"email": "neu@ihk-siegen.example",
                                       "password": PASSWORD}).status_code in (302, 200)


def test_a_taken_address_gets_the_same_answer(client, organiser, organiser_b):
    taken = change(client, organiser_b.email)
    assert taken.status_code == 302
    assert "/account/email/" not in mails_to(organiser_b.email)[0].body
    db.session.refresh(organiser)
    assert organiser.email == "alt@ihk-siegen.example"


@pytest.mark.parametrize(("new", "password", "message"), [
    ("neu@ihk-siegen.example", "falsch-123456", "aktuelle Passwort ist falsch"),
    ("kaputt", PASSWORD, "gültige E-Mail-Adresse"),
    ("alt@ihk-siegen.example", PASSWORD, "Ihre aktuelle Adresse"),
    ("a\nb@example.org", PASSWORD, "Steuerzeichen"),
])
def test_bad_changes_are_refused(client, organiser, new, password, message):
    response = change(client, new, password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert mails_to("alt@ihk-siegen.example") == []


def test_an_address_taken_in_the_meantime_is_not_stolen(client, organiser, make_user, org_b):
    change(client)
    path = link_in(mails_to("neu@ihk-siegen.example")[0], "/account/email")
    make_user("neu@ihk-siegen.example", organisation=org_b)
    response = client.post(path)
    assert response.status_code == 422
    assert db.session.query(User).filter_by(email="neu@ihk-siegen.example").count() == 1
