"""Queued e-mails. A row is written in the same transaction as the change it reports, so
a message is never lost; its unique ``key`` keeps the same message from being queued
twice.

A row is queued either rendered (subject and body) or as a ``template`` with the
``params`` that describe the moment of the change; such a row is rendered after the
commit, before it is sent (``app.outbox.services.render``), so that a busy transaction
never spends its time on texts and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, LargeBinary, String, Text
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
        CheckConstraint("template IS NOT NULL OR (subject IS NOT NULL AND body IS NOT NULL)",
                        name="rendered_or_template"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="de")
    # NULL until a templated message is rendered.
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(60))
    params: Mapped[dict | None] = mapped_column(JSON)
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Extra header lines, e.g. List-Unsubscribe (checked by ``services.queue``).
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
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
