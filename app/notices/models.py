"""Change notices by e-mail: who subscribed to which selection, and how far the immediate
notices have read the events' history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.time import now_utc
from app.types import UTCDateTime


class NoticeSubscription(db.Model):
    """One address and one selection (the feed filters as a query string, ``""`` for all
    events). Pending until the address is confirmed (double opt-in); an unconfirmed row
    expires and is deleted, and so is the row when the subscription ends: the address is
    kept nowhere else but in the mails of the outbox, which go with it.

    ``handle`` names the subscription in outbox keys and unsubscribe links (random, so
    it says nothing about the row); only a hash of the confirmation token is stored.
    """

    __tablename__ = "notice_subscriptions"
    __table_args__ = (
        UniqueConstraint("email", "selection", name="uq_notice_subscriptions_email_selection"),
        CheckConstraint("language IN ('de', 'en')", name="language"),
        CheckConstraint("confirmations_sent >= 0", name="confirmations_sent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(24), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="de")
    selection: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The start of the next weekly digest's window (moves when a digest is queued).
    digest_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def __repr__(self) -> str:
        return f"<NoticeSubscription {self.handle}>"


class NoticeProgress(db.Model):
    """One row: the last entry of the events' history (``event_changes.id``) that the
    immediate notices have looked at for good."""

    __tablename__ = "notice_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_change_id: Mapped[int] = mapped_column(Integer, default=0)
