"""Admin pages for member companies: the list (search, filters, pages), a company's profile
(edit, failed forms keep the input, audited) and its users (add one); admins only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Company, Invitation, User
from app.accounts.security import AuditEntry
from app.extensions import db
from app.reference.models import Industry, Municipality, Occupation
from tests.accounts.conftest import mails_to
from tests.conftest import PASSWORD, login


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", role="admin", language="en")


@pytest.fixture
def as_admin(client, admin):
    login(client, admin)
    return client


def town(name: str) -> Municipality:
    return db.session.execute(select(Municipality).where(Municipality.name == name)
                              ).scalar_one()


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


@pytest.fixture
def metallbau(make_company, make_user) -> Company:
    company = make_company("Beispiel Metallbau GmbH", "Lüdenscheid")
    company.industries = [db.session.get(Industry, "METALL")]
    company.occupations = [occupation("Industriemechaniker/-in")]
    company.website = "https://metallbau.example"
    db.session.commit()
    make_user("azubi@metallbau.example", "company", company=company)
    return company


@pytest.fixture
def several(make_company, metallbau) -> list[Company]:
    """Metallbau (Lüdenscheid, METALL) plus two more in other towns and industries."""
    klinik = make_company("Klinikum Siegen gGmbH", "Siegen")
    klinik.industries = [db.session.get(Industry, "GESUNDHEIT")]
    holz = make_company("Holzbau Sauerland KG", "Arnsberg")
    holz.industries = [db.session.get(Industry, "HOLZ"), db.session.get(Industry, "METALL")]
    db.session.commit()
    return [metallbau, klinik, holz]


def names(html: str) -> list[str]:
    return re.findall(r'<td data-label="Name"><a href="/admin/companies/\d+">([^<]+)</a>', html)


def audit_actions() -> list[tuple[str, str | None, dict]]:
    db.session.expire_all()
    return [(e.action, e.target, e.details) for e in db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id)).scalars()]


# --- who may come in ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, metallbau):
    for url in ("/admin/companies", f"/admin/companies/{metallbau.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["organiser", "company"])
def test_organisers_and_company_users_are_refused(client, make_user, make_organisation,
                                                  metallbau, role):
    membership = ({"organisation": make_organisation()} if role == "organiser"
                  else {"company": metallbau})
    login(client, make_user("user@example.org", role=role, **membership))
    for url in ("/admin/companies", f"/admin/companies/{metallbau.id}"):
        response = client.get(url)
        assert response.status_code == 403
        assert "ausbildung@metallbau.example" not in response.get_data(as_text=True)
    response = client.post(f"/admin/companies/{metallbau.id}", data={
        "name": "Übernommen GmbH", "municipality": "", "website": ""})
    assert response.status_code == 403
    response = client.post(f"/admin/companies/{metallbau.id}/users", data={
        "email": "eindringling@example.org", "language": "de", "password": "lang-genug-42"})
    assert response.status_code == 403
    db.session.expire_all()
    assert metallbau.name == "Beispiel Metallbau GmbH"
    assert db.session.execute(select(User).where(
        User.email == "eindringling@example.org")).scalar_one_or_none() is None
    assert audit_actions() == []


def test_organisers_keep_the_import_but_not_the_list(client, make_user, make_organisation):
    login(client, make_user("orga@example.org", "organiser",
                            organisation=make_organisation()))
    page = client.get("/admin/companies/import")
    assert page.status_code == 200
    assert 'href="/admin/companies"' not in page.get_data(as_text=True)


# --- the list ----------------------------------------------------------------------------


def test_list_shows_companies_with_municipality_industries_and_users(as_admin, several):
    html = as_admin.get("/admin/companies").get_data(as_text=True)
    assert names(html) == ["Beispiel Metallbau GmbH", "Holzbau Sauerland KG",
                           "Klinikum Siegen gGmbH"]
    assert "3 companies" in html
    row = html[html.index("Beispiel Metallbau GmbH"):html.index("Holzbau Sauerland KG")]
    assert "Lüdenscheid" in row and "Metal" in row
    assert re.search(r'data-label="Users">1</td>', row)
    assert '<a href="/admin/companies" aria-current="page">Companies</a>' in html


@pytest.mark.parametrize(("query", "expected"), [
    ("q=metall", ["Beispiel Metallbau GmbH"]),
    ("q=  SIEGEN ", ["Klinikum Siegen gGmbH"]),
    ("q=%25", []),  # a literal %, not a wildcard
    ("q=_", []),
    ("industry=METALL", ["Beispiel Metallbau GmbH", "Holzbau Sauerland KG"]),
    ("industry=HOLZ&q=bau", ["Holzbau Sauerland KG"]),
    ("industry=NOPE", ["Beispiel Metallbau GmbH", "Holzbau Sauerland KG",
                       "Klinikum Siegen gGmbH"]),
    ("municipality=xyz", ["Beispiel Metallbau GmbH", "Holzbau Sauerland KG",
                          "Klinikum Siegen gGmbH"]),
])
def test_search_and_filters(as_admin, several, query, expected):
    assert names(as_admin.get(f"/admin/companies?{query}").get_data(as_text=True)) == expected


def test_filter_by_municipality_keeps_the_choice(as_admin, several):
    siegen = town("Siegen")
    html = as_admin.get(f"/admin/companies?municipality={siegen.id}").get_data(as_text=True)
    assert names(html) == ["Klinikum Siegen gGmbH"]
    assert f'<option value="{siegen.id}" selected>Siegen</option>' in html
    assert "1 company · filtered" in html
    assert "Reset filters" in html


def test_no_match_says_so(as_admin, several):
    html = as_admin.get("/admin/companies?q=Bäckerei").get_data(as_text=True)
    assert names(html) == [] and "No company matches these filters." in html
    assert "0 companies" in html


def test_pages_keep_the_filters(as_admin, make_company):
    metall = db.session.get(Industry, "METALL")
    for number in range(30):
        company = make_company(f"Firma {number:02d} GmbH")
        company.industries = [metall]
    make_company("Andere AG")
    db.session.commit()
    first = as_admin.get("/admin/companies?industry=METALL").get_data(as_text=True)
    assert names(first) == [f"Firma {n:02d} GmbH" for n in range(25)]
    assert "30 companies" in first and "Page 1 of 2" in first
    link = re.search(r'<a class="button button--quiet" rel="next" href="([^"]+)"', first)
    assert link and "industry=METALL" in link.group(1) and "page=2" in link.group(1)
    second = as_admin.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert names(second) == [f"Firma {n:02d} GmbH" for n in range(25, 30)]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    beyond = as_admin.get("/admin/companies?page=99").get_data(as_text=True)
    assert names(beyond) == []


# --- a company's profile -----------------------------------------------------------------


def test_company_page_shows_the_profile_and_users(as_admin, metallbau):
    html = as_admin.get(f"/admin/companies/{metallbau.id}").get_data(as_text=True)
    assert "<h1>Beispiel Metallbau GmbH</h1>" in html
    assert re.search(r'<input[^>]*id="name"[^>]*value="Beispiel Metallbau GmbH"', html)
    assert f'<option selected value="{metallbau.municipality_id}">Lüdenscheid</option>' in html
    assert re.search(r'checked[^>]*value="METALL"|value="METALL"[^>]*checked', html)
    mech = occupation("Industriemechaniker/-in")
    assert re.search(rf'checked[^>]*value="{mech.id}"|value="{mech.id}"[^>]*checked', html)
    assert 'value="https://metallbau.example"' in html
    assert 'value="ausbildung@metallbau.example"' in html
    users = html[html.index('id="users"'):]
    assert "azubi@metallbau.example" in users and "never" in users
    assert as_admin.get("/admin/companies/99999").status_code == 404


def profile(**overrides) -> dict:
    data = {"name": "Metallbau Lüdenscheid GmbH", "municipality": str(town("Siegen").id),
            "industries": ["METALL", "AUTO"],
            "occupations": [str(occupation("Zerspanungsmechaniker/-in").id)],
            "website": "https://metallbau-luedenscheid.example",
            "contact_email": "personal@metallbau.example", "contact_phone": "02351 123-0",
            "description": "Familienbetrieb seit 1950."}
    data.update(overrides)
    return data


def test_admin_edits_the_profile_and_it_is_audited(as_admin, metallbau):
    response = as_admin.post(f"/admin/companies/{metallbau.id}", data=profile())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/companies/{metallbau.id}")
    db.session.expire_all()
    assert metallbau.name == "Metallbau Lüdenscheid GmbH"
    assert metallbau.municipality.name == "Siegen"
    assert [i.code for i in metallbau.industries] == ["AUTO", "METALL"]
    assert [o.name for o in metallbau.occupations] == ["Zerspanungsmechaniker/-in"]
    assert metallbau.website == "https://metallbau-luedenscheid.example"
    assert metallbau.contact_phone == "02351 123-0"
    page = as_admin.get(f"/admin/companies/{metallbau.id}").get_data(as_text=True)
    assert "The company “Metallbau Lüdenscheid GmbH” has been saved." in page
    [(action, target, details)] = audit_actions()
    assert action == "company.changed" and target == "company Metallbau Lüdenscheid GmbH"
    assert details["changes"]["name"] == ["Beispiel Metallbau GmbH",
                                          "Metallbau Lüdenscheid GmbH"]
    assert details["changes"]["municipality"] == ["Lüdenscheid", "Siegen"]
    assert details["changes"]["industries"] == ["METALL", "AUTO, METALL"]
    log = as_admin.get("/admin/audit").get_data(as_text=True)
    assert "Company changed" in log and "municipality: Lüdenscheid → Siegen" in log


def test_saving_without_changes_writes_no_audit_entry(as_admin, metallbau):
    unchanged = profile(name="Beispiel Metallbau GmbH",
                        municipality=str(metallbau.municipality_id), industries=["METALL"],
                        occupations=[str(occupation("Industriemechaniker/-in").id)],
                        website="https://metallbau.example",
                        contact_email="ausbildung@metallbau.example", contact_phone="",
                        description="")
    assert as_admin.post(f"/admin/companies/{metallbau.id}", data=unchanged).status_code == 302
    assert audit_actions() == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": "Klinikum Siegen gGmbH"}, "A company of this name exists already."),
    ({"name": ""}, "Please enter a name."),
    ({"website": "javascript:alert(1)"}, "Please enter an address starting with https://."),
    ({"contact_email": "kein-at-zeichen"}, "Please enter a valid e-mail address."),
    ({"industries": ["METALL", "CASINO"]}, "Please choose only offered values."),
    ({"municipality": "999999"}, "Please choose only offered values."),
    ({"name": "N" * 201}, "200"),
    ({"description": "Text\x00mit NUL"}, "not allowed"),
])
def test_failed_forms_keep_the_typed_values(as_admin, several, overrides, message):
    metallbau = several[0]
    data = profile(**overrides)
    response = as_admin.post(f"/admin/companies/{metallbau.id}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "field--invalid" in html and 'role="alert"' in html
    if data["name"] and len(data["name"]) <= 200:
        assert f'value="{data["name"]}"' in html
    assert 'value="02351 123-0"' in html  # an untouched field keeps what was typed
    zerspaner = occupation("Zerspanungsmechaniker/-in").id
    assert re.search(rf'checked[^>]*value="{zerspaner}"|value="{zerspaner}"[^>]*checked', html)
    db.session.expire_all()
    assert metallbau.name == "Beispiel Metallbau GmbH"
    assert metallbau.website == "https://metallbau.example"
    assert audit_actions() == []


# --- a company's users -------------------------------------------------------------------


def test_invite_a_user(as_admin, metallbau, client):
    response = as_admin.post(f"/admin/companies/{metallbau.id}/users", data={
        "email": "Personal@Metallbau.example", "name": "Petra Personal", "language": "en"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#users")
    assert db.session.execute(select(User).where(
        User.email == "personal@metallbau.example")).scalar_one_or_none() is None
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert (invitation.role, invitation.company_id, invitation.name, invitation.language) == (
        "company", metallbau.id, "Petra Personal", "en")
    page = as_admin.get(f"/admin/companies/{metallbau.id}").get_data(as_text=True)
    users = page[page.index('id="users"'):]
    assert "personal@metallbau.example" in users and 'id="shown-password"' not in page
    [(action, target, details)] = audit_actions()
    assert (action, target) == ("invitation.sent", "invitation personal@metallbau.example")
    assert details["joins"] == "Beispiel Metallbau GmbH"
    (mail,) = mails_to("personal@metallbau.example")
    path = re.search(r"(/invitation/[\w-]+)", mail.body).group(1)
    joined = client.post(path, data={"name": "", "new_password": PASSWORD,
                                     "confirm_password": PASSWORD})
    assert joined.status_code == 302
    user = db.session.execute(select(User).where(
        User.email == "personal@metallbau.example")).scalar_one()
    assert (user.role, user.company_id, user.name, user.language) == (
        "company", metallbau.id, "Petra Personal", "en")
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "azubi@metallbau.example"}, "A user with this e-mail address exists already."),
    ({"email": "kaputt"}, "Please enter a valid e-mail address."),
    ({"language": "fr"}, "Please choose one of the offered values."),
])
def test_failed_user_forms_keep_the_typed_values(as_admin, metallbau, data, message):
    form = {"email": "petra@metallbau.example", "name": "Petra Personal", "language": "en"
            } | data
    response = as_admin.post(f"/admin/companies/{metallbau.id}/users", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    new_user = html[html.index('id="new-user"'):]
    assert f'value="{form["email"]}"' in new_user and 'value="Petra Personal"' in new_user
    # The profile form above still shows the stored profile.
    assert 'value="Beispiel Metallbau GmbH"' in html
    db.session.expire_all()
    assert [u.email for u in metallbau.users] == ["azubi@metallbau.example"]
    assert audit_actions() == []


def test_the_admin_overview_links_to_the_companies(as_admin, metallbau):
    html = as_admin.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/companies">1</a>' in html


def test_pages_speak_german_by_default(client, make_user, metallbau):
    login(client, make_user("admin@example.org", role="admin"))
    html = client.get("/admin/companies").get_data(as_text=True)
    assert "<h1>Unternehmen</h1>" in html and "1 Unternehmen" in html
    html = client.get(f"/admin/companies/{metallbau.id}").get_data(as_text=True)
    assert "Benutzerkonten dieses Unternehmens" in html
