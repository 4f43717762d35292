"""Venues, events and the audit trail of their changes."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.extensions import db
from app.reference.codes import AUDIENCES, EVENT_TYPES, MAX_GRADE, MIN_GRADE, STATUSES
from app.reference.models import Industry, Municipality
from app.time import now_utc, to_local
from app.types import UTCDateTime, one_of

UID_DOMAIN = "messekalender-suedwestfalen.de"

event_industries = Table(
    "event_industries",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("industry_code", ForeignKey("industries.code"), primary_key=True),
)


def new_uid() -> str:
    return f"{uuid.uuid4()}@{UID_DOMAIN}"


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    municipality: Mapped[Municipality] = relationship()

    @property
    def district_code(self) -> str:
        return self.municipality.district_code

    @property
    def coordinates(self) -> tuple[float, float]:
        """The venue's own point, else the municipality's reference point."""
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        return self.municipality.latitude, self.municipality.longitude

    @property
    def address(self) -> str:
        """One line, as a letter or a map search would need it."""
        town = " ".join(
            part for part in (self.postal_code or self.municipality.postal_code,
                              self.municipality.name) if part
        )
        return ", ".join(part for part in (self.name, self.street, town) if part)

    def __repr__(self) -> str:
        return f"<Venue {self.name}>"


class EventAudience(db.Model):
    """A target audience of an event; pupils may carry a grade range (e.g. 8–10)."""

    __tablename__ = "event_audiences"
    __table_args__ = (
        CheckConstraint(one_of("code", AUDIENCES), name="code"),
        CheckConstraint(
            f"(grade_from IS NULL OR grade_from BETWEEN {MIN_GRADE} AND {MAX_GRADE})"
            f" AND (grade_to IS NULL OR grade_to BETWEEN {MIN_GRADE} AND {MAX_GRADE})"
            " AND (grade_from IS NULL OR grade_to IS NULL OR grade_from <= grade_to)",
            name="grades",
        ),
        CheckConstraint(
            "code = 'pupils' OR (grade_from IS NULL AND grade_to IS NULL)", name="grades_pupils"
        ),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    grade_from: Mapped[int | None] = mapped_column(Integer)
    grade_to: Mapped[int | None] = mapped_column(Integer)


class Event(db.Model):
    """A fair or recruiting event.

    ``starts_at``/``ends_at`` are UTC instants for every event, so that filtering,
    ordering and overlap checks need one rule. A whole-day event also keeps its local
    dates (``first_day``/``last_day``, inclusive) as the truth; its instants are the
    local midnights around those days, set only by ``services.set_schedule``.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(one_of("event_type", EVENT_TYPES), name="event_type"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint(
            "(all_day AND first_day IS NOT NULL AND last_day IS NOT NULL"
            " AND last_day >= first_day)"
            " OR (NOT all_day AND first_day IS NULL AND last_day IS NULL)",
            name="all_day_dates",
        ),
        CheckConstraint("sequence >= 0", name="sequence"),
        # Covers the clash check and the feeds: status, then the time range.
        Index("ix_events_status_starts_at_ends_at", "status", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=new_uid)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    event_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    # Said by the organiser; shown to search engines as schema.org isAccessibleForFree.
    admission_free: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Grows with every saved change; a save on a stale copy is refused (app/versions.py).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)

    venue: Mapped[Venue] = relationship()
    organisation: Mapped[Organisation] = relationship()
    industries: Mapped[list[Industry]] = relationship(
        secondary=event_industries, order_by="Industry.code"
    )
    audiences: Mapped[list[EventAudience]] = relationship(
        cascade="all, delete-orphan", order_by="EventAudience.code"
    )
    changes: Mapped[list[EventChange]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventChange.id"
    )

    @property
    def is_public(self) -> bool:
        return self.status in ("published", "cancelled")

    @property
    def audience_codes(self) -> list[str]:
        return [audience.code for audience in self.audiences]

    @property
    def industry_codes(self) -> list[str]:
        return [industry.code for industry in self.industries]

    @property
    def pupil_grades(self) -> tuple[int | None, int | None]:
        for audience in self.audiences:
            if audience.code == "pupils":
                return audience.grade_from, audience.grade_to
        return None, None

    @property
    def local_start(self) -> datetime:
        return to_local(self.starts_at)

    @property
    def local_end(self) -> datetime:
        return to_local(self.ends_at)

    @property
    def local_days(self) -> list[date]:
        """Every local calendar day the event touches, for the month view."""
        first = self.first_day or self.local_start.date()
        last = self.last_day or (self.local_end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"


class EventChange(db.Model):
    """Audit trail: who changed what on an event, and when."""

    __tablename__ = "event_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    via: Mapped[str] = mapped_column(String(10), default="web")

    event: Mapped[Event] = relationship(back_populates="changes")
    user: Mapped[User | None] = relationship()
