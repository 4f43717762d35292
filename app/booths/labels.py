"""What every booth page shows the same way: statuses, approval modes, prices and areas."""

from __future__ import annotations

from babel.numbers import format_decimal

from app.booths.codes import APPROVAL_MODES, BOOKING_STATUSES, FAIR_CANCELLED
from app.i18n import current_language, format_euros
from app.time import to_local


def labels() -> dict:
    return {"booking_statuses": BOOKING_STATUSES, "booking_status": booking_status,
            "approval_modes": APPROVAL_MODES,
            "euros": format_euros, "square_metres": square_metres, "local": to_local}


def booking_status(booking) -> str:
    """A booking's status for people: a company's or organiser's cancellation is
    "Storniert", a booking that ended with its fair says the fair was cancelled."""
    if booking.status == "cancelled" and booking.event.status == "cancelled":
        return str(FAIR_CANCELLED)
    return str(BOOKING_STATUSES[booking.status])


def square_metres(value: float) -> str:
    return f"{format_decimal(value, '#,##0.##', locale=current_language())} m²"
