"""Text that people type: single-line fields hold one line, multi-line fields plain lines.

Single-line fields (titles; names of events, venues, organisations, companies and booth
categories; subjects; contact names, phones and addresses) are checked at every entry —
web forms (``app.forms.BaseForm``), API schemas, the CSV import, the CLI — with
``single_line_error``: no control character, no line break of any kind. Multi-line fields
(descriptions, notes, reasons) get their line endings normalised to ``\\n`` and refuse the
other control characters (``multiline_error``).

Rows stored before these checks may still hold anything, so every output that has a
syntax of its own (iCalendar through ``app.calendar.ical.text``, mail headers in
``app.outbox``) passes stored text through ``one_line`` or ``lines`` as well.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Everything some parser reads as a line break: CR LF, CR, LF, VT, FF, the file/group/
# record separators, NEL and the Unicode line and paragraph separators (``str.splitlines``).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Not on a single line: every C0 control (TAB, CR and LF too), DEL, every C1 control, the
# Unicode line and paragraph separators, and lone surrogates (not encodable as UTF-8).
_NOT_ON_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# Not in multi-line text once its line breaks are normalised: the same, except TAB and LF.
_NOT_IN_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_RUNS_NOT_ON_A_LINE = re.compile(_NOT_ON_A_LINE.pattern + "+")

SINGLE_LINE_MESSAGE = _l("Line breaks, tabs and other control characters are not allowed "
                         "here: please write this on one line.")
CONTROL_MESSAGE = _l("This field contains characters that are not allowed.")


def single_line_error(value: str | None):
    """The message for a single-line value that holds a control character, else None."""
    if value and _NOT_ON_A_LINE.search(value):
        return SINGLE_LINE_MESSAGE
    return None


def normalise_line_endings(value: str) -> str:
    """Every kind of line break as ``\\n`` (what a browser sends is ``\\r\\n``)."""
    return _LINE_BREAK.sub("\n", value)


def multiline_error(value: str | None):
    """The message for multi-line text (line endings normalised) that holds a control
    character other than TAB and LF, else None."""
    if value and _NOT_IN_LINES.search(normalise_line_endings(value)):
        return CONTROL_MESSAGE
    return None


def one_line(value: str | None) -> str:
    """Stored text made safe for a single-line output: each run of line breaks and
    control characters becomes one space."""
    if not value:
        return ""
    return _RUNS_NOT_ON_A_LINE.sub(" ", value)


def lines(value: str | None) -> str:
    """Stored text made safe for a multi-line output: line breaks as ``\\n``, other
    control characters as spaces."""
    if not value:
        return ""
    return _NOT_IN_LINES.sub(" ", normalise_line_endings(value))
