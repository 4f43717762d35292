"""The rules every booth operation shares: its errors, the data it takes, who may do
what, and whether a fair can be booked now."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l

from app.accounts.models import Company, User
from app.booths.codes import DEFAULT_OFFER_HOURS
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.calendar.models import Event
from app.calendar.services import can_edit, can_view
from app.errors import DomainError
from app.extensions import db
from app.i18n import format_deadline
from app.text import multiline_error, normalise_line_endings
from app.time import to_local

MAX_OCCUPATIONS = 30
MAX_REMARKS = 2000
MAX_POWER_NEEDS = 200
MAX_INVOICE_ADDRESS = 500
MAX_ORDER_NUMBER = 60
MAX_REASON = 1000
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BookingError(DomainError):
    """A booking rule was broken: ``code`` is stable (API), the message is for people,
    ``field`` names the input at fault (or None for the whole request)."""

    status = 409

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message, field=field, code=code)


class BookingInvalid(BookingError):
    """The input breaks a rule (422 in the API)."""

    status = 422


class BookingDenied(BookingError):
    """The acting user may not do this (403, or 404 where existence must not leak)."""

    status = 403

    def __init__(self, message: str | None = None):
        super().__init__("forbidden", message or str(_l("You are not allowed to do this.")))


@dataclass
class FairSetupData:
    """What an organiser enters for a fair's booth sign-up. Times are aware (UTC)."""

    opens_at: datetime
    closes_at: datetime
    approval: str = "auto"
    takes_exhibitors: bool = True
    setup_starts_at: datetime | None = None
    teardown_ends_at: datetime | None = None
    allocation: str = "first_come"
    waitlist_mode: str = "offer"
    offer_hours: int = DEFAULT_OFFER_HOURS
    # The allocation's priority groups, highest first, and places kept per industry.
    priority_groups: list[str] = field(default_factory=list)
    quotas: dict[str, int] = field(default_factory=dict)


@dataclass
class CategoryData:
    """A booth category as the organiser enters it; the price is in cents."""

    name: str
    size_m2: float
    price_cents: int
    capacity: int
    includes_table: bool = False
    includes_power: bool = False
    includes_internet: bool = False
    description: str = ""


@dataclass
class BookingDetails:
    """What a company fills in when it books."""

    staff_count: int = 1
    power_needs: str = ""
    occupation_ids: list[int] = field(default_factory=list)
    remarks: str = ""
    invoice_address: str = ""
    order_number: str = ""


# --- who may do what ---------------------------------------------------------------------


def can_manage(user: User | None, event: Event) -> bool:
    """Organisers of the event's organisation (and admins) run its booth sign-up."""
    return can_edit(user, event)


def is_company_member(user: User | None, company: Company) -> bool:
    """An active company user of ``company``."""
    return (user is not None and user.is_authenticated and user.active
            and user.role == "company" and user.company_id == company.id)


def can_see_booking(user: User | None, booking: Booking) -> bool:
    """A booking is seen by its own company and by the fair's organisers, nobody else."""
    if user is None:
        return False
    return (is_company_member(user, booking.company)
            or can_manage(user, db.session.get(Event, booking.event_id)))


def can_book_category(user: User | None, category: BoothCategory) -> bool:
    """Whether ``user`` may even see the category (its fair is visible to them); the
    window and the other rules are checked by ``book``."""
    return can_view(user, db.session.get(Event, category.event_id))


def require_manager(user: User | None, event: Event) -> None:
    if not can_manage(user, event):
        raise BookingDenied(str(_l("Only the organisers of this fair can do this.")))


# --- fair set-up -------------------------------------------------------------------------


def setup_of(event: Event) -> BoothSetup | None:
    return db.session.get(BoothSetup, event.id)


def takes_exhibitors(event: Event) -> bool:
    setup = setup_of(event)
    return setup is not None and setup.takes_exhibitors


def check_reason(reason: str | None) -> str:
    """The organiser's reason for a rejection or cancellation: required, told to the
    company in its mail."""
    reason = normalise_line_endings(reason or "").strip()
    if message := multiline_error(reason):
        raise BookingInvalid("validation_failed", str(message), "reason")
    if not reason:
        raise BookingInvalid("validation_failed", str(_l(
            "Please give a reason; the company reads it in its message.")), "reason")
    if len(reason) > MAX_REASON:
        raise BookingInvalid("validation_failed", str(_l(
            "Please keep the reason to 1,000 characters.")), "reason")
    return reason


def check_window(setup: BoothSetup | None, event: Event, now: datetime) -> None:
    """Raise BookingError unless companies can book this fair at ``now``."""
    if setup is None or not setup.takes_exhibitors:
        raise BookingError("no_exhibitors", str(_l("This fair does not take exhibitors.")))
    if event.status != "published":
        raise BookingError("not_bookable", str(_l("This fair cannot be booked.")))
    if now < setup.opens_at:
        raise BookingError("not_open_yet", str(_l(
            "Registration opens on %(when)s.", when=local_text(setup.opens_at))))
    if now >= setup.closes_at:
        raise BookingError("closed", str(_l(
            "Registration closed on %(when)s.", when=format_deadline(setup.closes_at))))


def local_text(value: datetime) -> str:
    from app.i18n import current_language

    return format_datetime(to_local(value), "medium", locale=current_language())
