"""Single-line fields refuse control characters at every entry — web forms, API, CSV
import, CLI — with a clear message and nothing stored; multi-line fields keep their lines
with normalised line endings (``app.text``)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField, TextAreaField

from app.accounts.models import Company, Organisation, User
from app.accounts.services import issue_token
from app.calendar.models import Event
from app.extensions import db
from app.forms import BaseForm
from app.text import SINGLE_LINE_MESSAGE
from tests.api.conftest import bearer, timed
from tests.calendar.test_editing import form_data
from tests.conftest import login, utc

BREAKS = ["Messe\rSiegen", "Messe\nSiegen", "Messe\r\nSiegen", "Messe\tSiegen",
          "Messe\x0bSiegen", "Messe\x85Siegen", "Messe\u2028Siegen", "Messe\x00Siegen"]


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def all_forms() -> list[type[BaseForm]]:
    found, queue = [], [BaseForm]
    while queue:
        form = queue.pop()
        queue += form.__subclasses__()
        found.append(form)
    return [form for form in found if form is not BaseForm]


def test_every_form_field_people_type_into_is_checked(app: Flask, make_organisation):
    """Every form of the app (all derive from BaseForm): each single-line text field
    refuses a line break, each text area normalises it."""
    make_organisation()
    forms = all_forms()
    assert len(forms) >= 15, [form.__name__ for form in forms]
    checked_lines = checked_areas = 0
    for form_class in forms:
        fields = {name: field for name, field in form_class.__dict__.items()
                  if hasattr(field, "field_class")}
        data = MultiDict({name: "a\r\nb" for name in fields})
        with app.test_request_context(method="POST", data=data):
            form = form_class(formdata=data)
            for name, unbound in fields.items():
                kind = unbound.field_class
                if not issubclass(kind, StringField) or issubclass(kind,
                                                                    PasswordField | HiddenField):
                    continue
                field = form[name]
                field.validate(form)  # this field alone: others need choices set by views
                if issubclass(kind, TextAreaField):
                    assert field.data == "a\nb", (form_class.__name__, name)
                    assert SINGLE_LINE_MESSAGE not in field.errors
                    checked_areas += 1
                else:
                    assert SINGLE_LINE_MESSAGE in field.errors, (form_class.__name__, name)
                    checked_lines += 1
    assert checked_lines >= 20 and checked_areas >= 8, (checked_lines, checked_areas)


def token_for(user: User) -> str:
    token = issue_token(user)
    db.session.commit()
    return token


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@ihk-siegen.example", organisation=make_organisation(),
                     language="en")


@pytest.mark.parametrize("value", BREAKS)
@pytest.mark.parametrize("field", ["title", "venue_name", "contact_name", "venue_street"])
def test_event_form_refuses_and_keeps_the_input(client, organiser, field, value):
    login(client, organiser)
    response = client.post("/manage/events/new", data=form_data(**{field: value}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line breaks, tabs and other control characters are not allowed" in html
    assert "There is a problem" in html and 'class="error-summary__list"' in html
    assert count(Event) == 0


def test_event_form_normalises_the_description(client, organiser):
    login(client, organiser)
    response = client.post("/manage/events/new",
                           data=form_data(description="Zeile 1\r\nZeile 2\rZeile 3"))
    assert response.status_code == 302
    event = db.session.execute(select(Event)).scalar_one()
    assert event.description == "Zeile 1\nZeile 2\nZeile 3"


@pytest.mark.parametrize("value", BREAKS)
def test_admin_organisation_form(client, make_user, value):
    login(client, make_user("admin@example.org", "admin", language="en"))
    response = client.post("/admin/organisations", data={"name": value, "kind": "ihk"})
    assert 400 <= response.status_code < 500
    assert "not allowed" in response.get_data(as_text=True)
    assert count(Organisation) == 0


@pytest.mark.parametrize("value", BREAKS)
@pytest.mark.parametrize("path", [("title",), ("venue", "name"), ("contact", "name"),
                                  ("venue", "street"), ("contact", "phone")])
def test_api_event_create_refuses(client, organiser, path, value):
    body = timed(contact={"name": "Anna"})
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    response = client.post("/api/v1/events", json=body, headers=bearer(token_for(organiser)))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert any("One line only" in message for message in error["fields"][".".join(path)])
    assert count(Event) == 0


def test_api_patch_refuses_and_normalises(client, organiser):
    headers = bearer(token_for(organiser))
    created = client.post("/api/v1/events", json=timed(), headers=headers).get_json()
    refused = client.patch(f"/api/v1/events/{created['id']}", json={"title": "A\rB"},
                           headers=headers)
    assert refused.status_code == 422
    changed = client.patch(f"/api/v1/events/{created['id']}",
                           json={"description": "eins\r\nzwei\rdrei"}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["description"] == "eins\nzwei\ndrei"
    db.session.expire_all()
    assert db.session.get(Event, created["id"]).title == "Ausbildungsmesse Olpe"


@pytest.mark.parametrize("field", ["name", "municipality", "contact_phone", "user_email"])
def test_api_company_create_refuses(client, make_user, field):
    admin = make_user("admin@example.org", "admin")
    body = {"name": "Beispiel Metallbau GmbH", "municipality": "Olpe",
            "user_email": "azubi@metallbau.example", field: "Zeile\nZwei"}
    response = client.post("/api/v1/companies", json=body, headers=bearer(token_for(admin)))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(Company) == 0


def test_csv_import_refuses_a_name_with_a_line_break(client, make_user):
    login(client, make_user("admin@example.org", "admin", language="en"))
    csv = ('name;municipality;description\n'
           '"Beispiel\nMetallbau GmbH";Olpe;"Zeile 1\r\nZeile 2"\n'
           '"Beispiel Holzbau KG";Olpe;"Zeile 1\r\nZeile 2"\n')
    response = client.post("/admin/companies/import",
                           data={"file": (io.BytesIO(csv.encode()), "firmen.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert "Line breaks, tabs and other control characters are not allowed" in html
    assert "Beispiel Holzbau KG" in html
    assert count(Company) == 0


def test_csv_import_normalises_the_description(app, make_user):
    from app.accounts import companies

    [row] = companies.parse_csv(b'name;municipality;description\n'
                                b'"Beispiel Holzbau KG";Olpe;"Zeile 1\r\nZeile 2\rDrei"\n')
    assert row.valid
    admin = make_user("admin@example.org", role="admin")
    [company], _invited, _failed = companies.import_rows([(row.line, row.data)], admin,
                                                         utc(2027, 6, 1, 12))
    assert company.description == "Zeile 1\nZeile 2\nDrei"


@pytest.mark.parametrize("value", ["IHK\nSiegen", "IHK\rSiegen", "IHK\tSiegen"])
def test_cli_create_organisation_refuses(runner, value):
    result = runner.invoke(args=["create-organisation", value])
    assert result.exit_code != 0
    assert "Zeilenumbrüche, Tabulatoren und andere Steuerzeichen" in result.output
    assert count(Organisation) == 0


def test_cli_create_user_refuses_an_address_with_a_line_break(runner, make_organisation):
    make_organisation()
    result = runner.invoke(args=["create-user", "anna@example.org\nBcc: x@example.org",
                                 "--role", "organiser", "--organisation", "IHK Siegen"])
    assert result.exit_code != 0
    assert "gültige E-Mail-Adresse" in result.output
    assert count(User) == 0
