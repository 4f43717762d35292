"""Applications, then allocation: a fair that allocates by lottery collects applications
during its registration window and hands out its places when the window closes, by
rules the fair shows before anyone applies.

The rules, in this order:

1. **Priority groups** (the organiser ranks up to three): members of the organising
   network (``network_members``), first-time exhibitors (no confirmed booking at an
   earlier fair of the organiser), companies from the fair's district. An applicant
   belongs to the highest group it qualifies for; the others come after all groups.
2. **The draw**: inside each group, applications are ordered by
   ``SHA-256("<seed>:<application number>")`` (hex, ascending). The seed is drawn when
   the fair switches to the lottery; only its SHA-256 is shown until the allocation, then
   the seed itself and the drawn order are published — anyone can recompute the order.
3. **Quotas per industry**: for each quota (industries in code order), the first
   applicants of that industry in the drawn order get places until the quota is met
   (companies already placed count for every industry they belong to).
4. **Everyone else in the drawn order** while their category has a free place; the
   others form the category's waitlist in the drawn order.

``draw`` and ``allocate_places`` are pure (tested on their own); ``allocate`` applies
them to a fair under the locks of all its categories, exactly once, and tells every
company its outcome at once. Applications that arrive in the last instant, after the
allocation, are appended in their own drawn order (``allocate`` may run again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from app.accounts.models import Company, company_industries
from app.booths import notifications
from app.booths.codes import PRIORITY_GROUPS
from app.booths.models import Booking, BoothCategory, BoothSetup, network_members
from app.booths.services.locking import count_place, exhibitors_changed, lock_categories
from app.calendar.models import Event
from app.extensions import db
from app.i18n import format_deadline
from app.reference.models import Industry, Municipality


@dataclass(frozen=True)
class Applicant:
    """What the allocation knows of an application."""

    booking_id: int
    category_id: int
    industries: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()


def draw_key(seed: str, booking_id: int) -> str:
    """The application's lot: anyone can recompute it from the published seed."""
    return hashlib.sha256(f"{seed}:{booking_id}".encode()).hexdigest()


def group_rank(applicant: Applicant, priority: list[str]) -> int:
    """0 for the first priority group the applicant belongs to, … len(priority) for none."""
    return next((rank for rank, group in enumerate(priority) if group in applicant.groups),
                len(priority))


def draw(applicants: Iterable[Applicant], seed: str, priority: list[str]) -> list[Applicant]:
    """The drawn order: by priority group, then by lot."""
    return sorted(applicants, key=lambda applicant: (
        group_rank(applicant, priority), draw_key(seed, applicant.booking_id)))


def allocate_places(order: list[Applicant], free: dict[int, int],
                    quotas: dict[str, int]) -> tuple[list[int], dict[int, list[int]]]:
    """Who gets a place (booking ids, in the order they got it) and each category's
    waitlist, from the drawn ``order``, the free places per category and the quotas."""
    free = dict(free)
    placed: list[int] = []
    taken: set[int] = set()

    def place(applicant: Applicant) -> None:
        free[applicant.category_id] -= 1
        placed.append(applicant.booking_id)
        taken.add(applicant.booking_id)

    for industry, wanted in sorted(quotas.items()):
        have = sum(1 for applicant in order
                   if applicant.booking_id in taken and industry in applicant.industries)
        for applicant in order:
            if have >= wanted:
                break
            if (applicant.booking_id not in taken and industry in applicant.industries
                    and free.get(applicant.category_id, 0) > 0):
                place(applicant)
                have += 1
    for applicant in order:
        if applicant.booking_id not in taken and free.get(applicant.category_id, 0) > 0:
            place(applicant)
    waitlists: dict[int, list[int]] = {}
    for applicant in order:
        if applicant.booking_id not in taken:
            waitlists.setdefault(applicant.category_id, []).append(applicant.booking_id)
    return placed, waitlists


def allocation_rules(setup: BoothSetup | None) -> dict | None:
    """What the fair page and the booking form show of a lottery fair's rules (None for
    a first-come fair): the priority groups, the quotas, the seed's fingerprint, and the
    seed itself once the places are allocated."""
    if setup is None or not setup.is_lottery:
        return None
    labels = {industry.code: industry.label for industry in db.session.execute(
        select(Industry).where(Industry.code.in_([q.industry_code for q in setup.quotas]))
    ).scalars()}
    return {"groups": [PRIORITY_GROUPS[group] for group in setup.priority_groups or []],
            "quotas": [(labels.get(quota.industry_code, quota.industry_code), quota.places)
                       for quota in setup.quotas],
            "fingerprint": seed_fingerprint(setup.lottery_seed),
            "allocated_at": setup.allocated_at, "closes_text": format_deadline(setup.closes_at),
            "seed": setup.lottery_seed if setup.allocated_at else None}


def seed_fingerprint(seed: str | None) -> str | None:
    """What is shown of the seed before the allocation (a commitment to it)."""
    return hashlib.sha256(seed.encode()).hexdigest() if seed else None


# --- applying it to a fair ---------------------------------------------------------------


def applicants(event: Event, setup: BoothSetup, bookings: list[Booking]) -> list[Applicant]:
    """The applications of ``bookings`` with their industries and priority groups."""
    ids = [booking.company_id for booking in bookings]
    industries: dict[int, set[str]] = {}
    for company_id, code in db.session.execute(
            select(company_industries.c.company_id, company_industries.c.industry_code)
            .where(company_industries.c.company_id.in_(ids))):
        industries.setdefault(company_id, set()).add(code)
    members = set(db.session.execute(
        select(network_members.c.company_id)
        .where(network_members.c.organisation_id == event.organisation_id,
               network_members.c.company_id.in_(ids))).scalars())
    exhibited = set(db.session.execute(
        select(Booking.company_id).join(Event, Event.id == Booking.event_id)
        .where(Booking.status == "confirmed", Booking.company_id.in_(ids),
               Event.organisation_id == event.organisation_id,
               Event.starts_at < event.starts_at)).scalars())
    district = event.venue.district_code
    local = set(db.session.execute(
        select(Company.id).join(Municipality, Municipality.id == Company.municipality_id)
        .where(Company.id.in_(ids), Municipality.district_code == district)).scalars())
    result = []
    for booking in bookings:
        company = booking.company_id
        groups = {name for name, belongs in (("members", company in members),
                                             ("first_time", company not in exhibited),
                                             ("district", company in local)) if belongs}
        result.append(Applicant(booking.id, booking.category_id,
                                frozenset(industries.get(company, ())), frozenset(groups)))
    return result


def allocate(event: Event, now: datetime) -> int:
    """Allocate the fair's applications (its window has closed): places, then
    waitlists, by the published rules; every company is told at once. Returns how many
    applications were decided (0 when there were none left)."""
    setup = db.session.get(BoothSetup, event.id)
    if setup is None or not setup.is_lottery or now < setup.closes_at:
        return 0
    category_ids = db.session.execute(
        select(BoothCategory.id).where(BoothCategory.event_id == event.id)).scalars().all()
    locked = lock_categories(category_ids)
    db.session.refresh(setup)
    applications = list(db.session.execute(
        select(Booking).where(Booking.event_id == event.id, Booking.status == "applied")
        .order_by(Booking.id).execution_options(populate_existing=True)).scalars())
    if not applications:
        return 0
    seed = setup.lottery_seed
    order = draw(applicants(event, setup, applications), seed, list(setup.priority_groups))
    quotas = {quota.industry_code: quota.places for quota in setup.quotas}
    if setup.allocated_at is not None:
        quotas = {}  # late applications: the quotas were applied to the first round
    free = {category.id: category.capacity - category.places_taken
            for category in locked.values()}
    placed, waitlists = allocate_places(order, free, quotas)
    by_id = {booking.id: booking for booking in applications}
    drawn_before = db.session.execute(
        select(Booking.draw_position).where(Booking.event_id == event.id,
                                            Booking.draw_position.is_not(None))
        .order_by(Booking.draw_position.desc()).limit(1)).scalar() or 0
    priority = list(setup.priority_groups)
    for number, applicant in enumerate(order, start=drawn_before + 1):
        rank = group_rank(applicant, priority)
        by_id[applicant.booking_id].draw_position = number
        by_id[applicant.booking_id].draw_group = priority[rank] if rank < len(priority) else None
    confirm = not setup.needs_approval
    for booking_id in placed:
        booking = by_id[booking_id]
        booking.status = "confirmed" if confirm else "pending"
        booking.decided_at = now if confirm else None
        count_place(locked[booking.category_id], +1)
    for category_id, waiting in waitlists.items():
        length = db.session.execute(
            select(Booking.waitlist_position).where(Booking.category_id == category_id,
                                                    Booking.status == "waitlisted")
            .order_by(Booking.waitlist_position.desc()).limit(1)).scalar() or 0
        for position, booking_id in enumerate(waiting, start=length + 1):
            by_id[booking_id].status = "waitlisted"
            by_id[booking_id].waitlist_position = position
    if placed and confirm:
        exhibitors_changed(event.id, now)
    db.session.execute(update(BoothSetup).where(BoothSetup.event_id == event.id,
                                                BoothSetup.allocated_at.is_(None))
                       .values(allocated_at=now).execution_options(synchronize_session=False))
    db.session.flush()
    for applicant in order:
        notifications.booking_changed(by_id[applicant.booking_id], "allocated", now)
    return len(order)


def due_allocations(now: datetime) -> int:
    """Allocate every published lottery fair whose window has closed and that has
    applications left (the scheduler's job). Returns how many were decided."""
    events = db.session.execute(
        select(Event).join(BoothSetup, BoothSetup.event_id == Event.id)
        .where(BoothSetup.allocation == "lottery", BoothSetup.closes_at <= now,
               Event.status == "published",
               Event.id.in_(select(Booking.event_id).where(Booking.status == "applied")))
        .order_by(Event.id)
    ).scalars().all()
    return sum(allocate(event, now) for event in events)


def drawn_order(event: Event) -> list[Booking]:
    """The published order of an allocated fair (application numbers and companies)."""
    return list(db.session.execute(
        select(Booking).where(Booking.event_id == event.id,
                              Booking.draw_position.is_not(None))
        .order_by(Booking.draw_position)).scalars())
