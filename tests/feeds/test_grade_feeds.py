"""Grades in the feeds and the feed builder: the README's example address, the feed's
name and description, a shareable builder address that restores the choice, refusals."""

from __future__ import annotations

import html
from datetime import timedelta

import icalendar
import pytest

from app.time import local_today
from tests.feeds.test_builder import field_value, get_page, preview_titles

EXAMPLE = "/feeds/all.ics?district=OE&audience=pupils&grade=8&grade=9&grade=10"


@pytest.fixture
def olpe(make_event):
    """Kreis Olpe: fairs for grades 8–10, 11–13, all grades; and one in Siegen."""
    day = local_today() + timedelta(days=20)
    make_event("Messe Klasse 8-10", town="Olpe", venue="Stadthalle Olpe", day=day,
               audiences=("pupils",), grade_from=8, grade_to=10)
    make_event("Messe Oberstufe", town="Attendorn", venue="Stadthalle Attendorn",
               day=day + timedelta(days=1), audiences=("pupils",), grade_from=11, grade_to=13)
    make_event("Messe alle Klassen", town="Lennestadt", venue="Sauerlandhalle",
               day=day + timedelta(days=2), audiences=("pupils", "parents"))
    make_event("Messe Siegen Klasse 9", town="Siegen", day=day + timedelta(days=3),
               audiences=("pupils",), grade_from=9, grade_to=9)


def summaries(data: bytes) -> list[str]:
    calendar = icalendar.Calendar.from_ical(data)
    return sorted(str(component["SUMMARY"]) for component in calendar.walk("VEVENT"))


def test_the_readme_example_feed_holds_exactly_the_matching_events(client, olpe):
    response = client.get(EXAMPLE)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert summaries(response.data) == ["Messe Klasse 8-10", "Messe alle Klassen"]
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == (
        "Messekalender Südwestfalen: Kreis Olpe · für Schülerinnen und Schüler · Klasse 8–10")
    assert "Auswahl: Kreis Olpe · für Schülerinnen und Schüler · Klasse 8–10." in str(
        calendar["X-WR-CALDESC"])


def test_the_district_and_industry_feeds_take_grades_too(client, olpe):
    assert summaries(client.get("/feeds/district/SI.ics?grade=9").data) == [
        "Messe Siegen Klasse 9"]
    assert summaries(client.get("/feeds/district/OE.ics?grade=12&grade=13").data) == [
        "Messe Oberstufe", "Messe alle Klassen"]
    assert summaries(client.get("/feeds/industry/CROSS.ics?grade=5").data) == [
        "Messe alle Klassen"]


def test_the_feed_etag_differs_by_grade(client, olpe):
    nine = client.get("/feeds/all.ics?grade=9").headers["ETag"]
    ten = client.get("/feeds/all.ics?grade=10").headers["ETag"]
    assert nine != ten
    again = client.get("/feeds/all.ics?grade=9", headers={"If-None-Match": nine})
    assert again.status_code == 304


@pytest.mark.parametrize("query", ["grade=4", "grade=14", "grade=abc", "grade=8-10",
                                   "grade=" + "9" * 500])
def test_a_bad_grade_in_a_feed_address_is_a_clear_400(client, olpe, query):
    response = client.get(f"/feeds/all.ics?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "'grade' takes school grades from 5 to 13" in response.get_data(as_text=True)


def test_the_builder_gives_the_feed_address_with_grades_and_its_name(client, olpe):
    page = get_page(client, "?district=OE&audience=pupils&grade=8&grade=9&grade=10")
    assert field_value(page, "feed-url") == "http://localhost" + EXAMPLE
    assert "Klasse 8–10" in html.unescape(page.split('class="feed-name"')[1][:400])
    assert preview_titles(page) == ["Messe Klasse 8-10", "Messe alle Klassen"]


def test_the_builder_address_is_shareable_and_restores_every_choice(client, olpe):
    """A colleague opens the same /feeds?… address and sees the same boxes ticked."""
    page = get_page(client, "?district=OE&district=SI&audience=pupils&type=training_fair"
                            "&industry=CROSS&grade=9&grade=13")
    for ticked in ("fb-district-OE", "fb-district-SI", "fb-audience-pupils",
                   "fb-type-training_fair", "fb-industry-CROSS", "fb-grade-9", "fb-grade-13"):
        assert f'id="{ticked}" checked' in page, ticked
    for unticked in ("fb-district-HSK", "fb-grade-8", "fb-grade-10"):
        assert f'id="{unticked}">' in page, unticked


def test_a_bad_grade_in_the_builder_falls_back_with_a_message(client, olpe):
    page = get_page(client, "?grade=3", status=400)
    assert "Bitte wählen Sie Klassen von 5 bis 13." in page
    assert field_value(page, "feed-url") == "http://localhost/feeds/all.ics"
