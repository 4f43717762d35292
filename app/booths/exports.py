"""The exhibitor list of a fair as CSV and XLSX, for organisers (cells neutralised
against formula injection by ``app.spreadsheets``)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from app.booths.labels import booking_status
from app.booths.models import Booking
from app.booths.services import event_bookings
from app.calendar.models import Event
from app.extensions import db
from app.i18n import format_euros
from app.spreadsheets import csv_bytes, neutralise, xlsx_bytes

__all__ = ["exhibitor_rows", "exhibitors_csv", "exhibitors_xlsx", "neutralise"]


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
            booking_status(booking),
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
    return csv_bytes(*exhibitor_rows(event, statuses))


def exhibitors_xlsx(event: Event, statuses: Sequence[str] = ("confirmed",)) -> bytes:
    header, rows = exhibitor_rows(event, statuses)
    return xlsx_bytes(_("Exhibitors"), header, rows)
