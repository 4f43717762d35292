"""The stored VEVENT of each event, so a feed is assembled instead of rebuilt.

Serialising an event with ``icalendar`` costs about a millisecond; a feed of 10,000
events would take seconds. The bytes of each event's VEVENT are kept here with the key
of everything that shapes them (``app.feeds.services.vevent_keys``), so they survive a
restart and are shared by the web workers and the publisher. A row whose key no longer
matches is simply rebuilt; rows are never trusted beyond their key.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class FeedEventCache(db.Model):
    __tablename__ = "feed_event_cache"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64))
    vevent: Mapped[bytes] = mapped_column(LargeBinary)


class FeedDataVersion(db.Model):
    """A number that moves with every write to a table that shapes a feed.

    Database triggers (see the migration) keep it, so no code path can forget it. On
    SQLite they count in this one row; on PostgreSQL they call ``nextval`` of the
    sequence ``feed_data_version_seq`` instead (no row lock for writers to queue on) and this
    table stays empty. ``app.feeds.services.data_version`` reads whichever applies.
    """

    __tablename__ = "feed_data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
