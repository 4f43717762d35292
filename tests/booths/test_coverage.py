"""Occupation coverage: what confirmed exhibitors present at a fair and in the region's
fairs of a year, by industry, and what no fair in a district presents."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import select

from app.booths import services as booths
from app.booths.coverage import fair_coverage, region_coverage
from app.extensions import db
from app.reference.models import Occupation
from app.time import now_utc
from tests.conftest import PASSWORD


def occupation(name: str) -> Occupation:
    return db.session.execute(select(Occupation).where(Occupation.name == name)).scalar_one()


@pytest.fixture
def year() -> int:
    from app.time import local_today

    return local_today().year + 1


@pytest.fixture
def region(fair, category, company, book, year, make_event):
    """Two fairs in Siegen (SI) and one in Olpe (OE) next year; exhibitors with
    occupations, one of them only waitlisted and one cancelled."""
    mechanic = occupation("Industriemechaniker/-in")
    cutter = occupation("Zerspanungsmechaniker/-in")
    siegen = fair("Ausbildungsmesse Siegen", town="Siegen", day=date(year, 3, 3),
                  start=time(9), end=time(15))
    siegen_2 = fair("Azubi-Tag Siegen", town="Siegen", day=date(year, 9, 9))
    olpe = fair("Ausbildungsmesse Olpe", town="Olpe", day=date(year, 4, 4))
    small = category(siegen, capacity=2)
    for number, chosen in enumerate(([mechanic, cutter], [mechanic], [cutter])):
        firm, user = company(f"Beispiel {number} GmbH")
        book(firm, user, small, occupation_ids=[o.id for o in chosen])  # third: waitlisted
    firm, user = company("Beispiel Olpe GmbH")
    cancelled = book(firm, user, category(olpe), occupation_ids=[cutter.id])
    booths.cancel(cancelled, user, now_utc())
    firm, user = company("Beispiel Zwei GmbH")
    book(firm, user, category(siegen_2), occupation_ids=[mechanic.id])
    make_event("Messe ohne Stände", town="Meschede", day=date(year, 5, 5))
    db.session.commit()
    return {"siegen": siegen, "olpe": olpe, "mechanic": mechanic, "cutter": cutter}


def test_fair_coverage_counts_confirmed_exhibitors_by_industry(region):
    groups = {group.industry.code: group for group in fair_coverage(region["siegen"])}
    metal = groups["METALL"]
    assert [(item.occupation.name, item.count) for item in metal.presented] == [
        ("Industriemechaniker/-in", 2), ("Zerspanungsmechaniker/-in", 1)]
    assert region["mechanic"] not in metal.missing
    assert occupation("Werkzeugmechaniker/-in") in metal.missing
    all_known = db.session.execute(select(Occupation)).scalars().all()
    listed = [o for g in groups.values() for o in g.missing] + [
        i.occupation for g in groups.values() for i in g.presented]
    assert sorted(o.id for o in listed) == sorted(o.id for o in all_known)


def test_region_coverage_per_year_and_district_gaps(region, year):
    coverage = region_coverage(year)
    assert coverage.fairs == 3
    assert coverage.fairs_by_district == {"HSK": 0, "OE": 1, "SI": 2, "SO": 0, "MK": 0}
    metal = next(group for group in coverage.groups if group.industry.code == "METALL")
    counts = {item.occupation.name: item.count for item in metal.presented}
    assert counts["Industriemechaniker/-in"] == 2  # at both fairs in Siegen
    assert counts["Zerspanungsmechaniker/-in"] == 1
    assert coverage.missing_by_district["HSK"] is None  # no fair with exhibitors there
    si_missing = {o.name for group in coverage.missing_by_district["SI"].values()
                  for o in group}
    assert "Industriemechaniker/-in" not in si_missing
    assert "Werkzeugmechaniker/-in" in si_missing
    oe_missing = {o.name for group in coverage.missing_by_district["OE"].values()
                  for o in group}
    assert "Industriemechaniker/-in" in oe_missing
    assert region_coverage(year + 5).fairs == 0


def test_pages_for_organisers_only(client, region, year, organiser, company, make_user):
    assert client.get("/manage/coverage").status_code == 302
    firm, user = company("Beispiel Spion GmbH")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get(f"/manage/coverage?year={year}").status_code == 403
    client.post("/logout")
    client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    page = client.get(f"/manage/coverage?year={year}").get_data(as_text=True)
    assert "Industriemechaniker/-in" in page and "Werkzeugmechaniker/-in" in page
    assert "Kreis Olpe" in page
    fair_page = client.get(f"/manage/events/{region['siegen'].id}/coverage")
    assert fair_page.status_code == 200
    assert "Zerspanungsmechaniker/-in" in fair_page.get_data(as_text=True)
    for bad in ("abc", "1", "99999", "-1", "2027.5"):
        answer = client.get(f"/manage/coverage?year={bad}")
        assert answer.status_code == 400, bad
    assert client.get("/manage/events/999999/coverage").status_code == 404


def test_the_page_opens_on_the_year_of_the_next_fair(client, region, year, organiser):
    client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    page = client.get("/manage/coverage").get_data(as_text=True)
    assert re.search(rf"<h1>[^<]*{year}</h1>", page)
