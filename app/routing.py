"""URL parts that are numbers: ids in paths and page numbers in query strings.

Every ``<int:…>`` of every route — also of routes added later — is bounded by the
database's integer (PostgreSQL's ``integer`` ends at 2^31 − 1, SQLite's at 2^63 − 1: the
smaller one counts): a larger id, or one with thousands of digits, matches no route and
is a 404, never an overflow in the database (the factory makes this converter the
app's ``int``). Page numbers are read with ``page_number``: 1 to ``MAX_PAGE``, else 404.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter, ValidationError

MAX_DB_INT = 2**31 - 1
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """``int`` with ``max`` defaulting to the database's integer."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_DB_INT, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        if len(value.lstrip("-")) > len(str(self.max or MAX_DB_INT)):
            raise ValidationError()  # also spares int() a string of a million digits
        return super().to_python(value)


def page_number(name: str = "page") -> int:
    """The page asked for in the query string (1 without one); 404 beyond ``MAX_PAGE``
    or for anything that is no positive number."""
    raw = request.args.get(name, "1").strip()
    if not raw.isdigit() or len(raw) > len(str(MAX_PAGE)) or not 1 <= int(raw) <= MAX_PAGE:
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
