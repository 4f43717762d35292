"""Booth fixtures: a fair with an open registration window, categories, companies with
users, and an organiser of the fair's organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Company, User
from app.booths import services as booths
from app.booths.models import Booking, BoothCategory
from app.calendar.models import Event
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.services import render_pending
from app.time import now_utc


def outbox_messages(like: str = "%") -> list[OutboxMessage]:
    """The outbox rows whose key is ``like``, rendered (as the delivery would) and
    committed, oldest first."""
    render_pending()
    db.session.commit()
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.key.like(like)).order_by(OutboxMessage.id)
    ).scalars())


@pytest.fixture
def now() -> datetime:
    return now_utc().replace(microsecond=0)


@pytest.fixture
def organiser(make_user, make_organisation) -> User:
    organisation = make_organisation("IHK Siegen", "ihk")
    return make_user("messe@ihk-siegen.example", "organiser", organisation=organisation)


@pytest.fixture
def fair(make_event, organiser, now) -> Callable[..., Event]:
    """``fair(approval="auto", opens=-1 day, closes=fair start - 1 day,
    waitlist_mode="confirm")`` → a published event of the organiser's organisation with
    its booth sign-up (freed places confirmed at once unless ``waitlist_mode="offer"``)."""

    def make(title: str = "Ausbildungsmesse Siegen", *, approval: str = "auto",
             opens: timedelta = timedelta(days=-1), closes: datetime | None = None,
             status: str = "published", waitlist_mode: str = "confirm",
             offer_hours: int = 48, **fields) -> Event:
        event = make_event(title, organisation=organiser.organisation, status=status, **fields)
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=now + opens, closes_at=closes or event.starts_at - timedelta(days=1),
            approval=approval, waitlist_mode=waitlist_mode, offer_hours=offer_hours,
        ), now)
        db.session.commit()
        return event

    return make


@pytest.fixture
def category(organiser) -> Callable[..., BoothCategory]:
    def make(event: Event, name: str = "Standard 9 m²", capacity: int = 2, *,
             price_cents: int = 25000, size_m2: float = 9.0) -> BoothCategory:
        created = booths.add_category(event, organiser, booths.CategoryData(
            name=name, size_m2=size_m2, price_cents=price_cents, capacity=capacity,
            includes_table=True, includes_power=True))
        db.session.commit()
        return created

    return make


@pytest.fixture
def company(make_company, make_user) -> Callable[..., tuple[Company, User]]:
    """``company("Name GmbH")`` → the company and one of its users."""
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, language: str = "de") -> tuple[Company, User]:
        number = next(counter)
        created = make_company(name or f"Firma {number} GmbH")
        user = make_user(f"user{number}@firma{number}.example", "company", company=created,
                         language=language)
        return created, user

    return make


@pytest.fixture
def book(now) -> Callable[..., Booking]:
    """Book and commit, as a view would."""

    def make(company: Company, user: User, category: BoothCategory,
             at: datetime | None = None, **details) -> Booking:
        booking = booths.book(company, category, booths.BookingDetails(**details), user,
                              at or now)
        db.session.commit()
        return booking

    return make
