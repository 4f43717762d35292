"""The company profile page: a company user edits only their own company; the name stays
as provisioned; contact details never appear publicly; failed forms keep the input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reference.models import Occupation
from tests.conftest import login

URL = "/account/company"


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


@pytest.fixture
def firm(make_company):
    return make_company("Beispiel Metallbau GmbH")


@pytest.fixture
def other(make_company):
    company = make_company("Geheime Konkurrenz AG", "Olpe")
    company.contact_email = "geheim@konkurrenz.example"
    company.contact_phone = "+49 2761 999999"
    db.session.commit()
    return company


@pytest.fixture
def firm_user(make_user, firm):
    return make_user("azubi@metallbau.example", "company", company=firm, language="en")


def form(**overrides) -> dict:
    return {"municipality": "", "industries": ["METALL"],
            "occupations": [str(occupation("Industriemechaniker/-in").id)],
            "website": "https://metallbau.example", "contact_email": "Ausbildung@Metallbau.example",
            "contact_phone": "02351 123456", "description": "Wir bilden aus.", **overrides}


def test_company_user_edits_own_profile(client, firm_user, firm):
    login(client, firm_user)
    page = client.get(URL)
    assert page.status_code == 200 and "Beispiel Metallbau GmbH" in page.get_data(as_text=True)
    response = client.post(URL, data=form(name="Umbenannt GmbH"))
    assert response.status_code == 302
    db.session.refresh(firm)
    assert firm.name == "Beispiel Metallbau GmbH"  # companies do not rename themselves
    assert [i.code for i in firm.industries] == ["METALL"]
    assert [o.name for o in firm.occupations] == ["Industriemechaniker/-in"]
    assert firm.contact_email == "ausbildung@metallbau.example"
    assert firm.contact_phone == "02351 123456"
    assert firm.description == "Wir bilden aus."


@pytest.mark.parametrize(("overrides", "message"), [
    ({"website": "javascript:alert(1)"}, "https://"),
    ({"contact_email": "nobody"}, "valid e-mail address"),
    ({"contact_phone": "call me maybe"}, "telephone number"),
    ({"industries": ["NOPE"]}, "offered values"),
    ({"occupations": ["999999"]}, "offered values"),
    ({"municipality": "999999"}, "offered values"),
    ({"description": "x" * 5001}, "5000"),
    ({"description": "bad\x00byte"}, "not allowed"),
])
def test_failed_forms_keep_the_input(client, firm_user, firm, overrides, message):
    login(client, firm_user)
    response = client.post(URL, data=form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "Wir bilden aus." in html or "description" in overrides  # typed text kept
    db.session.refresh(firm)
    assert firm.description is None and firm.industries == []


def test_no_company_sees_another_companys_contact_data(client, firm_user, other):
    login(client, firm_user)
    for path in (URL, f"{URL}?company_id={other.id}", f"{URL}/{other.id}", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert "geheim@konkurrenz.example" not in html and "999999" not in html
    # Posting cannot reach the other company either.
    client.post(URL, data=form(company_id=str(other.id)))
    db.session.refresh(other)
    assert other.description is None and other.industries == []


def test_contact_data_is_never_public(client, firm_user, firm, other):
    html = client.get("/").get_data(as_text=True)
    assert "geheim@konkurrenz.example" not in html


@pytest.mark.parametrize("role", ["admin", "organiser", None])
def test_only_company_users_have_a_company_page(client, make_user, make_organisation, role):
    if role:
        user = make_user(f"{role}@example.org", role,
                         organisation=make_organisation() if role == "organiser" else None)
        login(client, user)
        assert client.get(URL).status_code == 404
    else:
        assert client.get(URL).status_code == 302  # to the login page


def test_csrf_is_required(csrf_app, test_config, firm_user, firm):
    app = csrf_app(test_config)
    with app.test_client() as client:
        login(client, firm_user)
        assert client.post(URL, data=form()).status_code in (400, 422)
    db.session.refresh(firm)
    assert firm.description is None
