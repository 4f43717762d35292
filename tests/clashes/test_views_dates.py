"""The organisers' calendar (/clashes/dates): reserved and published dates of every
organisation with whom to call; drafts of others never, the public never."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.clashes import dates
from app.extensions import db
from app.time import local_today
from tests.clashes.conftest import SATURDAY
from tests.conftest import login as log_in

# Fixed dates (2027 and later) meet code that reads the clock: it stands before them.
pytestmark = pytest.mark.usefixtures("fixed_clock")

JUNE = "2027-06"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def login(client, user, language: str = "en") -> None:
    user.language = language
    db.session.commit()
    log_in(client, user)


@pytest.fixture
def planned_year(make_event, org_a, org_b, org_c):
    """Events of three organisations in June 2027, in every status."""
    return {
        "own_published": make_event("IHK-Ausbildungsmesse Siegen", organisation=org_a,
                                    day=SATURDAY, contact_name="Anna Beispiel",
                                    contact_email="anna@ihk.example",
                                    contact_phone="0271 3302-0"),
        "own_draft": make_event("IHK-Entwurf", organisation=org_a, day=SATURDAY,
                                status="draft"),
        "their_planned": make_event("HWK-Lehrstellenbörse Olpe", organisation=org_b,
                                    town="Olpe", venue="Stadthalle Olpe",
                                    day=SATURDAY + timedelta(days=7),
                                    event_type="placement_exchange", status="planned",
                                    contact_email="lehrstellen@hwk.example"),
        "their_draft": make_event("HWK-Geheimer Entwurf", organisation=org_b, town="Olpe",
                                  venue="Stadthalle Olpe", day=SATURDAY, status="draft"),
        "their_cancelled": make_event("HWK-Abgesagte Messe", organisation=org_b,
                                      town="Olpe", venue="Stadthalle Olpe", day=SATURDAY,
                                      status="cancelled"),
        "soest_published": make_event("Berufsmesse Soest", organisation=org_c, town="Soest",
                                      venue="Stadthalle Soest", all_day_until=date(2027, 7, 2),
                                      day=date(2027, 6, 30)),
    }


def test_reserved_and_published_dates_of_every_organisation(client, organiser_a,
                                                            planned_year):
    login(client, organiser_a)
    response = client.get(f"/clashes/dates?start={JUNE}&end=2027-07")
    assert response.status_code == 200
    page = text_of(response)
    assert "Dates of all organisers" in page
    # Reserved by another organisation: visible here, with district, organiser, contact.
    assert "HWK-Lehrstellenbörse Olpe" in page and "Handwerkskammer Südwestfalen" in page
    assert "Stadthalle Olpe, Olpe · Kreis Olpe" in page
    assert 'href="mailto:lehrstellen@hwk.example"' in page
    assert "Apprenticeship placement exchange" in page
    # Published ones of everybody, the own one marked.
    assert "IHK-Ausbildungsmesse Siegen" in page and "your organisation" in page
    assert "Anna Beispiel" in page and 'href="tel:02713302-0"' in page
    assert "Berufsmesse Soest" in page and "Kreis Soest" in page
    # Drafts (the own ones too: this is a page of shared dates) and cancelled events not.
    assert "Entwurf" not in page and "Abgesagte" not in page
    assert page.count('class="badge badge--status-planned"') == 1
    assert page.count('class="badge badge--status-published"') == 2
    assert "(1 reserved, 2 published)" in page
    # By month, in time order; the event of the other organisation links to its page.
    assert page.index("June 2027") < page.index("IHK-Ausbildungsmesse Siegen") < page.index(
        "HWK-Lehrstellenbörse Olpe") < page.index("Berufsmesse Soest")
    their = planned_year["their_planned"]
    assert f'href="/events/{their.id}"' in page
    assert f'href="/manage/events/{planned_year["own_published"].id}/edit"' in page


def test_the_list_speaks_german_by_default(client, organiser_b, planned_year):
    login(client, organiser_b, language="de")
    page = text_of(client.get(f"/clashes/dates?start={JUNE}&end={JUNE}"))
    assert "Termine aller Veranstalter" in page
    assert ">reserviert</span>" in page and ">veröffentlicht</span>" in page
    assert "Juni 2027" in page and "Ihre Organisation" in page


def test_filters_by_district_status_and_months(client, organiser_a, planned_year):
    login(client, organiser_a)
    page = text_of(client.get(f"/clashes/dates?start={JUNE}&end=2027-07&district=OE"))
    assert "HWK-Lehrstellenbörse Olpe" in page
    assert "IHK-Ausbildungsmesse Siegen" not in page and "Berufsmesse Soest" not in page
    page = text_of(client.get(f"/clashes/dates?start={JUNE}&end=2027-07&status=planned"))
    assert "HWK-Lehrstellenbörse Olpe" in page and "Berufsmesse Soest" not in page
    page = text_of(client.get("/clashes/dates?start=2027-07&end=2027-07"))
    # The whole-day fair from 30 June to 2 July touches July: it is listed there.
    assert "Berufsmesse Soest" in page and "HWK-Lehrstellenbörse Olpe" not in page
    page = text_of(client.get("/clashes/dates?start=2027-08&end=2027-09"))
    assert "No reserved or published dates in this period." in page


def test_default_is_the_coming_year_and_past_events_are_left_out(client, make_event, org_b,
                                                                 organiser_a):
    today = local_today()
    make_event("Vorbei", organisation=org_b, day=today - timedelta(days=3))
    make_event("Bald", organisation=org_b, day=today + timedelta(days=20), status="planned")
    make_event("Zu weit", organisation=org_b, day=dates.add_months(today.replace(day=1), 13))
    login(client, organiser_a)
    page = text_of(client.get("/clashes/dates"))
    assert "Bald" in page and "Vorbei" not in page and "Zu weit" not in page


def test_bad_filters_are_explained_and_the_input_is_kept(client, organiser_a, planned_year):
    login(client, organiser_a)
    response = client.get("/clashes/dates?start=2027-09&end=2027-06")
    assert response.status_code == 200
    page = text_of(response)
    assert "The last month comes before the first." in page
    assert 'value="2027-06"' in page and 'aria-invalid="true"' in page
    page = text_of(client.get("/clashes/dates?start=2027-01&end=2031-01"))
    assert "Please choose at most 36 months." in page
    response = client.get("/clashes/dates?start=kaputt&district=XX&status=draft")
    assert response.status_code == 200
    page = text_of(response)
    assert 'value="kaputt"' in page and "HWK-Geheimer Entwurf" not in page


def test_the_clash_navigation_and_the_year_overview_link_the_list(client, organiser_a):
    login(client, organiser_a)
    board = client.get("/clashes").get_data(as_text=True)
    assert 'href="/clashes/dates"' in board
    year = client.get("/clashes/year?year=2027").get_data(as_text=True)
    assert 'href="/clashes/dates?start=2027-01&amp;end=2027-12"' in year
    page = client.get("/clashes/dates").get_data(as_text=True)
    assert 'href="/clashes/dates" aria-current="page"' in page


def test_anonymous_visitors_log_in_and_companies_are_refused(client, make_user,
                                                             make_company, planned_year):
    response = client.get("/clashes/dates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    company = make_user("azubi@metallbau.example", "company", company=make_company())
    login(client, company)
    response = client.get(f"/clashes/dates?start={JUNE}")
    assert response.status_code == 403
    assert "HWK-Lehrstellenbörse Olpe" not in response.get_data(as_text=True)


def test_the_public_calendar_does_not_show_reserved_dates(client, planned_year):
    page = client.get("/?from=2027-06-01&to=2027-07-31").get_data(as_text=True)
    assert "HWK-Lehrstellenbörse Olpe" not in page
    assert "IHK-Ausbildungsmesse Siegen" in page


def test_an_admin_sees_every_shared_date(client, make_user, planned_year):
    login(client, make_user("admin@example.org", "admin"))
    page = text_of(client.get(f"/clashes/dates?start={JUNE}&end=2027-07"))
    assert "HWK-Lehrstellenbörse Olpe" in page and "Berufsmesse Soest" in page
    assert "Entwurf" not in page and "your organisation" not in page


def test_month_arithmetic():
    assert dates.add_months(date(2027, 11, 1), 3) == date(2028, 2, 1)
    assert dates.months_between(date(2027, 11, 1), date(2028, 2, 1)) == 4
    assert dates.month_end(date(2028, 2, 1)) == date(2028, 2, 29)
