"""Admin pages: access, organisations, users (create, deactivate, reset password)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Organisation, User
from app.extensions import db
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
    assert response.status_code == 302
    db.session.expire_all()
    assert organisation.name == "WFG Kreis Olpe" and organisation.website is None


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "IHK Siegen", "kind": "ihk"}, "exists already"),
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


def test_create_user_with_generated_password_shown_once(as_admin, make_organisation, client):
    organisation = make_organisation()
    response = as_admin.post("/admin/users", data={
        "email": "Neu@IHK-Siegen.example", "name": "Neue Organisatorin", "role": "organiser",
        "organisation": str(organisation.id), "company": "", "language": "de", "password": "",
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = re.search(r'id="shown-password"[^>]*value="([^"]+)"', html).group(1)
    user = users_by_email("neu@ihk-siegen.example")
    assert user.organisation_id == organisation.id and user.role == "organiser"
    assert user.check_password(password)
    assert password not in user.password_hash
    assert password not in as_admin.get("/admin/users").get_data(as_text=True)


def test_create_user_with_password(as_admin, make_company):
    company = make_company()
    response = as_admin.post("/admin/users", data={
        "email": "firma@example.org", "role": "company", "company": str(company.id),
        "organisation": "", "language": "en", "password": "firma-passwort-1",
    })
    assert response.status_code == 302
    user = users_by_email("firma@example.org")
    assert user.company_id == company.id and user.language == "en"
    assert user.check_password("firma-passwort-1")


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "admin@example.org", "role": "admin"}, "exists already"),
    ({"email": "x@example.org", "role": "organiser"}, "An organiser belongs to an organisation."),
    ({"email": "x@example.org", "role": "pope"}, "Please choose one of the offered values."),
    ({"email": "not-an-address", "role": "admin"}, "valid e-mail"),
    ({"email": "x@example.org", "role": "admin", "password": "short"}, "at least 10"),
])
def test_user_errors(as_admin, data, message):
    response = as_admin.post("/admin/users", data={"language": "de", **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{data["email"]}"' in html
    assert len(db.session.execute(select(User)).all()) == 1


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


def test_reset_password(as_admin, make_user, make_organisation):
    user = make_user("orga@example.org", organisation=make_organisation())
    response = as_admin.post(f"/admin/users/{user.id}/password")
    assert response.status_code == 200
    password = re.search(r'id="shown-password"[^>]*value="([^"]+)"',
                         response.get_data(as_text=True)).group(1)
    user = users_by_email("orga@example.org")
    assert user.check_password(password) and not user.check_password(PASSWORD)
