"""A fair's booth sign-up as its organisers set it up: the registration window, the
approval and allocation modes, the booth categories."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.models import User
from app.booths.codes import (
    ALLOCATION_MODES,
    APPROVAL_MODES,
    MAX_OFFER_HOURS,
    PRIORITY_GROUPS,
    WAITLIST_MODES,
)
from app.booths.models import Booking, BoothCategory, BoothQuota, BoothSetup
from app.booths.services.locking import (
    exhibitors_changed,
    fill_places,
    lock_categories,
)
from app.booths.services.rules import (
    BookingError,
    BookingInvalid,
    CategoryData,
    FairSetupData,
    require_manager,
    setup_of,
)
from app.calendar.models import Event
from app.extensions import db
from app.reference.codes import INDUSTRY_CODES
from app.time import as_utc
from app.versions import VersionConflict, bump_if_changed, check_version


def configure_fair(event: Event, actor: User, data: FairSetupData, now: datetime, *,
                   version: int | None = None) -> BoothSetup:
    """Create or change the booth sign-up of ``event`` (organisers of the event only).

    The allocation's rules (mode, priority groups, quotas) are fixed once a company has
    booked or applied: they are shown before anyone applies. ``version``: the one the
    user's copy had (0: there was no sign-up yet); a stale copy raises VersionConflict."""
    require_manager(actor, event)
    setup = setup_of(event)
    if setup is not None:
        check_version(setup, version)
    elif version:
        raise VersionConflict(0)
    errors = _check_setup(event, data) + _check_allocation(event, setup, data)
    if errors:
        raise BookingInvalid("validation_failed", errors[0][1], errors[0][0])
    if setup is None:
        setup = BoothSetup(event_id=event.id, created_at=now, sequence=0, priority_groups=[])
        db.session.add(setup)
    elif setup.takes_exhibitors != data.takes_exhibitors:
        exhibitors_changed(event.id, now)
    setup.takes_exhibitors = data.takes_exhibitors
    setup.opens_at, setup.closes_at = as_utc(data.opens_at), as_utc(data.closes_at)
    setup.approval = data.approval
    times = (as_utc(data.setup_starts_at) if data.setup_starts_at else None,
             as_utc(data.teardown_ends_at) if data.teardown_ends_at else None)
    if times != _setup_times(setup):
        setup.sequence += 1  # the companies' feeds show these times
    setup.setup_starts_at, setup.teardown_ends_at = times
    setup.waitlist_mode, setup.offer_hours = data.waitlist_mode, data.offer_hours
    _apply_allocation(setup, data)
    if setup.version is not None:  # a new sign-up starts at its first version
        bump_if_changed(setup)
    setup.updated_at = now
    db.session.flush()
    return setup


def _apply_allocation(setup: BoothSetup, data: FairSetupData) -> None:
    setup.allocation = data.allocation
    lottery = data.allocation == "lottery"
    setup.priority_groups = list(data.priority_groups) if lottery else []
    if lottery and setup.lottery_seed is None:
        # Drawn now and kept secret (its SHA-256 is shown) until the allocation.
        setup.lottery_seed = secrets.token_hex(16)
    if not lottery:
        setup.lottery_seed = None
    wanted = dict(data.quotas) if lottery else {}
    for quota in list(setup.quotas):
        if quota.industry_code not in wanted:
            setup.quotas.remove(quota)
    for quota in setup.quotas:
        quota.places = wanted.pop(quota.industry_code)
    for code, places in sorted(wanted.items()):
        setup.quotas.append(BoothQuota(industry_code=code, places=places))


def _setup_times(setup: BoothSetup) -> tuple[datetime | None, datetime | None]:
    return tuple(as_utc(value) if value else None
                 for value in (setup.setup_starts_at, setup.teardown_ends_at))


def _check_setup(event: Event, data: FairSetupData) -> list[tuple[str, str]]:
    errors = []
    if data.approval not in APPROVAL_MODES:
        errors.append(("approval", str(_l("Unknown approval mode."))))
    if data.closes_at <= data.opens_at:
        errors.append(("closes_at", str(_l("Registration must close after it opens."))))
    if data.closes_at > event.starts_at:
        errors.append(("closes_at", str(_l("Registration must close before the fair begins."))))
    if data.setup_starts_at and data.setup_starts_at > event.starts_at:
        errors.append(("setup_starts_at", str(_l("Set-up must begin before the fair."))))
    if data.teardown_ends_at and data.teardown_ends_at < event.ends_at:
        errors.append(("teardown_ends_at", str(_l("Tear-down must end after the fair."))))
    if data.waitlist_mode not in WAITLIST_MODES:
        errors.append(("waitlist_mode", str(_l("Unknown waitlist mode."))))
    if not isinstance(data.offer_hours, int) or not 1 <= data.offer_hours <= MAX_OFFER_HOURS:
        errors.append(("offer_hours", str(_l(
            "An offer runs for one hour at least and two weeks at most."))))
    return errors


def _check_allocation(event: Event, setup: BoothSetup | None,
                      data: FairSetupData) -> list[tuple[str, str]]:
    """The allocation's rules: known codes, quotas within the fair's places, and no
    change once companies have booked or applied."""
    if data.allocation not in ALLOCATION_MODES:
        return [("allocation", str(_l("Unknown allocation mode.")))]
    groups = list(data.priority_groups) if data.allocation == "lottery" else []
    quotas = dict(data.quotas) if data.allocation == "lottery" else {}
    if any(group not in PRIORITY_GROUPS for group in groups) or len(set(groups)) != len(groups):
        return [("priority_groups", str(_l("Please choose each priority group once.")))]
    if any(code not in INDUSTRY_CODES for code in quotas):
        return [("quotas", str(_l("Unknown industry.")))]
    if any(not isinstance(places, int) or places < 1 for places in quotas.values()):
        return [("quotas", str(_l("A quota is a whole number of places, at least 1.")))]
    places = _places_of(event)
    if sum(quotas.values()) > places:
        return [("quotas", ngettext(
            "The quotas add up to more than the fair's %(num)d place.",
            "The quotas add up to more than the fair's %(num)d places.", places))]
    if setup is not None and _rules(setup) != (data.allocation, groups, quotas) \
            and _has_bookings(event):
        return [("allocation", str(_l(
            "Companies have booked or applied already: the allocation rules stay as they "
            "were announced.")))]
    return []


def _rules(setup: BoothSetup) -> tuple[str, list[str], dict[str, int]]:
    return (setup.allocation, list(setup.priority_groups or []),
            {quota.industry_code: quota.places for quota in setup.quotas})


def _places_of(event: Event) -> int:
    return db.session.execute(
        select(func.coalesce(func.sum(BoothCategory.capacity), 0))
        .where(BoothCategory.event_id == event.id)).scalar_one()


def _has_bookings(event: Event) -> bool:
    return db.session.execute(
        select(Booking.id).where(Booking.event_id == event.id).limit(1)).first() is not None


def quota_places(event: Event) -> int:
    """The places the fair's quotas keep (0 unless it allocates by lottery)."""
    setup = setup_of(event)
    return sum(quota.places for quota in setup.quotas) if setup is not None else 0


def categories_of(event: Event) -> list[BoothCategory]:
    """The event's booth categories, cheapest first."""
    return list(db.session.execute(
        select(BoothCategory).where(BoothCategory.event_id == event.id)
        .order_by(BoothCategory.price_cents, BoothCategory.id)
    ).scalars())


def add_category(event: Event, actor: User, data: CategoryData) -> BoothCategory:
    """A new booth category of ``event``."""
    require_manager(actor, event)
    _check_category(event, data, None)
    category = BoothCategory(event_id=event.id, places_taken=0)
    _apply_category(category, data)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(category: BoothCategory, actor: User, data: CategoryData,
                    now: datetime, *, version: int | None = None) -> BoothCategory:
    """Change a category. A larger capacity promotes waitlisted bookings at once; the
    capacity cannot drop below the places already taken. ``version``: the one the
    user's copy had; a stale copy raises VersionConflict."""
    event = db.session.get(Event, category.event_id)
    require_manager(actor, event)
    category = lock_categories([category.id])[category.id]
    check_version(category, version)
    _check_category(event, data, category)
    if data.capacity < category.places_taken:
        raise BookingInvalid("validation_failed", ngettext(
            "%(num)d place is already taken; the capacity cannot be lower.",
            "%(num)d places are already taken; the capacity cannot be lower.",
            category.places_taken), "capacity")
    kept = quota_places(event)
    if kept and _places_of(event) - category.capacity + data.capacity < kept:
        raise BookingInvalid("validation_failed", ngettext(
            "The fair's quotas keep %(num)d place; the places cannot be fewer.",
            "The fair's quotas keep %(num)d places; the places cannot be fewer.",
            kept), "capacity")
    _apply_category(category, data)
    bump_if_changed(category)
    db.session.flush()
    fill_places(category, actor, now)
    return category


def delete_category(category: BoothCategory, actor: User) -> None:
    """Remove a category that has no bookings at all (keeps the history of bookings)."""
    event = db.session.get(Event, category.event_id)
    require_manager(actor, event)
    used = db.session.execute(
        select(func.count()).select_from(Booking).where(Booking.category_id == category.id)
    ).scalar_one()
    if used:
        raise BookingError("in_use", str(_l("This category has bookings and stays.")))
    db.session.delete(category)
    db.session.flush()


def _check_category(event: Event, data: CategoryData, category: BoothCategory | None) -> None:
    name = data.name.strip()
    if not name or len(name) > 120:
        raise BookingInvalid("validation_failed",
                             str(_l("Please enter a name of up to 120 characters.")), "name")
    clash = db.session.execute(
        select(BoothCategory.id).where(BoothCategory.event_id == event.id,
                                       func.lower(BoothCategory.name) == name.lower())
    ).scalar_one_or_none()
    if clash is not None and (category is None or clash != category.id):
        raise BookingInvalid("validation_failed",
                             str(_l("This fair already has a category of that name.")), "name")
    if not 0 < data.size_m2 <= 10_000:
        raise BookingInvalid("validation_failed",
                             str(_l("The size must be between 0 and 10,000 m².")), "size_m2")
    if not 0 <= data.price_cents <= 100_000_000:
        raise BookingInvalid("validation_failed", str(_l("The price is not valid.")),
                             "price_cents")
    if not 0 <= data.capacity <= 10_000:
        raise BookingInvalid("validation_failed",
                             str(_l("The capacity must be between 0 and 10,000.")), "capacity")


def _apply_category(category: BoothCategory, data: CategoryData) -> None:
    category.name = data.name.strip()
    category.description = data.description.strip()
    category.size_m2 = float(data.size_m2)
    category.price_cents = data.price_cents
    category.capacity = data.capacity
    category.includes_table = data.includes_table
    category.includes_power = data.includes_power
    category.includes_internet = data.includes_internet


