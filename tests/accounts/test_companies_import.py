"""The admin CSV import of member companies: preview with per-row errors, confirm imports
all valid rows in one transaction or nothing, hostile files never end in a 500."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.accounts import companies
from app.accounts.models import Company, Invitation, User
from app.extensions import db
from tests.accounts.conftest import mails_to
from tests.conftest import login

URL = "/admin/companies/import"
HEADER = "name;municipality;industries;occupations;website;contact_email;user_email\n"


def upload(client, content: bytes | str, filename: str = "firmen.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(URL, data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def signed_rows(html: str) -> str:
    match = re.search(r'name="rows" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="rows" name="rows" type="hidden" value="([^"]+)"', html)
    assert match, "no confirm form"
    return match.group(1)


def company_names() -> list[str]:
    return list(db.session.execute(select(Company.name).order_by(Company.name)).scalars())


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", "admin", language="en")


GOOD = HEADER + (
    "Sauerland Kunststoff GmbH;Altena;WERKSTOFF;Industriemechaniker/-in;"
    "https://kunststoff.example;info@kunststoff.example;azubi@kunststoff.example\n"
    '"Siegener Holzbau KG";05970040;"HOLZ;CROSS";;;;\n'
)


def test_preview_then_confirm_imports_everything(client, admin):
    login(client, admin)
    preview = upload(client, "\ufeff" + GOOD)  # Excel's BOM is fine
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Sauerland Kunststoff GmbH" in html and "Siegener Holzbau KG" in html
    assert company_names() == []  # the preview stores nothing
    done = client.post(f"{URL}/confirm", data={"rows": signed_rows(html)})
    assert done.status_code == 200
    assert company_names() == ["Sauerland Kunststoff GmbH", "Siegener Holzbau KG"]
    holz = db.session.execute(select(Company).where(Company.name.like("Siegener%"))).scalar_one()
    assert holz.municipality.ags == "05970040"
    assert [i.code for i in holz.industries] == ["CROSS", "HOLZ"]
    # The company's user is invited: no account, no password on the page, a mail instead.
    assert db.session.execute(select(User).where(User.email == "azubi@kunststoff.example")
                              ).scalar_one_or_none() is None
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.email == "azubi@kunststoff.example" and invitation.role == "company"
    assert invitation.company.name == "Sauerland Kunststoff GmbH"
    assert "azubi@kunststoff.example" in done.get_data(as_text=True)
    (mail,) = mails_to("azubi@kunststoff.example")
    assert "/invitation/" in mail.body and "Sauerland Kunststoff GmbH" in mail.subject


def test_comma_separated_file(client, admin):
    login(client, admin)
    content = "name,municipality,industries\nMetall Olpe GmbH,Olpe,METALL;AUTO\n"
    html = upload(client, content).get_data(as_text=True)
    client.post(f"{URL}/confirm", data={"rows": signed_rows(html)})
    company = db.session.execute(select(Company)).scalar_one()
    assert company.name == "Metall Olpe GmbH"
    assert [i.code for i in company.industries] == ["AUTO", "METALL"]


def test_preview_names_each_rows_errors_and_imports_only_valid(client, admin, make_company):
    make_company("Vorhandene GmbH")
    login(client, admin)
    content = HEADER + (
        "Gute GmbH;Olpe;METALL;;;;\n"
        "Atlantis AG;Atlantis;;;;;\n"
        "Code GmbH;Olpe;NOPE;;;;\n"
        "Beruf GmbH;;;Astronaut/-in;;;\n"
        "vorhandene gmbh;;;;;;\n"
        "Gute GmbH;;;;;;\n"
        "Mail GmbH;;;;;not-an-address;\n"
        + "X" * 201 + ";;;;;;\n"
    )
    preview = upload(client, content)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    for message in ("Unknown municipality “Atlantis”", "Unknown industry code “NOPE”",
                    "Unknown occupation “Astronaut/-in”", "exists already",
                    "appears twice in the file", "valid e-mail address", "At most 200"):
        assert message in html or message.replace("“", "&#8220;") in html, message
    assert "Rows that can be imported: 1 of 8." in html
    client.post(f"{URL}/confirm", data={"rows": signed_rows(html)})
    assert company_names() == ["Gute GmbH", "Vorhandene GmbH"]


def test_nothing_is_imported_when_a_row_fails_on_confirm(client, admin, make_company):
    login(client, admin)
    html = upload(client, HEADER + "Erste GmbH;;;;;;\nZweite GmbH;;;;;;\n").get_data(
        as_text=True)
    make_company("Zweite GmbH")  # someone was quicker between preview and confirm
    done = client.post(f"{URL}/confirm", data={"rows": signed_rows(html)})
    assert done.status_code == 422
    assert "Nothing was imported" in done.get_data(as_text=True)
    assert company_names() == ["Zweite GmbH"]


def test_a_changed_hidden_field_is_refused(client, admin):
    login(client, admin)
    html = upload(client, HEADER + "Erste GmbH;;;;;;\n").get_data(as_text=True)
    signed = signed_rows(html)
    forged = signed[:-3] + "AAA"
    response = client.post(f"{URL}/confirm", data={"rows": forged})
    assert response.status_code == 422
    assert "upload the file again" in response.get_data(as_text=True)
    assert company_names() == []


def test_formula_like_cells_are_stored_as_text(client, admin):
    login(client, admin)
    content = 'name;municipality\n"=HYPERLINK(""http://evil.example"",""x"")";Olpe\n+49 Firma;\n'
    html = upload(client, content).get_data(as_text=True)
    client.post(f"{URL}/confirm", data={"rows": signed_rows(html)})
    assert company_names() == ["+49 Firma", '=HYPERLINK("http://evil.example","x")']


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("name;municipality\nMüller GmbH;Olpe\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty"),
    (b"firma;ort\nA;B\n", "column"),
    (b"name;secret\nA;B\n", "Unknown column"),
    (b"name\n", "no companies"),
    (b'name\n"unterminated\n', "not valid CSV"),
], ids=["binary", "latin-1", "empty", "no name column", "unknown column", "header only",
        "broken quoting"])
def test_unreadable_files_get_a_clear_message(client, admin, content, message):
    login(client, admin)
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert company_names() == []


def test_huge_file_is_413(client, admin, app):
    login(client, admin)
    big = (HEADER + "A;;;;;;\n" * (app.config["MAX_CONTENT_LENGTH"] // 8 + 10)).encode()
    # A hand-made multipart body (the test client would spool a file it never closes).
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + big + b"\r\n--b--\r\n")
    response = client.post(URL, data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert company_names() == []


def test_too_many_rows(client, admin):
    login(client, admin)
    content = "name\n" + "".join(f"F{i}\n" for i in range(companies.MAX_ROWS + 1))
    response = upload(client, content)
    assert response.status_code == 422
    assert "At most 2000 companies" in response.get_data(as_text=True)


def test_organisers_may_import_companies_may_not(client, make_user, make_organisation,
                                                 make_company):
    organiser = make_user("o@ihk.example", "organiser", organisation=make_organisation())
    company_user = make_user("c@firma.example", "company", company=make_company())
    login(client, organiser)
    assert client.get(URL).status_code == 200
    assert client.get("/admin/users").status_code == 403  # nothing else of the admin pages
    login(client, company_user)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}/confirm", data={"rows": "x"}).status_code == 403
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    assert client.get(URL).status_code in (302, 401)


def test_csrf_is_required(csrf_app, test_config, admin):
    app = csrf_app(test_config)
    with app.test_client() as client:
        login(client, admin)
        response = client.post(URL, data={"file": (io.BytesIO(GOOD.encode()), "a.csv")},
                               content_type="multipart/form-data")
        assert response.status_code in (400, 422)
    assert db.session.execute(select(func.count()).select_from(Company)).scalar_one() == 0
