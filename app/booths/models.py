"""Fair set-up, booth categories and bookings.

The database itself keeps the booking invariants (see ``services`` for the locking):

* ``places_taken`` of a category counts its confirmed and pending bookings and a CHECK
  keeps it between 0 and the capacity, so no code path can oversell a category;
* a partial unique index allows one *active* booking per company and fair (``event_id``
  is copied onto the booking for it, and a composite foreign key keeps the copy honest);
* a waitlist position exists exactly for waitlisted bookings and is unique per category;
* an offered place has a deadline; a stand number is used once per fair.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, User
from app.booths.codes import (
    ACTIVE_STATUSES,
    ALLOCATION_MODES,
    APPROVAL_MODES,
    BOOKING_STATUSES,
    DEFAULT_OFFER_HOURS,
    MAX_OFFER_HOURS,
    MAX_STAFF,
    MAX_STAND,
    WAITLIST_MODES,
)
from app.calendar.models import Event
from app.extensions import db
from app.reference.models import Occupation
from app.time import now_utc
from app.types import UTCDateTime, one_of

ACTIVE_SQL = one_of("status", ACTIVE_STATUSES)

booking_occupations = Table(
    "booking_occupations",
    db.metadata,
    Column("booking_id", ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True),
    Column("occupation_id", ForeignKey("occupations.id"), primary_key=True),
)


class BoothSetup(db.Model):
    """Whether and how an event takes exhibitors: the registration window and approval."""

    __tablename__ = "booth_setups"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint(one_of("approval", APPROVAL_MODES), name="approval"),
        CheckConstraint(
            "setup_starts_at IS NULL OR teardown_ends_at IS NULL"
            " OR teardown_ends_at > setup_starts_at",
            name="setup_teardown",
        ),
        CheckConstraint(one_of("allocation", ALLOCATION_MODES), name="allocation"),
        CheckConstraint(one_of("waitlist_mode", WAITLIST_MODES), name="waitlist_mode"),
        CheckConstraint(f"offer_hours BETWEEN 1 AND {MAX_OFFER_HOURS}", name="offer_hours"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    takes_exhibitors: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    approval: Mapped[str] = mapped_column(String(10), default="auto")
    setup_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    teardown_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Grows with every saved change; a save on a stale copy is refused (app/versions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Set once the final exhibitor list has been queued for the organisers.
    final_list_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Grows with every change of the set-up or tear-down time, so the companies' feeds
    # can give those entries a growing SEQUENCE (with the event's own, see ``feed``).
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "first_come", or "lottery": applications during the window, allocated at its close.
    allocation: Mapped[str] = mapped_column(String(12), default="first_come",
                                            server_default="first_come")
    # The organiser's ranking of priority groups (codes of ``PRIORITY_GROUPS``).
    priority_groups: Mapped[list] = mapped_column(JSON, default=list)
    # Drawn when the fair switches to a lottery; only its SHA-256 is shown until the
    # allocation, then the seed itself, so anyone can check the drawn order.
    lottery_seed: Mapped[str | None] = mapped_column(String(64))
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A freed place: an offer to the head of the waitlist, or a confirmation at once.
    waitlist_mode: Mapped[str] = mapped_column(String(8), default="offer",
                                               server_default="confirm")
    offer_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_OFFER_HOURS,
                                             server_default=str(DEFAULT_OFFER_HOURS))

    event: Mapped[Event] = relationship()
    quotas: Mapped[list[BoothQuota]] = relationship(
        order_by="BoothQuota.industry_code", cascade="all, delete-orphan")
    categories: Mapped[list[BoothCategory]] = relationship(
        primaryjoin="BoothSetup.event_id == foreign(BoothCategory.event_id)",
        order_by="BoothCategory.price_cents, BoothCategory.id",
        viewonly=True,
    )

    @property
    def needs_approval(self) -> bool:
        return self.approval == "manual"

    @property
    def is_lottery(self) -> bool:
        return self.allocation == "lottery"

    @property
    def offers(self) -> bool:
        return self.waitlist_mode == "offer"

    def is_open(self, now: datetime) -> bool:
        """Registration is open from ``opens_at`` (inclusive) to ``closes_at`` (exclusive)."""
        return self.takes_exhibitors and self.opens_at <= now < self.closes_at


class BoothCategory(db.Model):
    """A kind of booth at a fair, e.g. "Standard 9 m²", with a number of places."""

    __tablename__ = "booth_categories"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("places_taken >= 0 AND places_taken <= capacity", name="places_taken"),
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint("size_m2 > 0", name="size"),
        UniqueConstraint("event_id", "name", name="uq_booth_categories_event_id_name"),
        # The target of the bookings' composite foreign key (category, event).
        UniqueConstraint("id", "event_id", name="uq_booth_categories_id_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    size_m2: Mapped[float] = mapped_column(Float)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int] = mapped_column(Integer)
    # Confirmed + pending bookings; kept by the services under the category's lock.
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    includes_table: Mapped[bool] = mapped_column(Boolean, default=False)
    includes_power: Mapped[bool] = mapped_column(Boolean, default=False)
    includes_internet: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Grows with every saved change; a save on a stale copy is refused (app/versions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    event: Mapped[Event] = relationship()
    # The fair's set-up (the same for every category of the fair).
    setup: Mapped[BoothSetup | None] = relationship(
        primaryjoin="BoothCategory.event_id == foreign(BoothSetup.event_id)",
        viewonly=True, uselist=False,
    )

    @property
    def places_free(self) -> int:
        return self.capacity - self.places_taken

    def __repr__(self) -> str:
        return f"<BoothCategory {self.id} {self.name!r}>"


class Booking(db.Model):
    """A company's booking of a booth category at a fair."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(one_of("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'waitlisted' AND waitlist_position >= 1)"
            " OR (status <> 'waitlisted' AND waitlist_position IS NULL)",
            name="waitlist_position",
        ),
        CheckConstraint(f"staff_count BETWEEN 1 AND {MAX_STAFF}", name="staff_count"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_at"
        ),
        CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL",
                        name="offer_expires_at"),
        # A stand number once per fair (NULLs are distinct: bookings without one).
        UniqueConstraint("event_id", "stand", name="uq_bookings_event_stand"),
        ForeignKeyConstraint(
            ["category_id", "event_id"],
            ["booth_categories.id", "booth_categories.event_id"],
            name="fk_bookings_category_event",
            ondelete="CASCADE",
        ),
        # One active booking per company and fair, enforced by the database.
        Index(
            "uq_bookings_active_company_event", "company_id", "event_id", unique=True,
            sqlite_where=text(ACTIVE_SQL), postgresql_where=text(ACTIVE_SQL),
        ),
        # NULLs are distinct, so only waitlisted bookings take part.
        UniqueConstraint(
            "category_id", "waitlist_position", name="uq_bookings_category_waitlist"
        ),
        Index("ix_bookings_category_status", "category_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(12))
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    staff_count: Mapped[int] = mapped_column(Integer, default=1)
    power_needs: Mapped[str] = mapped_column(String(200), default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    cancelled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when the 7-day reminder has been queued (the outbox key prevents doubles too).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The organiser's reason for a rejection or cancellation (told to the company).
    reason: Mapped[str | None] = mapped_column(Text)
    # A place offered from the waitlist: until when it may be accepted, and whether the
    # reminder before that has been queued.
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    offer_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Halle 2, Stand 14", for confirmed bookings.
    stand: Mapped[str | None] = mapped_column(String(MAX_STAND))
    # Billing details asked at booking.
    invoice_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    order_number: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # An application's place in the allocation's drawn order (1 = drawn first) and the
    # priority group it was drawn in (None: in none), both published.
    draw_position: Mapped[int | None] = mapped_column(Integer)
    draw_group: Mapped[str | None] = mapped_column(String(12))

    company: Mapped[Company] = relationship()
    category: Mapped[BoothCategory] = relationship(
        foreign_keys=[category_id],
        primaryjoin="Booking.category_id == BoothCategory.id",
    )
    event: Mapped[Event] = relationship(
        foreign_keys=[event_id], primaryjoin="Booking.event_id == Event.id", viewonly=True
    )
    occupations: Mapped[list[Occupation]] = relationship(
        secondary=booking_occupations, order_by="Occupation.name"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status}>"


class BoothQuota(db.Model):
    """Places of a lottery fair kept for companies of one industry (at least this many
    go to them while such applications are there)."""

    __tablename__ = "booth_quotas"
    __table_args__ = (CheckConstraint("places >= 1", name="places"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("booth_setups.event_id", ondelete="CASCADE"), primary_key=True)
    industry_code: Mapped[str] = mapped_column(ForeignKey("industries.code"),
                                               primary_key=True)
    places: Mapped[int] = mapped_column(Integer)


# The companies an organiser counts as members of its network: a priority group of the
# allocation.
network_members = Table(
    "network_members",
    db.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
)


class CompanyFeedToken(db.Model):
    """The secret in the address of a company's private iCal feed (its "Kalender-Abo").

    Not an API token, on purpose in a table of its own: it can never authenticate an API
    call, never shows in a user's list of API tokens, and belongs to the company (any of
    its users renews or revokes it). Only a hash is stored; see ``app.booths.feed``.
    """

    __tablename__ = "company_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When a calendar app last fetched the feed (kept to the hour, see feed.py).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None
