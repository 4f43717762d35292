"""Counted messages read right for one and for many, in English and German: the final
exhibitor list, the capacity refusal, the company import, the login lock-out, the
"same kind of event close by" clash, the scheduler's heartbeat age."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.booths import scheduled
from app.booths import services as booths
from app.booths.models import BoothSetup
from app.clashes.explain import within_days
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import PASSWORD, login


def final_list_body(now) -> str:
    assert scheduled.due_final_lists(now) >= 1
    db.session.commit()
    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.key.like("final-list:%"))).scalar_one()
    return message.body


@pytest.mark.parametrize(("exhibitors", "language", "expected"), [
    (1, "de", "1 Aussteller ist bestätigt:"),
    (2, "de", "2 Aussteller sind bestätigt:"),
    (1, "en", "1 exhibitor is confirmed:"),
    (2, "en", "2 exhibitors are confirmed:"),
])
def test_final_exhibitor_list(fair, category, company, book, organiser, now,
                              exhibitors, language, expected):
    organiser.language = language
    event = fair(opens=timedelta(days=-3))
    standard = category(event, capacity=5)
    for number in range(exhibitors):
        book(*company(f"Firma {number} GmbH"), standard)
    db.session.get(BoothSetup, event.id).closes_at = now - timedelta(minutes=1)
    db.session.commit()
    assert expected in final_list_body(now)


@pytest.mark.parametrize(("taken", "language", "expected"), [
    (1, "en", "1 place is already taken; the capacity cannot be lower."),
    (2, "en", "2 places are already taken; the capacity cannot be lower."),
    (1, "de", "1 Platz ist bereits vergeben;"),
    (2, "de", "2 Plätze sind bereits vergeben;"),
])
def test_capacity_below_the_taken_places(fair, category, company, book, organiser, now,
                                         taken, language, expected):
    standard = category(fair(), capacity=3)
    for number in range(taken):
        book(*company(f"Firma {number} GmbH"), standard)
    data = booths.CategoryData(name=standard.name, size_m2=9.0, price_cents=0, capacity=0)
    with force_locale(language), pytest.raises(booths.BookingError) as refused:
        booths.update_category(standard, organiser, data, now)
    assert expected in refused.value.message


@pytest.mark.parametrize(("rows", "heading", "button"), [
    (1, "1 company imported", "Import 1 company"),
    (2, "2 companies imported", "Import 2 companies"),
])
def test_company_import(client, make_user, rows, heading, button):
    login(client, make_user("admin@example.org", "admin", language="en"))
    with client.session_transaction() as session:
        session["lang"] = "en"
    csv = "name;municipality\n" + "".join(f"Firma {n} GmbH;Siegen\n" for n in range(rows))
    preview = client.post("/admin/companies/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(csv.encode()), "firmen.csv")})
    html = preview.get_data(as_text=True)
    assert f">{button}</button>" in html
    assert f"Rows that can be imported: {rows} of {rows}." in html
    signed = html.split('name="rows" type="hidden" value="', 1)[1].split('"', 1)[0]
    done = client.post("/admin/companies/import/confirm", data={"rows": signed})
    assert f">{heading}</h2>" in done.get_data(as_text=True)


def test_company_import_in_german(client, make_user):
    login(client, make_user("admin@example.org", "admin"))
    preview = client.post("/admin/companies/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"name\nFirma GmbH\n"), "f.csv")})
    html = preview.get_data(as_text=True)
    assert ">1 Unternehmen importieren</button>" in html
    assert "Importierbare Zeilen: 1 von 1." in html


@pytest.mark.parametrize(("lockout", "language", "expected"), [
    (60, "en", "logging in is paused for 1 minute."),
    (120, "en", "logging in is paused for 2 minutes."),
    (60, "de", "die Anmeldung für 1 Minute gesperrt"),
    (900, "de", "die Anmeldung für 15 Minuten gesperrt"),
])
def test_login_lockout(app, client, make_user, make_organisation, lockout, language,
                       expected):
    app.config.update(LOGIN_LOCKOUT=lockout, LOGIN_FAILURE_LIMIT=1)
    make_user("orga@example.org", organisation=make_organisation())
    with client.session_transaction() as session:
        session["lang"] = language
    client.post("/login", data={"email": "orga@example.org", "password": "falsch-123456"})
    locked = client.post("/login", data={"email": "orga@example.org", "password": PASSWORD})
    assert locked.status_code == 429
    assert expected in locked.get_data(as_text=True)


@pytest.mark.parametrize(("days", "language", "expected"), [
    (1, "en", "within 1 day"), (2, "en", "within 2 days"),
    (1, "de", "innerhalb von 1 Tag"), (3, "de", "innerhalb von 3 Tagen"),
])
def test_same_kind_close_by(app, days, language, expected):
    with force_locale(language):
        assert within_days(days) == expected
