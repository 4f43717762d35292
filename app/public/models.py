"""Texts of the legal and contact pages, as the operator's admins edited them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.time import now_utc
from app.types import UTCDateTime, one_of

LEGAL_SLUGS = ("impressum", "datenschutz", "barrierefreiheit", "kontakt")


class LegalPage(db.Model):
    """One page in one language (Markdown). Without a row the shipped template is shown."""

    __tablename__ = "legal_pages"
    __table_args__ = (
        CheckConstraint(one_of("slug", LEGAL_SLUGS), name="slug"),
        CheckConstraint("language IN ('de', 'en')", name="language"),
        UniqueConstraint("slug", "language", name="uq_legal_pages_slug_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
