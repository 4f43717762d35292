"""The stored VEVENT of each event, so a feed is assembled instead of rebuilt.

Serialising an event with ``icalendar`` costs about a millisecond; a feed of 10,000
events would take seconds. The bytes of each event's VEVENT are kept here with the key
of everything that shapes them (``app.feeds.services.vevent_keys``), so they survive a
restart and are shared by the web workers and the publisher. A row whose key no longer
matches is simply rebuilt; rows are never trusted beyond their key.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.types import UTCDateTime


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


class FeedFetchDay(db.Model):
    """Feed health: fetches of one feed on one local day by one kind of calendar app.

    Daily counts only (``app.feeds.health``): no address, no user agent. ``clients`` is
    the number of distinct clients that day, counted through ``FeedFetchClient``.
    """

    __tablename__ = "feed_fetch_days"
    __table_args__ = (
        CheckConstraint("fetches >= 0 AND not_modified >= 0 AND not_modified <= fetches"
                        " AND clients >= 0", name="counts"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    feed: Mapped[str] = mapped_column(String(200), primary_key=True)
    client: Mapped[str] = mapped_column(String(12), primary_key=True)
    fetches: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    clients: Mapped[int] = mapped_column(Integer, default=0)
    last_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedFetchClient(db.Model):
    """Today's distinct clients of a feed, as salted hashes, only to count them once.

    A hash is of the day's random salt, the client's address and its user agent; rows and
    salts are deleted once their day is over, so no client can be recognised later.
    """

    __tablename__ = "feed_fetch_clients"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    feed: Mapped[str] = mapped_column(String(200), primary_key=True)
    client: Mapped[str] = mapped_column(String(12), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(16), primary_key=True)


class FeedStatsSalt(db.Model):
    """The random salt of one day's client hashes (deleted with them)."""

    __tablename__ = "feed_stats_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class FeedLogCursor(db.Model):
    """How far the job has read nginx's feed log (file identity and byte offset)."""

    __tablename__ = "feed_log_cursors"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)
