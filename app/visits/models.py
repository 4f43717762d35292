"""Class-visit slots of a fair, teachers' registrations and the classes they bring.

The database itself keeps the capacity invariants (see ``services`` for the locking):

* a slot counts the pupils and the bus bays its classes hold (``pupils_taken``,
  ``buses_taken``: classes awaiting confirmation and confirmed ones) and CHECKs keep both
  between 0 and the slot's capacity and bus bays, so no code path can overfill a slot;
* a waitlist position exists exactly for waitlisted classes and is unique per slot;
* ``event_id`` is copied onto a class (a composite foreign key keeps it equal to its
  slot's), so a class can never sit in a slot of another fair.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.calendar.models import Event
from app.extensions import db
from app.reference.models import Municipality
from app.time import now_utc
from app.types import UTCDateTime, one_of
from app.visits.codes import (
    CLASS_STATUSES,
    DEFAULT_REMINDER_DAYS,
    HOLDS_PLACE,
    MAX_BUS_BAYS,
    MAX_GRADE,
    MAX_PUPILS_PER_CLASS,
    MAX_REMINDER_DAYS,
    MAX_SLOT_CAPACITY,
    MIN_GRADE,
)


class VisitSetup(db.Model):
    """Whether a fair takes school classes: the registration window and the reminder."""

    __tablename__ = "visit_setups"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint(f"reminder_days BETWEEN 0 AND {MAX_REMINDER_DAYS}",
                        name="reminder_days"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Days before the visit that confirmed teachers are reminded (0: no reminder).
    reminder_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_DAYS)
    # What schools should know (drop-off point, what to bring); shown and mailed.
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship()

    def is_open(self, now: datetime) -> bool:
        """Registration is open from ``opens_at`` (inclusive) to ``closes_at`` (exclusive)."""
        return self.opens_at <= now < self.closes_at


class VisitSlot(db.Model):
    """A time at a fair for school classes, with room for so many pupils (and buses)."""

    __tablename__ = "visit_slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(f"capacity BETWEEN 1 AND {MAX_SLOT_CAPACITY}", name="capacity"),
        CheckConstraint("pupils_taken >= 0 AND pupils_taken <= capacity", name="pupils_taken"),
        CheckConstraint(f"bus_bays IS NULL OR bus_bays BETWEEN 0 AND {MAX_BUS_BAYS}",
                        name="bus_bays"),
        CheckConstraint("buses_taken >= 0 AND (bus_bays IS NULL OR buses_taken <= bus_bays)",
                        name="buses_taken"),
        CheckConstraint("sequence >= 0", name="sequence"),
        UniqueConstraint("event_id", "starts_at", "ends_at",
                         name="uq_visit_slots_event_id_starts_at_ends_at"),
        # The target of the classes' composite foreign key (slot, event).
        UniqueConstraint("id", "event_id", name="uq_visit_slots_id_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    # None: buses are not limited; 0: no bus can park.
    bus_bays: Mapped[int | None] = mapped_column(Integer)
    # Kept by the services under the slot's lock, changed only by SQL arithmetic.
    pupils_taken: Mapped[int] = mapped_column(Integer, default=0)
    buses_taken: Mapped[int] = mapped_column(Integer, default=0)
    # Grows when the slot's times change (the classes' calendar entries follow).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Grows with every saved change; a save on a stale copy is refused (app/versions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    event: Mapped[Event] = relationship()

    @property
    def places_free(self) -> int:
        return self.capacity - self.pupils_taken

    @property
    def bus_bays_free(self) -> int | None:
        return None if self.bus_bays is None else self.bus_bays - self.buses_taken

    def fits(self, pupils: int, by_bus: bool) -> bool:
        """Whether a class of ``pupils`` (arriving by bus or not) fits in now."""
        if pupils > self.places_free:
            return False
        return not (by_bus and self.bus_bays is not None and self.buses_taken >= self.bus_bays)

    def __repr__(self) -> str:
        return f"<VisitSlot {self.id} {self.starts_at:%Y-%m-%d %H:%M}>"


class VisitRegistration(db.Model):
    """A teacher's registration of one or more classes for a fair. No account: the
    address is confirmed through a mailed link (double opt-in); until then the classes
    hold their places only until ``hold_expires_at``."""

    __tablename__ = "visit_registrations"
    __table_args__ = (
        CheckConstraint("language IN ('de', 'en')", name="language"),
        CheckConstraint("NOT (confirmed_at IS NOT NULL AND expired_at IS NOT NULL)",
                        name="confirmed_or_expired"),
        Index("ix_visit_registrations_unconfirmed", "confirmed_at", "expired_at",
              "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    school_name: Mapped[str] = mapped_column(String(200))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    language: Mapped[str] = mapped_column(String(2), default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the reminder before the visit has been queued.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    municipality: Mapped[Municipality] = relationship()
    classes: Mapped[list[ClassVisit]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="ClassVisit.id"
    )

    @property
    def state(self) -> str:
        """``unconfirmed``, ``confirmed`` or ``expired``."""
        if self.confirmed_at is not None:
            return "confirmed"
        return "expired" if self.expired_at is not None else "unconfirmed"


class VisitLink(db.Model):
    """A teacher's secret link to a registration (confirm, change, move, cancel). Only
    its SHA-256 is stored; every mail that carries a link carries a new one (the token
    itself cannot be read back to put it into a later mail), all of them equal."""

    __tablename__ = "visit_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("visit_registrations.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    registration: Mapped[VisitRegistration] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ClassVisit(db.Model):
    """One class of a registration in one slot."""

    __tablename__ = "class_visits"
    __table_args__ = (
        CheckConstraint(one_of("status", CLASS_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'waitlisted' AND waitlist_position >= 1)"
            " OR (status <> 'waitlisted' AND waitlist_position IS NULL)",
            name="waitlist_position",
        ),
        CheckConstraint(f"grade BETWEEN {MIN_GRADE} AND {MAX_GRADE}", name="grade"),
        CheckConstraint(f"pupils BETWEEN 1 AND {MAX_PUPILS_PER_CLASS}", name="pupils"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)",
                        name="cancelled_at"),
        CheckConstraint("sequence >= 0", name="sequence"),
        ForeignKeyConstraint(
            ["slot_id", "event_id"], ["visit_slots.id", "visit_slots.event_id"],
            name="fk_class_visits_slot_event", ondelete="CASCADE",
        ),
        # NULLs are distinct, so only waitlisted classes take part.
        UniqueConstraint("slot_id", "waitlist_position", name="uq_class_visits_slot_waitlist"),
        Index("ix_class_visits_slot_status", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("visit_registrations.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    slot_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    class_name: Mapped[str] = mapped_column(String(40), default="")
    grade: Mapped[int] = mapped_column(Integer)
    pupils: Mapped[int] = mapped_column(Integer)
    teacher_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40))
    by_bus: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Grows with every change the class's calendar entry shows (move, cancel, new times).
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    registration: Mapped[VisitRegistration] = relationship(back_populates="classes")
    slot: Mapped[VisitSlot] = relationship(
        foreign_keys=[slot_id], primaryjoin="ClassVisit.slot_id == VisitSlot.id"
    )

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDS_PLACE

    @property
    def label(self) -> str:
        """"9b" or, without a class name, the grade alone ("9")."""
        return self.class_name or str(self.grade)

    def __repr__(self) -> str:
        return f"<ClassVisit {self.id} {self.status}>"
