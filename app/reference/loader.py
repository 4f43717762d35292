"""Load the region's reference data from the CSV files shipped with the package.

Idempotent: rows are matched on their natural keys (codes, AGS, names) and updated in
place, so ``init-db`` can run on every deploy.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from app.extensions import db
from app.reference.models import District, Industry, Municipality, Occupation

DATA_DIR = Path(__file__).parent / "data"


def read_rows(filename: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def load_reference_data() -> dict[str, int]:
    """Insert or update districts, neighbours, municipalities, industries, occupations."""
    counts = {}
    for name, load in (
        ("districts", _load_districts),
        ("municipalities", _load_municipalities),
        ("industries", _load_industries),
        ("occupations", _load_occupations),
    ):
        counts[name] = load()
        db.session.flush()
    return counts


def _load_districts() -> int:
    rows = list(read_rows("districts.csv"))
    districts = {}
    for row in rows:
        district = db.session.get(District, row["code"]) or District(code=row["code"])
        district.name = row["name"]
        district.kreis_key = row["kreis_key"]
        district.seat = row["seat"]
        db.session.add(district)
        districts[district.code] = district
    for row in read_rows("district_adjacency.csv"):
        a, b = row["district_code"], row["neighbour_code"]
        if row["neighbour_in_suedwestfalen"] != "yes" or not b:
            continue
        for district, neighbour in ((districts[a], districts[b]), (districts[b], districts[a])):
            if neighbour not in district.neighbours:
                district.neighbours.append(neighbour)
    return len(rows)


def _load_municipalities() -> int:
    existing = {m.ags: m for m in db.session.execute(db.select(Municipality)).scalars()}
    count = 0
    for row in read_rows("municipalities.csv"):
        municipality = existing.get(row["ags"]) or Municipality(ags=row["ags"])
        municipality.name = row["name"]
        municipality.official_name = row["official_name"]
        municipality.kind = row["type"]
        municipality.district_code = row["district_code"]
        municipality.latitude = float(row["lat"])
        municipality.longitude = float(row["lon"])
        municipality.postal_code = row["postal_code_main"]
        db.session.add(municipality)
        count += 1
    return count


def _load_industries() -> int:
    count = 0
    for row in read_rows("industries.csv"):
        industry = db.session.get(Industry, row["code"]) or Industry(code=row["code"])
        industry.name_de = row["name_de"]
        industry.name_en = row["name_en"]
        db.session.add(industry)
        count += 1
    return count


def _load_occupations() -> int:
    existing = {o.name: o for o in db.session.execute(db.select(Occupation)).scalars()}
    count = 0
    for row in read_rows("occupations.csv"):
        occupation = existing.get(row["name"]) or Occupation(name=row["name"])
        occupation.industry_code = row["sector_code"]
        db.session.add(occupation)
        count += 1
    return count
