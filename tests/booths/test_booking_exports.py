"""Exhibitor lists as CSV and XLSX: the right rows, and hostile company names that a
spreadsheet would run as formulas come out as plain text."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from app.booths.exports import exhibitors_csv, exhibitors_xlsx, neutralise

HOSTILE = [
    '=HYPERLINK("http://evil.example","Klick")',
    "+49 Metall GmbH",
    "-1+2 AG",
    "@SUM(A1:A9) KG",
    "\tTabulator GmbH",
    "\rWagenrücklauf GmbH",
]


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("Müller GmbH", "Müller GmbH"), ("a=b", "a=b"), (None, ""), (3, 3),
    (-3, -3),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def listed(fair, category, company, book):
    event = fair()
    standard = category(event, capacity=len(HOSTILE) + 1)
    for name in HOSTILE:
        book(*company(name), standard, remarks="=cmd|' /C calc'!A0", power_needs="-230V")
    book(*company("Ordentliche GmbH"), standard, staff_count=4)
    full = category(event, "Voll", capacity=0)
    book(*company("Wartende GmbH"), full)  # waitlisted: not on the exhibitor list
    return event


def test_csv_neutralises_every_hostile_cell(listed):
    data = exhibitors_csv(listed)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    names = [row[0] for row in rows[1:]]
    assert len(names) == len(HOSTILE) + 1
    assert "Wartende GmbH" not in names
    assert "Ordentliche GmbH" in names
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert {name for name in names if name.startswith("'")} == {"'" + n for n in HOSTILE}
    ordentlich = next(row for row in rows if row[0] == "Ordentliche GmbH")
    assert ordentlich[6] == "4"


def test_xlsx_has_no_formulas(listed):
    workbook = openpyxl.load_workbook(io.BytesIO(exhibitors_xlsx(listed)))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert len(values) == len(HOSTILE) + 1
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    names = {row[0] for row in values}
    assert "'" + HOSTILE[0] in names
    staff = {row[0]: row[6] for row in values}
    assert staff["Ordentliche GmbH"] == 4  # numbers stay numbers
