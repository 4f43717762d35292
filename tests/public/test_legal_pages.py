"""The legal and contact pages: in every footer, edited by admins in Markdown, rendered
safely, with a warning for admins while the shipped template has gaps."""

from __future__ import annotations

import pytest

from app.accounts.security import AuditEntry
from app.extensions import db
from app.public.models import LegalPage
from tests.conftest import login

SLUGS = ["impressum", "datenschutz", "barrierefreiheit", "kontakt"]


@pytest.fixture
def as_admin(client, make_user):
    login(client, make_user("admin@example.org", role="admin"))
    return client


@pytest.mark.parametrize("path", ["/", "/login", "/feeds", "/register/company", "/impressum"])
def test_every_page_links_the_four_legal_pages_in_its_footer(client, path):
    html = client.get(path).get_data(as_text=True)
    footer = html[html.index('<footer'):]
    for slug in SLUGS:
        assert f'href="/{slug}"' in footer


@pytest.mark.parametrize("slug", SLUGS)
def test_shipped_templates_are_complete_pages_that_name_their_gaps(client, slug):
    response = client.get(f"/{slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>" in html and "[[BITTE ERGÄNZEN" in html
    english = client.get(f"/{slug}", headers={"Cookie": ""})
    assert english.status_code == 200


def test_the_privacy_notice_says_what_how_long_and_the_rights(client):
    html = client.get("/datenschutz").get_data(as_text=True)
    for words in ("Art. 13", "Speicherdauer", "30 Tage", "1 Jahr", "Art. 15", "Art. 17",
                  "Art. 20", "Aufsichtsbehörde", "<table>"):
        assert words in html, words


def test_the_accessibility_statement_has_a_feedback_contact(client):
    html = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "Feedback und Kontakt" in html and "Durchsetzungsverfahren" in html
    assert "BITV 2.0" in html


def test_admins_edit_a_page_and_the_warning_goes(as_admin, client):
    assert "nicht vollständig" in as_admin.get("/admin/").get_data(as_text=True)
    assert "[[BITTE ERGÄNZEN" in as_admin.get("/admin/legal/impressum/de").get_data(
        as_text=True)
    response = as_admin.post("/admin/legal/impressum/de", data={
        "body": "# Impressum\r\n\r\nKreis Olpe, Westfälische Straße 75, 57462 Olpe\r\n"})
    assert response.status_code == 302
    page = db.session.query(LegalPage).one()
    assert page.body == "# Impressum\n\nKreis Olpe, Westfälische Straße 75, 57462 Olpe\n"
    html = client.get("/impressum").get_data(as_text=True)
    assert "Westfälische Straße 75" in html and "ERGÄNZEN" not in html
    listing = as_admin.get("/admin/legal").get_data(as_text=True)
    assert listing.count("vollständig") >= 1
    assert db.session.query(AuditEntry).filter_by(action="legal.changed").count() == 1


def test_markdown_is_rendered_safely(as_admin, client):
    as_admin.post("/admin/legal/kontakt/de", data={"body": (
        "# Kontakt\n\n<script>alert(1)</script>\n\n[klick](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> [gut](https://www.kreis-olpe.de)")})
    html = client.get("/kontakt").get_data(as_text=True)
    body = html[html.index('<article'):html.index('</article>')]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert 'href="javascript:' not in body and "<img" not in body
    assert '<a href="https://www.kreis-olpe.de">gut</a>' in body


def test_english_falls_back_to_the_edited_german_text(as_admin, client):
    as_admin.post("/admin/legal/impressum/de", data={"body": "# Impressum\n\nKreis Soest"})
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert "Kreis Soest" in client.get("/impressum").get_data(as_text=True)


@pytest.mark.parametrize(("path", "data", "status"), [
    ("/admin/legal/impressum/de", {"body": ""}, 422),
    ("/admin/legal/impressum/de", {"body": "x" * 50_001}, 422),
    ("/admin/legal/impressum/fr", {"body": "x"}, 404),
    ("/admin/legal/agb/de", {"body": "x"}, 404),
])
def test_bad_edits_are_refused(as_admin, path, data, status):
    assert as_admin.post(path, data=data).status_code == status
    assert db.session.query(LegalPage).count() == 0


def test_organisers_cannot_edit(client, make_user, org_a):
    login(client, make_user("o@example.org", organisation=org_a))
    assert client.post("/admin/legal/impressum/de", data={"body": "x"}).status_code == 403
