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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from app.calendar.filters import EventFilter
from app.feeds import services as feeds
from app.reference.codes import DISTRICT_CODES, INDUSTRY_CODES

# The scheduler builds every feed at least this often, whatever the validators say.
FULL_PUBLISH_EVERY = timedelta(hours=1)
# Published feeds are public; the web server may run as another user.
FILE_MODE = 0o644


@dataclass(frozen=True)
class PublishReport:
    """Files (paths relative to the folder): written, built but unchanged, and skipped
    (not even built, because their validator shows that nothing changed)."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...] = ()


@dataclass
class PublishState:
    """What the scheduler remembers between runs: each file's validator when written."""

    validators: dict[str, str] = field(default_factory=dict)
    full_run_at: datetime | None = None


def published_feeds() -> list[tuple[str, EventFilter]]:
    """Every published file (relative path) and the filter of the feed it holds."""
    return [
        ("all.ics", EventFilter()),
        *((f"district/{code}.ics", EventFilter(districts=(code,))) for code in DISTRICT_CODES),
        *((f"industry/{code}.ics", EventFilter(industries=(code,))) for code in INDUSTRY_CODES),
    ]


def publish_feeds(
    directory: str | Path, now: datetime, state: PublishState | None = None
) -> PublishReport:
    """Write every feed of ``published_feeds()`` into ``directory`` where its bytes changed.

    With a ``state`` (the scheduler's), a feed whose validator (its ETag) is the one of
    the last run is not even built, except in a full run at least every
    FULL_PUBLISH_EVERY, a safety net. The validator is read before building, so a change
    made during a run is picked up by the next one.
    """
    directory = Path(directory)
    base_url = current_app.config["BASE_URL"]
    full = (state is None or state.full_run_at is None
            or now - state.full_run_at >= FULL_PUBLISH_EVERY)
    written, unchanged, skipped = [], [], []
    for path, event_filter in published_feeds():
        validator = feeds.feed_validator(event_filter, now, base_url).etag
        if (not full and state.validators.get(path) == validator
                and (directory / path).exists()):
            skipped.append(path)
            continue
        changed = write_if_changed(directory / path, feeds.render_feed(event_filter, now))
        (written if changed else unchanged).append(path)
        if state is not None:
            state.validators[path] = validator
    if state is not None and full:
        state.full_run_at = now
    return PublishReport(tuple(written), tuple(unchanged), tuple(skipped))


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
