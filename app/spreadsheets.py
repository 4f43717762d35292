"""Lists for organisers as CSV and XLSX, safe to open in a spreadsheet.

Names and remarks in these lists are typed by other people (companies, teachers), so every
text cell is neutralised against spreadsheet formula injection: a value that starts with
``=``, ``+``, ``-``, ``@``, a tab or a line break gets a leading apostrophe (OWASP's
advice), and the XLSX cells are written as plain strings, never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Excel in German opens CSV files separated by semicolons; the BOM tells it UTF-8.
CSV_DELIMITER = ";"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def neutralise(value: object) -> object:
    """A cell value that no spreadsheet will run as a formula; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_STARTS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[object], rows: Sequence[Sequence[object]]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, header: Sequence[object], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet named ``title`` with a frozen header row, every text cell a string."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row_number, row in enumerate([header, *rows], start=1):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            safe = neutralise(value)
            cell.value = safe
            if isinstance(safe, str):
                cell.data_type = TYPE_STRING  # openpyxl would read "=…" as a formula
    for column_number, title_cell in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = max(
            12, len(str(title_cell)) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
