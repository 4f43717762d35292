"""Companies ask for access: the request counts once the address is confirmed, admins
see similar companies before approving, approval invites, rejection gives a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Company, CompanyRequest, Invitation, User
from app.accounts.security import AuditEntry
from app.extensions import db
from tests.accounts.conftest import link_in, mails_to
from tests.conftest import login, municipality

PASSWORD = "firmen-passwort-7"


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", role="admin")


def ask(client, **extra):
    data = {"company_name": "Sauerland Drehteile GmbH",
            "municipality": str(municipality("Meschede").id), "industries": ["METALL"],
            "contact_name": "Paula Personal", "email": "paula@drehteile.example", **extra}
    return client.post("/register/company", data=data)


def confirm(client, email="paula@drehteile.example"):
    path = link_in(mails_to(email)[0], "/register/company/confirm")
    assert client.get(path).status_code == 200  # a button, nothing confirmed yet
    assert db.session.execute(select(CompanyRequest)).scalar_one().status == "unconfirmed"
    return client.post(path)


def test_the_whole_way_from_request_to_a_booking_account(client, admin, make_company):
    make_company("Sauerland-Drehteile Meschede GmbH", town="Meschede")
    make_company("Sauerland Drehteile AG", town="Olpe")  # same core name elsewhere: shown too
    make_company("Beispiel Holzbau GmbH", town="Meschede")
    assert ask(client).status_code == 200
    request = db.session.execute(select(CompanyRequest)).scalar_one()
    assert request.status == "unconfirmed"
    (mail,) = mails_to("paula@drehteile.example")
    assert mail.subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert "24 Stunden" in mail.body and "Sauerland Drehteile GmbH" in mail.body
    login(client, admin)
    assert client.get(f"/admin/requests/{request.id}").status_code == 404  # not yet
    assert confirm(client).status_code == 200
    db.session.refresh(request)
    assert request.status == "pending" and request.confirmed_at is not None
    assert mails_to("admin@example.org")[0].subject == (
        "Neuer Zugangsantrag: Sauerland Drehteile GmbH")
    page = client.get(f"/admin/requests/{request.id}").get_data(as_text=True)
    similar = page[page.index('class="plain-list similar-companies"'):]
    similar = similar[:similar.index("</ul>")]
    assert "Sauerland-Drehteile Meschede GmbH" in similar and "Sauerland Drehteile AG" in similar
    assert "Holzbau" not in similar
    assert client.post(f"/admin/requests/{request.id}/approve").status_code == 302
    company = db.session.execute(select(Company).where(
        Company.name == "Sauerland Drehteile GmbH")).scalar_one()
    assert company.municipality.name == "Meschede" and [i.code for i in company.industries] == [
        "METALL"]
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.company_id == company.id and invitation.name == "Paula Personal"
    approval = mails_to("paula@drehteile.example")[-1]
    assert approval.subject == "Ihr Zugang zum Messekalender Südwestfalen ist freigegeben"
    newcomer = client.application.test_client()
    joined = newcomer.post(link_in(approval, "/invitation"), data={
        "name": "Paula Personal", "new_password": PASSWORD, "confirm_password": PASSWORD})
    assert joined.status_code == 302
    user = db.session.execute(select(User).where(
        User.email == "paula@drehteile.example")).scalar_one()
    assert user.company_id == company.id and user.role == "company"
    actions = [e.action for e in db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions == ["company_request.submitted", "company_request.confirmed",
                       "company_request.approved", "invitation.accepted"]


def test_a_rejection_gives_its_reason(client, admin):
    ask(client)
    confirm(client)
    request = db.session.execute(select(CompanyRequest)).scalar_one()
    login(client, admin)
    empty = client.post(f"/admin/requests/{request.id}/reject", data={"reason": "  "})
    assert empty.status_code == 422
    response = client.post(f"/admin/requests/{request.id}/reject",
                           data={"reason": "Kein Ausbildungsbetrieb in Südwestfalen."})
    assert response.status_code == 302
    mail = mails_to("paula@drehteile.example")[-1]
    assert "Kein Ausbildungsbetrieb in Südwestfalen." in mail.body
    assert db.session.execute(select(Company)).first() is None
    again = client.post(f"/admin/requests/{request.id}/approve")
    assert again.status_code == 302 and db.session.execute(select(Company)).first() is None


def test_an_address_with_an_account_gets_the_same_page_and_a_hint_by_mail(
        client, make_user, make_company):
    make_user("paula@drehteile.example", role="company", company=make_company())
    known = ask(client).get_data(as_text=True)
    unknown = ask(client, email="neu@drehteile.example").get_data(as_text=True)
    assert known.replace("paula@", "X@") == unknown.replace("neu@", "X@")
    assert db.session.execute(select(CompanyRequest)).scalar_one().email == \
        "neu@drehteile.example"
    (hint,) = mails_to("paula@drehteile.example")
    assert "bereits ein Konto" in hint.body and "/register/company/confirm" not in hint.body


@pytest.mark.parametrize(("data", "message"), [
    ({"company_name": ""}, "Namen des Unternehmens"),
    ({"company_name": "Firma\nGmbH"}, "Steuerzeichen"),
    ({"company_name": "x" * 201}, "200"),
    ({"municipality": "999999"}, "angebotenen"),
    ({"municipality": ""}, "Gemeinde"),
    ({"industries": ["NOPE"]}, "angebotenen"),
    ({"contact_name": ""}, "Ansprechperson"),
    ({"email": "kaputt"}, "gültige E-Mail-Adresse"),
    ({"email": "a\x00@b.example"}, "Steuerzeichen"),
])
def test_hostile_requests_are_refused_with_the_input_kept(client, data, message):
    response = ask(client, **data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert db.session.execute(select(CompanyRequest)).first() is None
    assert 'value="Paula Personal"' in html or data.get("contact_name") == ""


def test_bad_confirmation_links(client):
    ask(client)
    path = link_in(mails_to("paula@drehteile.example")[0], "/register/company/confirm")
    assert client.post(path[:-2] + "zz").status_code == 404
    assert client.post(path).status_code == 200
    used = client.post(path)
    assert used.status_code == 410 and "Zugang beantragen" in used.get_data(as_text=True)


def test_companies_and_organisers_cannot_decide(client, make_user, make_company, org_a):
    ask(client)
    confirm(client)
    request = db.session.execute(select(CompanyRequest)).scalar_one()
    for user in (make_user("o@example.org", organisation=org_a),
                 make_user("c@example.org", role="company", company=make_company())):
        login(client, user)
        assert client.post(f"/admin/requests/{request.id}/approve").status_code == 403
    db.session.refresh(request)
    assert request.status == "pending"
