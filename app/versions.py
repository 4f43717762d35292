"""Optimistic concurrency: records that several people edit carry a ``version`` that
grows with every saved change, so a save made on a stale copy is refused instead of
silently reverting what someone else saved meanwhile.

The saving operation is given the version its user saw (the form's hidden field, the
API's ``If-Match``) and calls ``check_version`` before it writes: that takes the row's
write lock for the transaction (PostgreSQL ``SELECT … FOR UPDATE``, SQLite ``BEGIN
IMMEDIATE``) and compares the version read under it, so of two saves racing on one copy
exactly one wins; the other waits for its commit, then sees the new version. A save
without a version (no ``If-Match``, the CLI) goes ahead as before. ``bump_version``
raises the version in SQL (``version + 1``), so also unchecked saves move it on.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select

from app.errors import DomainError
from app.extensions import db
from app.locks import begin_immediate

# The largest version a form or an If-Match header may name (the column's integer).
MAX_VERSION = 2**31 - 1
# Form fields that are no value of the record.
NOT_COMPARED = frozenset({"version", "csrf_token"})


class VersionConflict(DomainError):
    """The record was changed since the user's copy was read: nothing is saved.
    ``current`` is the version saved meanwhile (the API's 412 names it)."""

    code = "version_conflict"
    status = 409

    def __init__(self, current: int):
        super().__init__(str(_l(
            "Someone else saved a change in the meantime. Nothing of yours was saved yet: "
            "please compare and decide.")))
        self.current = current


def check_version(record: Any, expected: int | None) -> None:
    """Refuse the save unless the record's stored version is still ``expected`` (None:
    no check). Call it before the operation writes; the row stays locked until the
    transaction ends."""
    if expected is None:
        return
    model = type(record)
    if db.session.get_bind().dialect.name == "sqlite":
        begin_immediate()
    keys = inspect(model).primary_key
    identity = inspect(record).identity
    current = db.session.execute(
        select(model.version).where(*(column == value for column, value in zip(
            keys, identity, strict=True))).with_for_update()
    ).scalar_one()
    if current != expected:
        raise VersionConflict(current)


def bump_version(record: Any) -> None:
    """The record changed: its version grows with the flush of the change (in SQL, so
    two unchecked saves never end on the same number)."""
    record.version = type(record).version + 1


def bump_if_changed(record: Any) -> None:
    """Raise the version if the save changed any of the record's columns or lists."""
    if db.session.is_modified(record):
        bump_version(record)


def etag(record: Any) -> str:
    """The record's entity tag, without quotes (``v7``): the API's ETag and If-Match."""
    db.session.flush()
    return f"v{record.version}"


def version_from_etag(tag: str) -> int | None:
    """The version an entity tag names (``v7`` → 7); None for a tag that names none."""
    digits = tag[1:] if tag.startswith("v") else ""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        return None
    if int(digits) > MAX_VERSION:
        return None
    return int(digits)


def differing_fields(form, saved: dict, labels: dict | None = None) -> list[dict]:
    """The form's fields whose value differs from what is saved now, for the conflict
    panel: each with its label, the value saved meanwhile and the user's own, both as
    shown to people (a choice by its label). ``saved`` holds the form's initial values
    of the record as stored now."""
    rows = []
    for name, stored in saved.items():
        field = form._fields.get(name)
        if field is None or name in NOT_COMPARED:
            continue
        mine = field.data
        if _comparable(stored) == _comparable(mine):
            continue
        rows.append({"name": name, "label": (labels or {}).get(name, field.label.text),
                     "saved": _shown(field, stored), "mine": _shown(field, mine)})
    return rows


def _comparable(value: Any) -> Any:
    """None, "" and an empty list say the same: nothing; lists compare as sets."""
    if value in (None, "", [], ()):
        return None
    if isinstance(value, list | tuple | set):
        return sorted(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(field, value: Any) -> str:
    """A value as the form shows it: a choice by its label, a tick as yes/no."""
    if value in (None, "", [], ()):
        return "–"
    if isinstance(value, bool):
        return str(_l("yes")) if value else str(_l("no"))
    choices = getattr(field, "choices", None)
    if choices:
        labels = {}
        for choice in choices:
            if isinstance(choice, tuple | list) and len(choice) >= 2 and not isinstance(
                    choice[1], list | tuple):
                labels[str(choice[0])] = str(choice[1])
        if isinstance(value, list | tuple | set):
            return ", ".join(labels.get(str(item), str(item)) for item in value)
        return labels.get(str(value), str(value))
    return str(value)
