"""Search engines and open data: the sitemap (valid XML, public pages only), robots.txt,
the CSV and JSON against the documented fields, and the documentation page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from xml.etree import ElementTree

from app.booths import services as booths
from app.extensions import db
from app.public.open_data import FIELDS
from app.time import local_today, now_utc

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_is_valid_xml_with_public_pages_only(client, make_event):
    public = make_event("Ausbildungsmesse Siegen")
    cancelled = make_event("Abgesagte Messe", status="cancelled")
    draft = make_event("Entwurf", status="draft")
    planned = make_event("Reserviert", status="planned")

    answer = client.get("/sitemap.xml")

    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    root = ElementTree.fromstring(answer.data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    locations = [loc.text for loc in root.findall("s:url/s:loc", NS)]
    assert "http://localhost/" in locations and "http://localhost/feeds" in locations
    assert "http://localhost/open-data" in locations
    assert f"http://localhost/events/{public.id}" in locations
    assert f"http://localhost/events/{cancelled.id}" in locations
    assert f"http://localhost/events/{draft.id}" not in locations
    assert f"http://localhost/events/{planned.id}" not in locations
    modified = root.find(f"s:url[s:loc='http://localhost/events/{public.id}']/s:lastmod", NS)
    assert modified is not None and modified.text.endswith("+00:00")
    # A new event appears at once (the cached sitemap follows the data version).
    later = make_event("Neue Messe")
    assert f"/events/{later.id}".encode() in client.get("/sitemap.xml").data


def test_robots_names_the_sitemap_and_keeps_out_of_private_areas(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "User-agent: *" in text
    assert "Sitemap: http://localhost/sitemap.xml" in text
    for private in ("/admin/", "/manage/", "/account", "/api/", "/feeds/company/"):
        assert f"Disallow: {private}" in text


def _booked_fair(make_event, make_company, organiser):
    fair = make_event("Ausbildungsmesse Olpe", town="Olpe", organisation=organiser.organisation,
                      day=local_today() + timedelta(days=40))
    now = now_utc()
    booths.configure_fair(fair, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=20),
        approval="auto"), now)
    category = booths.add_category(fair, organiser, booths.CategoryData(
        name="Standard", size_m2=9.0, price_cents=0, capacity=10))
    db.session.commit()
    return fair, category


def test_csv_and_json_hold_the_documented_fields(client, make_event, make_company,
                                                 make_user, organiser_a):
    from app.reference.models import Occupation

    fair, category = _booked_fair(make_event, make_company, organiser_a)
    company = make_company("Beispiel Metallbau GmbH")
    user = make_user("azubi@metallbau.example", "company", company=company)
    occupation = db.session.execute(db.select(Occupation).where(
        Occupation.name == "Industriemechaniker/-in")).scalar_one()
    booths.book(company, category, booths.BookingDetails(occupation_ids=[occupation.id]),
                user, now_utc())
    db.session.commit()
    make_event("=HYPERLINK(\"http://evil.example\")", day=local_today() + timedelta(days=3),
               audiences=("pupils",), grade_from=8, grade_to=10)
    make_event("Entwurf", status="draft")

    csv_answer = client.get("/open-data/events.csv")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_answer.get_data(as_text=True))))
    assert list(rows[0]) == [field.name for field in FIELDS]
    assert len(rows) == 2
    by_title = {row["title"]: row for row in rows}
    hostile = by_title["'=HYPERLINK(\"http://evil.example\")"]
    assert (hostile["grade_from"], hostile["grade_to"], hostile["audiences"]) == ("8", "10",
                                                                                  "pupils")
    fair_row = by_title["Ausbildungsmesse Olpe"]
    assert fair_row["occupations"] == "Industriemechaniker/-in"
    assert fair_row["exhibitors"] == "1" and hostile["exhibitors"] == ""
    assert fair_row["district"] == "OE" and fair_row["ags"] == "05966024"
    assert fair_row["start"].endswith(("+01:00", "+02:00"))

    document = client.get("/open-data/events.json").get_json()
    assert document["licence"]["id"] == "dl-de/by-2-0"
    assert document["documentation"] == "http://localhost/open-data"
    events = document["events"]
    assert [list(event) for event in events] == [[field.name for field in FIELDS]] * 2
    fair_json = next(event for event in events if event["id"] == fair.id)
    assert fair_json["occupations"] == ["Industriemechaniker/-in"]
    assert fair_json["exhibitors"] == 1 and fair_json["all_day"] is False
    assert isinstance(fair_json["latitude"], float)
    kinds = {"integer": int, "text": str, "number": float, "boolean": bool, "list": list,
             "date-time": str}
    for event in events:
        for field in FIELDS:
            value = event[field.name]
            assert value is None or isinstance(value, kinds[field.kind]), field.name


def test_documentation_page_names_every_field_and_the_licence(client):
    html = client.get("/open-data").get_data(as_text=True)
    for field in FIELDS:
        assert f'id="field-{field.name}"' in html
    assert "Datenlizenz Deutschland – Namensnennung – 2.0" in html
    assert "/open-data/events.csv" in html and "/open-data/events.json" in html
