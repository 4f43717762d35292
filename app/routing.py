"""URL parts that are numbers: ids in paths and page numbers in query strings.

Every ``<int:…>`` of every route — also of routes added later — is bounded by the
database's integer (PostgreSQL's ``integer`` ends at 2^31 − 1, SQLite's at 2^63 − 1: the
smaller one counts): a larger id, or one with thousands of digits, is a 404, never an
overflow in the database (the factory makes this converter the app's ``int``). Page
numbers are read with ``page_number``: 1 to ``MAX_PAGE``, else 404.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_DB_INT = 2**31 - 1
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """``int`` for ids: beyond the database's integer an id names no row, so it reads as
    ``NO_ROW`` (0, an id no row has) and every route answers as for an unknown id — a 404
    in its own shape (HTML page or API JSON), for every method. (Refusing the match would
    make werkzeug answer 405 where a rule for another method matches the path.)"""

    NO_ROW = 0

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_DB_INT)):  # also spares int() a million digits
            return self.NO_ROW
        number = super().to_python(value)
        return number if number <= MAX_DB_INT else self.NO_ROW


def page_number(name: str = "page") -> int:
    """The page asked for in the query string: 1 without one (or for text that is no
    number, as before); 404 for 0 and beyond ``MAX_PAGE``."""
    raw = request.args.get(name, "1").strip()
    if not raw.isdigit():
        return 1
    if len(raw) > len(str(MAX_PAGE)) or not 1 <= int(raw) <= MAX_PAGE:
        abort(404)
    return int(raw)


def parse_id(raw: object) -> int | None:
    """An id typed into a form or query (a select's value): None unless it is a whole
    number the database can hold — never an overflow in a query."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > len(str(MAX_DB_INT)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_DB_INT else None
