"""The year overview: the pure SVG builder, and the page with real holidays and counts."""

from __future__ import annotations

import re
from datetime import date
from xml.etree import ElementTree as ET

import pytest

from app.clashes import overview
from app.clashes.blackout import load_shipped_calendars
from app.clashes.dates import planning_year
from app.extensions import db
from tests.clashes.conftest import SATURDAY
from tests.conftest import login

NS = {"svg": overview.SVG_NS}
LABELS = overview.Labels(
    title="Year <2027>", description="Per day & district",
    months=["January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"],
    kinds={kind: kind.replace("_", " ") for kind in overview.KINDS},
    events=lambda n: f"{n} events", day=lambda day: day.isoformat(),
)


def build(counts=None, school=None, public=None) -> ET.Element:
    days = overview.year_days(2027, counts or {}, school or {}, public or {})
    markup = overview.year_svg(2027, days, [("SI", "Siegen-Wittgenstein"), ("OE", "Olpe")],
                               LABELS)
    return ET.fromstring(markup)


def cell(svg: ET.Element, day: date) -> ET.Element:
    for group in svg.iter(f"{{{overview.SVG_NS}}}g"):
        if group.get("data-day") == day.isoformat():
            return group
    raise AssertionError(f"no cell for {day}")


def test_svg_is_accessible_and_escapes_text():
    svg = build(school={date(2027, 7, 20): "Ferien <script>"})
    assert svg.get("role") == "img"
    assert svg.find("svg:title", NS).text == "Year <2027>"  # parsed back: it was escaped
    assert svg.find("svg:desc", NS).text == "Per day & district"
    assert svg.get("aria-labelledby") == "year-svg-title year-svg-desc"
    assert "Ferien <script>" in cell(svg, date(2027, 7, 20)).find("svg:title", NS).text
    assert "style" not in ET.tostring(svg, encoding="unicode")  # CSP: no style attributes


def test_every_day_of_the_year_has_one_cell():
    svg = build()
    cells = [g for g in svg.iter(f"{{{overview.SVG_NS}}}g")
             if (g.get("class") or "").startswith("year-day ")]
    assert len(cells) == 365


def test_kinds_counts_and_district_bars():
    svg = build(counts={SATURDAY: {"SI": 2, "OE": 1}},
                public={date(2027, 5, 1): "Tag der Arbeit"},
                school={date(2027, 5, 1): "Ferien", date(2027, 7, 21): "Sommerferien"})
    busy = cell(svg, SATURDAY)
    assert busy.get("class") == "year-day year-day--weekend"
    assert [t.text for t in busy.findall("svg:text", NS)] == ["3"]
    assert "SI 2" in busy.find("svg:title", NS).text
    assert len(busy.findall("svg:rect", NS)) == 3  # background and one bar per district
    assert cell(svg, date(2027, 5, 1)).get("class") == "year-day year-day--holiday"  # holiday first
    assert cell(svg, date(2027, 7, 21)).get("class") == "year-day year-day--school"
    assert cell(svg, date(2027, 6, 19)).get("class") == "year-day year-day--free_weekend"
    assert cell(svg, date(2027, 6, 16)).get("class") == "year-day year-day--weekday"


@pytest.fixture
def as_organiser(client, organiser_a):
    organiser_a.language = "en"
    db.session.commit()
    login(client, organiser_a)
    return client


def test_year_page_shades_nrw_summer_holidays_and_counts_events(as_organiser, make_event,
                                                                 org_a, org_b):
    load_shipped_calendars()
    db.session.commit()
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Reservierte Messe Olpe", organisation=org_b, town="Olpe",
               venue="Stadthalle Olpe", day=SATURDAY, status="planned")
    make_event("Fremder Entwurf", organisation=org_b, day=SATURDAY, status="draft")
    make_event("Eigener Entwurf", organisation=org_a, town="Olpe", venue="Rathaus Olpe",
               day=date(2027, 6, 15), status="draft")
    response = as_organiser.get("/clashes/year?year=2027")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))
    summer = cell(svg, date(2027, 7, 20))  # Sommerferien 2026/27: 19 July – 31 August
    assert summer.get("class") == "year-day year-day--school"
    assert "Sommerferien" in summer.find("svg:title", NS).text
    assert cell(svg, date(2027, 9, 1)).get("class") != "year-day year-day--school"
    assert cell(svg, date(2027, 10, 3)).get("class") == "year-day year-day--holiday"  # Unity Day
    assert [t.text for t in cell(svg, SATURDAY).findall("svg:text", NS)] == ["2"]
    assert [t.text for t in cell(svg, date(2027, 6, 15)).findall("svg:text", NS)] == ["1"]
    # The reserved dates of all organisers, and the text alternative.
    assert "Reservierte Messe Olpe" in page and "Fremder Entwurf" not in page
    assert "Free weekends:" in page and "<table" in page


def test_year_out_of_range_or_garbage(as_organiser):
    assert as_organiser.get("/clashes/year?year=1066").status_code == 404
    assert as_organiser.get("/clashes/year?year=zwei").status_code == 200


@pytest.mark.parametrize(("today", "year"), [
    (date(2026, 1, 2), 2026), (date(2026, 11, 30), 2026),
    (date(2026, 12, 1), 2027), (date(2026, 12, 31), 2027),
])
def test_the_overview_opens_on_the_year_being_planned(today, year):
    """In December organisers plan the next year, so the overview opens on it."""
    assert planning_year(today) == year
