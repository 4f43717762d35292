"""The exhibitor list of a fair as CSV and XLSX, for organisers.

Company names and remarks are typed by companies, so every text cell is neutralised
against spreadsheet formula injection: a value that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe (OWASP's advice), and the
XLSX cells are written as plain strings, never as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from app.booths.codes import BOOKING_STATUSES
from app.booths.models import Booking
from app.booths.services import event_bookings
from app.calendar.models import Event
from app.extensions import db
from app.i18n import format_euros

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Excel in German opens CSV files separated by semicolons; the BOM tells it UTF-8.
CSV_DELIMITER = ";"


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


def exhibitor_rows(event: Event, statuses: Sequence[str] = ("confirmed",)) \
        -> tuple[list[str], list[list[object]]]:
    """Header and rows of the list: one row per booking, by company name."""
    header = [_("Company"), _("Municipality"), _("Category"), _("Status"), _("Stand"),
              _("Waitlist position"), _("Staff"), _("Power needs"), _("Occupations"),
              _("Remarks"), _("Contact e-mail"), _("Contact phone"), _("Website"),
              _("Invoice address"), _("Order number"), _("Price")]
    bookings: list[Booking] = list(db.session.execute(event_bookings(event, statuses))
                                   .scalars())
    bookings.sort(key=lambda booking: (booking.company.name.lower(), booking.id))
    rows = []
    for booking in bookings:
        company = booking.company
        rows.append([
            company.name,
            company.municipality.name if company.municipality else "",
            booking.category.name,
            str(BOOKING_STATUSES[booking.status]),
            booking.stand or "",
            booking.waitlist_position or "",
            booking.staff_count,
            booking.power_needs,
            ", ".join(occupation.name for occupation in booking.occupations),
            booking.remarks,
            company.contact_email or "",
            company.contact_phone or "",
            company.website or "",
            booking.invoice_address,
            booking.order_number,
            format_euros(booking.category.price_cents),
        ])
    return header, rows


def exhibitors_csv(event: Event, statuses: Sequence[str] = ("confirmed",)) -> bytes:
    header, rows = exhibitor_rows(event, statuses)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def exhibitors_xlsx(event: Event, statuses: Sequence[str] = ("confirmed",)) -> bytes:
    header, rows = exhibitor_rows(event, statuses)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Exhibitors")[:31]
    for row_number, row in enumerate([header, *rows], start=1):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            safe = neutralise(value)
            cell.value = safe
            if isinstance(safe, str):
                cell.data_type = TYPE_STRING  # openpyxl would read "=…" as a formula
    for column_number, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(column_number)].width = max(12, len(title) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
