"""What the feed-health page shows: per feed, the distinct clients by kind of calendar
app, the share of 304 answers and each kind's last fetch; the last 90 days per day, drawn
as an SVG bar chart on the server; and how many of an organisation's events each feed
carries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.calendar.filters import EventFilter, FilterError
from app.calendar.models import Event
from app.extensions import db
from app.feeds import services as feeds
from app.feeds.health import CLIENT_KINDS, OTHER_FILTERED
from app.feeds.models import FeedFetchDay

CHART_DAYS = 90
SUMMARY_DAYS = 7


@dataclass
class FeedSummary:
    feed: str
    clients_yesterday: dict[str, int] = field(default_factory=dict)
    clients_today: int = 0
    fetches: int = 0  # the last SUMMARY_DAYS days, today included
    not_modified: int = 0
    last_fetch: dict[str, datetime] = field(default_factory=dict)
    own_events: int | None = None

    @property
    def not_modified_share(self) -> float | None:
        return self.not_modified / self.fetches if self.fetches else None

    @property
    def total_yesterday(self) -> int:
        return sum(self.clients_yesterday.values())


def feed_filter(feed: str) -> EventFilter | None:
    """The filter a feed key stands for (None for the lumped rest of filtered feeds)."""
    key = feed.removeprefix("atom:")
    if key == "all":
        return EventFilter()
    if key.startswith("district/"):
        return EventFilter(districts=(key.split("/", 1)[1],))
    if key.startswith("industry/"):
        return EventFilter(industries=(key.split("/", 1)[1],))
    if key.startswith("filtered:") and key != OTHER_FILTERED.removeprefix("atom:"):
        try:
            return EventFilter.from_args(MultiDict(parse_qsl(key.removeprefix("filtered:"))))
        except FilterError:
            return None
    return None


def summaries(today: date, organisation_id: int | None, now: datetime) -> list[FeedSummary]:
    """Every feed fetched within the retention, the busiest (yesterday) first."""
    found: dict[str, FeedSummary] = {}
    yesterday = today - timedelta(days=1)
    since = today - timedelta(days=SUMMARY_DAYS - 1)
    for row in db.session.execute(select(FeedFetchDay)).scalars():
        summary = found.setdefault(row.feed, FeedSummary(row.feed))
        if row.day == yesterday:
            summary.clients_yesterday[row.client] = row.clients
        if row.day == today:
            summary.clients_today += row.clients
        if row.day >= since:
            summary.fetches += row.fetches
            summary.not_modified += row.not_modified
        last = summary.last_fetch.get(row.client)
        if last is None or row.last_fetch_at > last:
            summary.last_fetch[row.client] = row.last_fetch_at
    result = sorted(found.values(), key=lambda s: (-s.total_yesterday, -s.clients_today,
                                                   s.feed))
    if organisation_id is not None:
        for summary in result:
            summary.own_events = own_events(summary.feed, organisation_id, now)
    return result


def own_events(feed: str, organisation_id: int, now: datetime) -> int | None:
    """How many of the organisation's events that have not ended the feed carries."""
    event_filter = feed_filter(feed)
    if event_filter is None:
        return None
    query = (feeds.feed_events(event_filter, now)
             .where(Event.organisation_id == organisation_id, Event.ends_at > now)
             .with_only_columns(func.count(Event.id)).order_by(None))
    return db.session.execute(query).scalar_one()


@dataclass
class ChartDay:
    day: date
    clients: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.clients.values())


def daily_clients(today: date, feed: str | None) -> list[ChartDay]:
    """Distinct clients per day and kind over the last CHART_DAYS days (all feeds added
    up when ``feed`` is None: a client of two feeds counts twice)."""
    first = today - timedelta(days=CHART_DAYS - 1)
    query = (select(FeedFetchDay.day, FeedFetchDay.client, func.sum(FeedFetchDay.clients))
             .where(FeedFetchDay.day >= first).group_by(FeedFetchDay.day, FeedFetchDay.client))
    if feed:
        query = query.where(FeedFetchDay.feed == feed)
    counts: dict[date, dict[str, int]] = defaultdict(dict)
    for day, kind, clients in db.session.execute(query).tuples():
        counts[day][kind] = int(clients or 0)
    return [ChartDay(first + timedelta(days=n), counts.get(first + timedelta(days=n), {}))
            for n in range(CHART_DAYS)]


@dataclass
class Bar:
    x: float
    y: float
    height: float
    kind: str


@dataclass
class Chart:
    """An SVG stacked bar chart of ``daily_clients``, in plain numbers for the template."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    months: list[tuple[float, date]]  # (x, first day) of the month labels
    plot_left: int
    plot_bottom: int
    bar_width: float


def chart(days: list[ChartDay], width: int = 720, height: int = 240) -> Chart:
    left, right, top, bottom = 40, 8, 8, 24
    plot_width, plot_height = width - left - right, height - top - bottom
    peak = max((day.total for day in days), default=0)
    step = _nice_step(peak)
    top_value = max(step * 4, step * -(-peak // step)) if peak else 4
    scale = plot_height / top_value
    slot = plot_width / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        base = height - bottom
        for kind in CLIENT_KINDS:
            value = day.clients.get(kind, 0)
            if value:
                bar_height = value * scale
                base -= bar_height
                bars.append(Bar(round(left + index * slot + 0.5, 2), round(base, 2),
                                round(bar_height, 2), kind))
    ticks = [(round(height - bottom - value * scale, 2), value)
             for value in range(0, top_value + 1, max(step, 1))]
    months = [(round(left + index * slot, 2), day.day) for index, day in enumerate(days)
              if day.day.day == 1]
    return Chart(width, height, bars, ticks, months, left, height - bottom,
                 round(max(slot - 1, 1), 2))


def _nice_step(peak: int) -> int:
    """A round grid step giving about four lines up to ``peak``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if peak <= step * 4:
            return step
    return 10 ** len(str(peak // 4))
