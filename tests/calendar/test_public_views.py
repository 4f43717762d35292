"""The public calendar: list and month views, filters, the event page, hostile input."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import event as sa_event

from app.calendar import services as calendar
from app.extensions import db
from app.time import now_utc
from tests.conftest import login

SATURDAY = date(2027, 3, 13)


def titles_in(html: str, *titles: str) -> dict[str, bool]:
    return {title: title in html for title in titles}


# --- visibility ----------------------------------------------------------------------------


def test_list_shows_published_and_cancelled_but_never_drafts_or_planned(client, make_event):
    make_event("Offene Messe", day=date(2027, 3, 1))
    make_event("Abgesagte Messe", day=date(2027, 3, 2), status="cancelled")
    make_event("Geheimer Entwurf", day=date(2027, 3, 3), status="draft")
    make_event("Reservierter Termin", day=date(2027, 3, 4), status="planned")

    html = client.get("/?from=2027-01-01").get_data(as_text=True)

    assert titles_in(html, "Offene Messe", "Abgesagte Messe", "Geheimer Entwurf",
                     "Reservierter Termin") == {
        "Offene Messe": True, "Abgesagte Messe": True,
        "Geheimer Entwurf": False, "Reservierter Termin": False,
    }
    cancelled = html[html.index("Abgesagte Messe") - 600:html.index("Abgesagte Messe")]
    assert "is-cancelled" in cancelled
    assert "badge--cancelled" in html


def test_month_view_shows_only_public_events_of_that_month(client, make_event):
    make_event("Märzmesse", day=date(2027, 3, 10))
    make_event("Aprilmesse", day=date(2027, 4, 10))
    make_event("Märzentwurf", day=date(2027, 3, 11), status="draft")
    make_event("Märzplanung", day=date(2027, 3, 12), status="planned")

    response = client.get("/?view=month&month=2027-03")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "März 2027" in html
    assert titles_in(html, "Märzmesse", "Aprilmesse", "Märzentwurf", "Märzplanung") == {
        "Märzmesse": True, "Aprilmesse": False, "Märzentwurf": False, "Märzplanung": False,
    }


def test_month_view_shows_a_multi_day_fair_on_each_of_its_days(client, make_event):
    fair = make_event("Zweitagesmesse", day=date(2027, 3, 31), all_day_until=date(2027, 4, 1))

    march = client.get("/?view=month&month=2027-03").get_data(as_text=True)
    april = client.get("/?view=month&month=2027-04").get_data(as_text=True)

    link = f'href="/events/{fair.id}"'
    assert march.count(link) == 1
    assert april.count(link) == 1


def test_list_starts_today_by_default(client, make_event):
    from app.time import local_today

    make_event("Vergangene Messe", day=date(2020, 3, 1))
    make_event("Kommende Messe", day=local_today().replace(year=local_today().year + 1))

    html = client.get("/").get_data(as_text=True)

    assert "Kommende Messe" in html
    assert "Vergangene Messe" not in html


def test_list_groups_events_by_month(client, make_event):
    make_event("Februarmesse", day=date(2027, 2, 10))
    make_event("Märzmesse", day=date(2027, 3, 10))

    html = client.get("/?from=2027-01-01").get_data(as_text=True)

    assert html.index("Februar 2027") < html.index("Februarmesse")
    assert html.index("Februarmesse") < html.index("März 2027") < html.index("Märzmesse")
    # Each entry's tags are labelled, in both months' lists.
    assert html.count('<ul class="tags" aria-label="Art und Zielgruppen">') == 2


@pytest.mark.parametrize("status", ["draft", "planned"])
def test_unpublished_event_page_is_404_for_visitors(client, make_event, status):
    hidden = make_event("Unveröffentlicht", status=status)

    response = client.get(f"/events/{hidden.id}")

    assert response.status_code == 404
    assert "Unveröffentlicht" not in response.get_data(as_text=True)


def test_guessing_ids_finds_nothing_unpublished(client, make_event):
    ids = [make_event(f"Versteckt {n}", status="draft").id for n in range(3)]
    shown = make_event("Öffentlich")

    assert client.get(f"/events/{shown.id}").status_code == 200
    for event_id in [*ids, max(ids + [shown.id]) + 1, 0, 999999]:
        assert client.get(f"/events/{event_id}").status_code == 404
    assert client.get("/events/abc").status_code == 404
    assert client.get("/events/-1").status_code == 404


def test_own_draft_is_visible_to_its_organisation_with_a_banner(
    client, make_event, make_organisation, make_user
):
    own = make_organisation("IHK Siegen")
    other = make_organisation("Südwestfälische IHK zu Hagen (SIHK)", kind="ihk")
    draft = make_event("Eigener Entwurf", organisation=own, status="draft")

    login(client, make_user("other@example.org", organisation=other))
    assert client.get(f"/events/{draft.id}").status_code == 404

    login(client, make_user("own@example.org", organisation=own))
    response = client.get(f"/events/{draft.id}")
    assert response.status_code == 200
    assert "banner--draft" in response.get_data(as_text=True)
    # ...but never in the public listing, not even for its own organisation
    assert "Eigener Entwurf" not in client.get("/?from=2020-01-01").get_data(as_text=True)


def test_planned_event_is_visible_to_other_organisers(
    client, make_event, make_organisation, make_user
):
    planned = make_event("Reserviert", status="planned")
    other = make_organisation("Kreis Soest", kind="other")
    login(client, make_user("soest@example.org", organisation=other))

    response = client.get(f"/events/{planned.id}")

    assert response.status_code == 200
    assert "banner--draft" in response.get_data(as_text=True)


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def regional_events(make_event):
    """One event per district, with different industries, audiences and types."""
    make_event("Messe Meschede", town="Meschede", venue="Berufskolleg", day=date(2027, 3, 1),
               industries=("METALL",), audiences=("pupils",), event_type="training_fair")
    make_event("Messe Soest", town="Soest", venue="Stadthalle", day=date(2027, 3, 2),
               industries=("GESUNDHEIT",), audiences=("parents",), event_type="job_fair")
    make_event("Messe Siegen", town="Siegen", day=date(2027, 3, 3),
               industries=("AUTO",), audiences=("jobseekers",), event_type="speed_dating")
    make_event("Messe Olpe", town="Olpe", venue="Stadthalle Olpe", day=date(2027, 4, 20),
               industries=("HOLZ", "METALL"), audiences=("teachers",), event_type="open_day")
    make_event("Messe Lüdenscheid", town="Lüdenscheid", venue="Kulturhaus",
               day=date(2027, 5, 5), industries=("WERKSTOFF",), audiences=("students",),
               event_type="study_fair")


ALL_REGIONAL = ("Messe Meschede", "Messe Soest", "Messe Siegen", "Messe Olpe",
                "Messe Lüdenscheid")


@pytest.mark.parametrize(("query", "expected"), [
    ("district=HSK&district=SO", {"Messe Meschede", "Messe Soest"}),
    ("district=OE", {"Messe Olpe"}),
    ("industry=METALL", {"Messe Meschede", "Messe Olpe"}),
    ("industry=AUTO&industry=WERKSTOFF", {"Messe Siegen", "Messe Lüdenscheid"}),
    ("audience=parents&audience=teachers", {"Messe Soest", "Messe Olpe"}),
    ("type=speed_dating", {"Messe Siegen"}),
    ("type=open_day&type=study_fair", {"Messe Olpe", "Messe Lüdenscheid"}),
    ("from=2027-03-02&to=2027-04-30", {"Messe Soest", "Messe Siegen", "Messe Olpe"}),
    ("district=HSK&district=OE&industry=METALL&audience=teachers", {"Messe Olpe"}),
])
def test_filters_really_filter(client, regional_events, query, expected):
    if "from=" not in query:
        query += "&from=2027-01-01"
    response = client.get(f"/?{query}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    shown = {title for title in ALL_REGIONAL if title in html}
    assert shown == expected


def test_filters_work_in_the_month_view_and_survive_month_navigation(client, regional_events):
    response = client.get("/?view=month&month=2027-03&district=HSK&district=SO")
    html = response.get_data(as_text=True)

    assert {t for t in ALL_REGIONAL if t in html} == {"Messe Meschede", "Messe Soest"}
    next_link = re.search(r'href="([^"]*month=2027-04[^"]*)"', html).group(1)
    assert "district=HSK" in next_link and "district=SO" in next_link


def test_filter_form_shows_district_and_industry_names_and_keeps_choices(
    client, regional_events
):
    html = client.get("/?district=SI&industry=HOLZ").get_data(as_text=True)

    assert "Hochsauerlandkreis" in html and "Märkischer Kreis" in html
    assert "Holzwirtschaft" in html
    assert re.search(r'value="SI" id="f-district-SI" checked', html)
    assert not re.search(r'value="HSK" id="f-district-HSK" checked', html)
    assert re.search(r'value="HOLZ" id="f-industry-HOLZ" checked', html)


@pytest.mark.parametrize("query", [
    "district=XX",
    "industry=STAHL",
    "audience=aliens",
    "type=party",
    "from=14.03.2027",
    "to=2027-02-30",
    "from=2027-03-10&to=2027-03-01",
    "view=month&month=2027-13",
    "view=month&month=garbage",
])
def test_bad_filters_give_a_clear_message_and_the_unfiltered_calendar(
    client, regional_events, query
):
    response = client.get(f"/?{query}&from_=x")
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert 'class="notice notice--error"' in html
    assert 'role="alert"' in html
    # the page still works: the filter form and events are there
    assert 'id="f-district-HSK"' in html


def test_hostile_parameters_do_not_break_the_page(client, regional_events):
    long_value = "A" * 20000
    for query in (f"district={long_value}", f"from={long_value}", f"month={long_value}",
                  f"view={long_value}", "district=<script>alert(1)</script>",
                  "&".join(["district=HSK"] * 50), "from=\x00", "district=%00"):
        response = client.get(f"/?view=month&{query}")
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 400), query
        assert "<script>alert(1)" not in html
        assert long_value not in html


def test_html_in_titles_and_descriptions_is_escaped_everywhere(client, make_event):
    evil = make_event("<script>alert('x')</script> Messe", day=date(2027, 3, 10),
                      description="<img src=x onerror=alert(1)>\nZweite Zeile",
                      url="javascript:alert(1)")

    pages = [client.get("/?from=2027-01-01"), client.get("/?view=month&month=2027-03"),
             client.get(f"/events/{evil.id}")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(" in html
    event_html = pages[2].get_data(as_text=True)
    assert "<img src=x" not in event_html
    assert "&lt;img src=x onerror=alert(1)&gt;\nZweite Zeile" in event_html
    assert 'href="javascript:' not in event_html


# --- the event page -------------------------------------------------------------------------


def test_event_page_shows_what_a_school_needs(client, make_event):
    event = make_event(
        "Ausbildungsmesse Meschede", town="Meschede", venue="Berufskolleg Meschede",
        day=SATURDAY, start=time(9, 30), end=time(14), audiences=("pupils", "teachers"),
        grade_from=8, grade_to=10, industries=("METALL", "GEBTECH"),
        description="Erste Zeile\nZweite Zeile", contact_name="Frau Beispiel",
        contact_email="messe@example.org", contact_phone="0291 12345",
        url="https://example.org/messe",
    )

    response = client.get(f"/events/{event.id}")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Samstag, 13. März 2027" in html
    assert "09:30" in html and "14:00" in html
    assert "Berufskolleg Meschede" in html and "Meschede" in html
    assert "Hochsauerlandkreis" in html
    lat, lon = event.venue.coordinates
    assert f"https://www.openstreetmap.org/?mlat={lat:.5f}&amp;mlon={lon:.5f}#map=16/" in html
    assert "8–10" in html
    assert "Metall- und Maschinenbau" in html and "Gebäudetechnik" in html
    assert "Erste Zeile\nZweite Zeile" in html
    assert "IHK Siegen" in html
    assert "Frau Beispiel" in html and 'href="mailto:messe@example.org"' in html
    assert 'href="https://example.org/messe"' in html


def test_cancelled_event_page_shows_the_reason(client, make_event):
    event = make_event("Ausgefallene Messe")
    calendar.change_status(event, None, "cancelled", reason="Zu wenige Anmeldungen", now=now_utc())
    db.session.commit()

    html = client.get(f"/events/{event.id}").get_data(as_text=True)

    assert "banner--cancelled" in html
    assert "Zu wenige Anmeldungen" in html


def test_time_on_the_day_clocks_change_is_local(client, make_event):
    event = make_event("Messe zur Zeitumstellung", day=date(2027, 3, 28), start=time(10),
                       end=time(15))

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    listing = client.get("/?from=2027-03-01").get_data(as_text=True)

    for html in (page, listing):
        assert "10:00" in html
        assert "11:00" not in html and "09:00" not in html and "08:00" not in html
    assert "Sonntag, 28. März 2027" in page


def test_whole_day_two_day_fair_shows_its_dates_and_no_times(client, make_event):
    event = make_event("Zweitägige Messe", day=date(2027, 3, 12), all_day_until=SATURDAY)

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    listing = client.get("/?from=2027-03-01").get_data(as_text=True)

    assert "Freitag, 12. März 2027" in page and "Samstag, 13. März 2027" in page
    item = listing[listing.index("Zweitägige Messe"):]
    item = item[:item.index("</li>")]
    assert "12." in item and "13." in item
    for html in (page, item):
        assert not re.search(r"\b\d{1,2}:\d{2}\b", html)


# --- language and layout ------------------------------------------------------------------


def test_english_switch_changes_labels_and_weekdays(client, make_event):
    event = make_event("Wochenendmesse", day=SATURDAY)

    german = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Samstag" in german and "Saturday" not in german

    response = client.post("/language", data={"lang": "en", "next": f"/events/{event.id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{event.id}"

    english = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Saturday" in english and "Samstag" not in english
    assert '<html lang="en">' in english
    assert "Training fair" in english
    listing = client.get("/?view=month&month=2027-03").get_data(as_text=True)
    assert "March 2027" in listing
    assert "Metalworking and mechanical engineering" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "http:/evil.example", "/\\evil.example",
    "\\\\evil.example", "javascript:alert(1)", "evil.example", "/ok\r\nSet-Cookie: x=1",
])
def test_language_switch_refuses_open_redirects(client, target):
    response = client.post("/language", data={"lang": "de", "next": target})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_language_switch_keeps_a_local_next_and_refuses_unknown_languages(client):
    response = client.post("/language", data={"lang": "en", "next": "/?view=month&month=2027-03"})
    assert response.headers["Location"] == "/?view=month&month=2027-03"

    assert client.post("/language", data={"lang": "fr"}).status_code == 400
    assert client.post("/language", data={}).status_code == 400
    assert client.get("/language").status_code == 405


def test_language_switch_is_stored_for_logged_in_users(client, make_user, make_organisation):
    user = make_user(organisation=make_organisation())
    login(client, user)

    client.post("/language", data={"lang": "en"})

    db.session.refresh(user)
    assert user.language == "en"


def test_layout_has_skip_link_language_form_and_login(client):
    html = client.get("/").get_data(as_text=True)

    assert 'href="#main"' in html and 'id="main"' in html
    assert 'action="/language"' in html and 'name="lang" value="en"' in html
    assert 'href="/login"' in html
    assert 'href="/manage/"' not in html and 'href="/admin/"' not in html


def test_layout_links_organisers_and_admins_to_their_pages(
    client, make_user, make_organisation
):
    organiser = make_user(organisation=make_organisation())
    login(client, organiser)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/manage/"' in html and 'href="/admin/"' not in html
    assert organiser.email in html

    login(client, make_user("admin@example.org", role="admin"))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in html


def test_error_page_uses_the_layout(client):
    response = client.get("/does-not-exist")
    html = response.get_data(as_text=True)

    assert response.status_code == 404
    assert "Messekalender" in html and 'href="/"' in html and "404" in html


# --- efficiency ---------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


@pytest.mark.parametrize("url", ["/?from=2027-01-01", "/?view=month&month=2027-03"])
def test_no_query_per_event(client, make_event, url):
    make_event("Erste", day=date(2027, 3, 1))
    count_queries(client, url)  # the first request of a process also fills its caches
    make_event("Zweite", day=date(2027, 3, 1))
    few = count_queries(client, url)
    for n in range(8):
        make_event(f"Messe {n}", town=("Soest", "Olpe", "Meschede")[n % 3],
                   venue=f"Halle {n}", day=date(2027, 3, 2 + n),
                   industries=("AUTO", "HOLZ"), audiences=("pupils", "teachers"))
    many = count_queries(client, url)

    assert many == few


def test_list_badges_name_the_grades_of_pupils_audiences(client, make_event):
    make_event("Messe A", day=date(2027, 3, 1), audiences=("pupils", "teachers"),
               grade_from=8, grade_to=10)
    make_event("Messe B", day=date(2027, 3, 2), audiences=("pupils",), grade_from=9)
    make_event("Messe C", day=date(2027, 3, 3), audiences=("pupils",))

    html = client.get("/?from=2027-01-01").get_data(as_text=True)

    assert "Schülerinnen und Schüler (Klasse 8–10)" in html
    assert "Schülerinnen und Schüler (ab Klasse 9)" in html
    assert "Schülerinnen und Schüler (alle Klassen)" in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get("/?from=2027-01-01").get_data(as_text=True)
    assert "(grades 8–10)" in english and "(from grade 9)" in english
