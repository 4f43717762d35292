"""Admin pages: access, organisations, users (create, deactivate, reset password)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Invitation, Organisation, User
from app.extensions import db
from tests.accounts.conftest import mails_to
from tests.conftest import PASSWORD, login


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", role="admin", language="en")


@pytest.fixture
def as_admin(client, admin):
    login(client, admin)
    return client


def users_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["organiser", "company"])
def test_non_admins_are_refused(client, make_user, make_organisation, make_company, role):
    membership = ({"organisation": make_organisation()} if role == "organiser"
                  else {"company": make_company()})
    login(client, make_user("user@example.org", role=role, **membership))
    for url in ("/admin/", "/admin/users", "/admin/organisations"):
        assert client.get(url).status_code == 403
    response = client.post("/admin/organisations", data={"name": "Neu", "kind": "ihk"})
    assert response.status_code == 403
    assert "Neu" not in db.session.execute(select(Organisation.name)).scalars().all()


def test_index_counts(as_admin, make_organisation, make_event):
    make_organisation()
    make_event(status="published")
    make_event("Entwurf", status="draft")
    html = as_admin.get("/admin/").get_data(as_text=True)
    assert "Organisations" in html and "Published" in html
    assert re.search(r"Events: Published</dt><dd>1</dd>", html)


def test_create_and_edit_organisation(as_admin):
    response = as_admin.post("/admin/organisations", data={
        "name": "Wirtschaftsförderung Olpe", "kind": "wfg",
        "website": "https://wfg-olpe.example", "email": "info@wfg-olpe.example",
    })
    assert response.status_code == 302
    organisation = db.session.execute(select(Organisation)).scalar_one()
    assert (organisation.kind, organisation.website) == ("wfg", "https://wfg-olpe.example")
    assert "Wirtschaftsförderung Olpe" in as_admin.get("/admin/organisations").get_data(
        as_text=True)

    response = as_admin.post(f"/admin/organisations/{organisation.id}", data={
        "name": "WFG Kreis Olpe", "kind": "wfg", "website": "", "email": "",
    })
    assert response.status_code == 422  # the contact address is required
    assert "Kontaktadresse" in response.get_data(as_text=True) or \
        "contact address" in response.get_data(as_text=True)
    response = as_admin.post(f"/admin/organisations/{organisation.id}", data={
        "name": "WFG Kreis Olpe", "kind": "wfg", "website": "", "email": "ausbildung@wfg.example",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert organisation.name == "WFG Kreis Olpe" and organisation.website is None
    assert organisation.email == "ausbildung@wfg.example"


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "IHK Siegen", "kind": "ihk", "email": "a@ihk.example"}, "exists already"),
    ({"name": "Neu", "kind": "ihk"}, "contact address"),
    ({"name": "Neu", "kind": "casino"}, "Please choose one of the offered values."),
    ({"name": "N" * 300, "kind": "ihk"}, "200"),
    ({"name": "Neu", "kind": "ihk", "website": "javascript:alert(1)"}, "https://"),
])
def test_organisation_errors(as_admin, make_organisation, data, message):
    make_organisation()
    response = as_admin.post("/admin/organisations", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{data["name"]}"' in html
    assert len(db.session.execute(select(Organisation)).all()) == 1


def test_inviting_a_user_sends_a_link_and_shows_no_password(as_admin, make_organisation):
    organisation = make_organisation()
    response = as_admin.post("/admin/users", data={
        "email": "Neu@IHK-Siegen.example", "name": "Neue Organisatorin", "role": "organiser",
        "organisation": str(organisation.id), "company": "", "language": "de",
        "organisation_role": "admin",
    })
    assert response.status_code == 302
    assert users_by_email("neu@ihk-siegen.example") is None  # no account until they join
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.organisation_id == organisation.id and invitation.role == "organiser"
    assert invitation.organisation_role == "admin" and invitation.name == "Neue Organisatorin"
    (mail,) = mails_to("neu@ihk-siegen.example")
    assert "/invitation/" in mail.body and "IHK Siegen" in mail.body
    page = as_admin.get("/admin/users").get_data(as_text=True)
    assert "neu@ihk-siegen.example" in page and 'id="shown-password"' not in page
    assert 'name="password"' not in page


def test_admin_sends_an_invitation_again_and_withdraws_it(as_admin, make_company, client):
    company = make_company()
    as_admin.post("/admin/users", data={
        "email": "firma@example.org", "role": "company", "company": str(company.id),
        "organisation": "", "language": "en", "organisation_role": "member"})
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert as_admin.post(f"/admin/invitations/{invitation.id}/resend").status_code == 302
    first, second = mails_to("firma@example.org")
    assert second.language == "en" and second.subject.startswith("Invitation")
    old = re.search(r"(/invitation/[\w-]+)", first.body).group(1)
    new = re.search(r"(/invitation/[\w-]+)", second.body).group(1)
    assert client.get(old).status_code == 410 and client.get(new).status_code == 200
    assert as_admin.post(f"/admin/invitations/{invitation.id}/withdraw").status_code == 302
    assert client.get(new).status_code == 410
    db.session.refresh(invitation)
    assert invitation.withdrawn_at is not None


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "admin@example.org", "role": "admin"}, "exists already"),
    ({"email": "x@example.org", "role": "organiser"}, "An organiser belongs to an organisation."),
    ({"email": "x@example.org", "role": "pope"}, "Please choose one of the offered values."),
    ({"email": "not-an-address", "role": "admin"}, "valid e-mail"),
])
def test_user_errors(as_admin, data, message):
    response = as_admin.post("/admin/users", data={"language": "de", **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{data["email"]}"' in html
    assert len(db.session.execute(select(User)).all()) == 1
    assert db.session.execute(select(Invitation)).first() is None


def test_deactivate_and_activate(as_admin, make_user, make_organisation, client):
    user = make_user("orga@example.org", organisation=make_organisation())
    assert as_admin.post(f"/admin/users/{user.id}/active",
                         data={"active": "0"}).status_code == 302
    assert users_by_email("orga@example.org").active is False
    assert as_admin.post(f"/admin/users/{user.id}/active",
                         data={"active": "1"}).status_code == 302
    assert users_by_email("orga@example.org").active is True


def test_admin_cannot_deactivate_themselves(as_admin, admin):
    as_admin.post(f"/admin/users/{admin.id}/active", data={"active": "0"})
    assert users_by_email("admin@example.org").active is True


def test_reset_password_sends_a_link_to_the_user(as_admin, make_user, make_organisation):
    user = make_user("orga@example.org", organisation=make_organisation())
    response = as_admin.post(f"/admin/users/{user.id}/password")
    assert response.status_code == 302
    assert 'id="shown-password"' not in as_admin.get("/admin/users").get_data(as_text=True)
    (mail,) = mails_to("orga@example.org")
    assert "/login/reset/" in mail.body
    assert users_by_email("orga@example.org").check_password(PASSWORD)


def test_admins_see_which_organisations_nobody_can_reach(as_admin, make_organisation,
                                                         make_user):
    nobody = make_organisation("Stadt Marsberg", "wfg")
    with_user = make_organisation("Kreis Soest", "other")
    make_user("orga@kreis-soest.example", organisation=with_user)
    with_address = make_organisation("IHK Siegen", "ihk")
    with_address.email = "ausbildung@ihk-siegen.example"
    db.session.commit()
    html = as_admin.get("/admin/").get_data(as_text=True)
    unreachable = html[html.index('id="unreachable-heading"'):html.index('id="counts-heading"')]
    assert nobody.name in unreachable and with_address.name not in unreachable
    assert html.index("Kreis Soest") > html.index('id="nocontact-heading"')
    assert "no contact address" in as_admin.get("/admin/organisations").get_data(as_text=True)
