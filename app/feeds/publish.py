"""Static publication: the all-feed and every district and industry feed as files.

A web server (nginx) serves these files to the many subscribers, so the app only answers
filtered feeds. Feeds are deterministic (DTSTAMP is the event's last change), so a file is
rewritten only when its bytes change: its mtime, and with it nginx's ETag, moves only when
subscribers have something new to fetch.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from app.calendar.codes import DISTRICT_CODES, INDUSTRY_CODES
from app.calendar.services import EventFilter
from app.feeds import services as feeds

# The scheduler publishes anyway after this long, even when the validator did not move:
# it catches what the validator cannot see (renamed reference data, a new app version).
FULL_PUBLISH_EVERY = timedelta(hours=1)
# Published feeds are public; the web server may run as another user.
FILE_MODE = 0o644


@dataclass(frozen=True)
class PublishReport:
    """Which files (paths relative to the folder) were written and which were unchanged."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]


@dataclass
class PublishState:
    """What the scheduler remembers between runs, to skip a run when nothing changed."""

    validator: str | None = None
    published_at: datetime | None = None


def published_feeds() -> list[tuple[str, EventFilter]]:
    """Every published file (relative path) and the filter of the feed it holds."""
    return [
        ("all.ics", EventFilter()),
        *((f"district/{code}.ics", EventFilter(districts=(code,))) for code in DISTRICT_CODES),
        *((f"industry/{code}.ics", EventFilter(industries=(code,))) for code in INDUSTRY_CODES),
    ]


def publish_feeds(directory: str | Path, now: datetime) -> PublishReport:
    """Write every feed of ``published_feeds()`` into ``directory`` where it changed."""
    directory = Path(directory)
    written, unchanged = [], []
    for path, event_filter in published_feeds():
        changed = write_if_changed(directory / path, feeds.render_feed(event_filter, now))
        (written if changed else unchanged).append(path)
    return PublishReport(tuple(written), tuple(unchanged))


def publication_validator(now: datetime) -> str:
    """The all-feed's cheap validator: it moves whenever any published feed would change."""
    base_url = current_app.config["BASE_URL"]
    return feeds.feed_validator(EventFilter(), now, base_url).etag


def publish_if_changed(
    directory: str | Path, now: datetime, state: PublishState
) -> PublishReport | None:
    """Publish unless the validator is the one of the last run and that run is recent.

    Returns None when skipped. The validator is read before building, so a change made
    during a run is picked up by the next one.
    """
    validator = publication_validator(now)
    if (validator == state.validator and state.published_at is not None
            and now - state.published_at < FULL_PUBLISH_EVERY):
        return None
    report = publish_feeds(directory, now)
    state.validator, state.published_at = validator, now
    return report


def write_if_changed(target: Path, data: bytes) -> bool:
    """Atomically replace ``target`` with ``data`` unless it already holds exactly that."""
    with suppress(FileNotFoundError):
        if target.read_bytes() == data:
            return False
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data)
    return True


def atomic_write(target: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a half-written one.

    The temporary file lives in the same folder (``os.replace`` is atomic only within one
    file system) and is synced to disk before it takes the place of the old file.
    """
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
