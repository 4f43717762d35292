"""Stored clashes (their state survives re-scans), their history, and blackout calendars."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.calendar.models import Event
from app.clashes.rules import RULES
from app.extensions import db
from app.time import now_utc
from app.types import UTCDateTime, one_of

CLASH_STATUSES = ("open", "accepted", "resolved")


class BlackoutCalendar(db.Model):
    """An imported .ics calendar of days to avoid (school holidays, exam weeks)."""

    __tablename__ = "blackout_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(300))
    audiences: Mapped[list] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    periods: Mapped[list[BlackoutPeriod]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan",
        order_by="BlackoutPeriod.first_day",
    )
    imported_by: Mapped[User | None] = relationship()


class BlackoutPeriod(db.Model):
    """Local days (inclusive) of a blackout calendar."""

    __tablename__ = "blackout_periods"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="days"),
        Index("ix_blackout_periods_days", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("blackout_calendars.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)

    calendar: Mapped[BlackoutCalendar] = relationship(back_populates="periods")

    @property
    def audiences(self) -> list[str]:
        return list(self.calendar.audiences or [])


class Clash(db.Model):
    """A clash the last scan found (or once found), with the organisers' decision.

    ``key`` identifies it across scans (rule, events, cause). ``fingerprint`` records
    when, where and how long both events were when someone decided: an accepted or
    resolved clash stays so until one of the two events moves.
    """

    __tablename__ = "clashes"
    __table_args__ = (
        CheckConstraint(one_of("rule", RULES), name="rule"),
        CheckConstraint("severity IN ('hard', 'soft')", name="severity"),
        CheckConstraint(one_of("status", CLASH_STATUSES), name="status"),
        Index("ix_clashes_status_severity", "status", "severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    rule: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(4))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True)
    other_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True)
    blackout_period_id: Mapped[int | None] = mapped_column(
        ForeignKey("blackout_periods.id", ondelete="CASCADE"), index=True)
    holiday: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    active: Mapped[bool] = mapped_column(default=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship(foreign_keys=[event_id])
    other_event: Mapped[Event | None] = relationship(foreign_keys=[other_event_id])
    blackout_period: Mapped[BlackoutPeriod | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    actions: Mapped[list[ClashAction]] = relationship(
        back_populates="clash", cascade="all, delete-orphan", order_by="ClashAction.id")

    @property
    def events(self) -> list[Event]:
        return [event for event in (self.event, self.other_event) if event is not None]

    @property
    def organisation_ids(self) -> set[int]:
        return {event.organisation_id for event in self.events}

    def __repr__(self) -> str:
        return f"<Clash {self.key} {self.status}>"


class ClashAction(db.Model):
    """History of a clash: what the scan or an organiser did, who, when, with what note."""

    __tablename__ = "clash_actions"
    __table_args__ = (
        CheckConstraint(
            "action IN ('opened', 'reopened', 'accepted', 'resolved', 'gone')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clash_id: Mapped[int] = mapped_column(
        ForeignKey("clashes.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    note: Mapped[str | None] = mapped_column(Text)

    clash: Mapped[Clash] = relationship(back_populates="actions")
    user: Mapped[User | None] = relationship()
