"""Queued e-mails. A row is written in the same transaction as the change it reports, so
a message is never lost; its unique ``key`` keeps the same message from being queued
twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.time import now_utc
from app.types import UTCDateTime


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("language IN ('de', 'en')", name="language"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_messages_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="de")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # A worker that claims the row owns it until then (a crashed worker's claim expires).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Given up on: refused for good, or too many temporary failures. Kept, never dropped:
    # an admin retries it or discards it (``discarded_at``) on /admin/outbox.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        """sent, discarded, failed or waiting."""
        if self.sent_at is not None:
            return "sent"
        if self.discarded_at is not None:
            return "discarded"
        return "failed" if self.failed_at is not None else "waiting"

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.key}>"
