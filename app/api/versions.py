"""ETag and If-Match for records that carry a version (``app.versions``): the ETag is
the version (``"v7"``, a strong tag); a write with ``If-Match`` goes ahead only while the
record still has that version, else 412 with the error JSON and the current ETag. A
write without If-Match proceeds as before."""

from __future__ import annotations

from typing import Any

from flask import request

from app.api.errors import api_abort
from app.versions import etag, version_from_etag

ETAG_HEADER = {"ETag": {"description": "The record's version as a strong entity tag, "
                                       "e.g. `\"v7\"`; send it back in `If-Match` to "
                                       "change only what you have read.",
                        "schema": {"type": "string"}}}
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "The ETag of your copy (e.g. `\"v7\"`): the change is made only if "
                   "nobody changed the record since, else 412 `precondition_failed` and "
                   "nothing is saved. Without it the change is made whatever happened "
                   "meanwhile.",
}
PRECONDITION_FAILED = 412
MESSAGE = ("The record was changed since your copy (see the ETag header for its version "
           "now); nothing was saved. Read it again and repeat the change with its ETag in "
           "If-Match.")


def with_etag(record: Any) -> dict[str, str]:
    """The headers of an answer carrying ``record``."""
    return {"ETag": f'"{etag(record)}"'}


def expected_version(record: Any) -> int | None:
    """The version the request's If-Match names (None: no If-Match, or ``*``); 412 when
    none of its tags is the record's current one."""
    if "If-Match" not in request.headers:
        return None
    condition = request.if_match
    if condition.star_tag:
        return None
    current = etag(record)
    if condition.contains(current):
        return version_from_etag(current)
    precondition_failed(record)
    return None  # not reached


def precondition_failed(record: Any) -> None:
    """Stop with 412 and the record's current ETag (raises)."""
    api_abort(PRECONDITION_FAILED, "precondition_failed", MESSAGE, headers=with_etag(record))
