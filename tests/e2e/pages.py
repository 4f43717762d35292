"""Every page a role can reach, found in ``app.url_map`` rather than kept in a list.

A page is a GET rule that answers 200 with HTML for that role (a link from a mail: its
page for an unknown link). Rules with arguments are
filled from the seeded data: an ``<int:thing_id>`` takes the ids of the table of things
(``things``, or a table whose name ends in ``_things``), tried in order until one answers
200 for the role; string arguments take the values of ``TEXT_VALUES``. So a page another
change adds is swept without touching this file, unless its argument is a new kind of
string: then ``test_every_page_is_reached`` names it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import text
from werkzeug.routing import Rule

from app.accounts.models import User
from app.extensions import db
from tests.conftest import login

# Machine-readable answers, documents and the API are not pages a person reads.
NOT_PAGES = (".ics", ".atom", ".csv", ".xlsx", ".json", ".xml", ".txt", ".pdf")
TEXT_VALUES: dict[str, list[str]] = {
    "code": ["HSK"],
    "language": ["de"],
    "token": ["kein-gueltiger-schluessel"],
    "slug": ["impressum", "datenschutz", "barrierefreiheit", "kontakt"],
}
MAX_TRIES = 200


@dataclass(frozen=True)
class Page:
    endpoint: str
    url: str


def candidate_rules(app: Flask) -> list[Rule]:
    """GET rules that may be pages: not static files, the API or machine formats."""
    return sorted(
        (rule for rule in app.url_map.iter_rules()
         if "GET" in (rule.methods or ()) and rule.endpoint != "static"
         and not rule.rule.startswith("/api/") and not rule.rule.endswith(NOT_PAGES)),
        key=lambda rule: rule.rule)


def unknown_arguments(rule: Rule) -> set[str]:
    """Arguments this module cannot fill."""
    return {name for name in rule.arguments if _values_of(rule, name) is None}


def reachable_pages(app: Flask, user: User | None) -> list[Page]:
    """The pages ``user`` (None: an anonymous visitor) can open, one URL per rule."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    pages = []
    for rule in candidate_rules(app):
        for url in _urls(app, rule):
            response = client.get(url)
            # A link from a mail with an unknown token answers its "link not valid" page.
            shown = response.status_code == 200 or (
                "token" in rule.arguments and response.status_code in (400, 404, 410))
            if shown and response.mimetype == "text/html":
                pages.append(Page(rule.endpoint, url))
                break
    return pages


def _urls(app: Flask, rule: Rule) -> Iterator[str]:
    names = sorted(rule.arguments)
    choices = [_values_of(rule, name) for name in names]
    if any(values is None for values in choices):
        return
    adapter = app.url_map.bind("localhost")
    combinations = itertools.product(*choices) if names else [()]
    for values in itertools.islice(combinations, MAX_TRIES):
        yield adapter.build(rule.endpoint, dict(zip(names, values, strict=True)))


def _values_of(rule: Rule, name: str) -> list | None:
    if name in TEXT_VALUES:
        return TEXT_VALUES[name]
    if name.endswith("_id"):
        table = _table_for(name.removesuffix("_id"))
        if table is not None:
            return _ids(table)
    return None


def _table_for(stem: str) -> str | None:
    plural = stem[:-1] + "ies" if stem.endswith("y") else stem + "s"
    tables = sorted(db.metadata.tables)
    exact = [name for name in tables if name == plural]
    return (exact or [name for name in tables if name.endswith("_" + plural)] or [None])[0]


def _ids(table: str) -> list[int]:
    rows = db.session.execute(text(f'SELECT id FROM "{table}" ORDER BY id'))
    return [row[0] for row in rows]
