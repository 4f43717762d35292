"""Organisers' notes on clashes (accepting one, going ahead despite one): trimmed, required
where the decision needs a reason, never longer than the board can show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import DomainError

MAX_NOTE = 1000
WHY_GO_AHEAD = _l("Please say in a note why the event goes ahead despite the clash.")


class ClashError(DomainError):
    """A clash action that is not possible; the message is readable as it is."""


class ClashPermissionError(ClashError):
    """The user may not act on this clash (not an organiser of either event)."""

    code = "forbidden"
    status = 403


def clean_note(note: str | None, *, required: str | None = None) -> str | None:
    """The note without surrounding space (None when empty). ``required`` is the message
    for a missing note, where the decision needs one."""
    note = (note or "").strip() or None
    if note is None and required:
        raise ClashError(required, field="note")
    if note and len(note) > MAX_NOTE:
        raise ClashError(str(_l("The note is too long (at most %(max)s characters).",
                                max=MAX_NOTE)), field="note")
    return note
