"""Deadlines are shown as their last moment: never "26.05.2027, 00:00" for the 25th."""

from datetime import UTC, datetime

import pytest

from app.i18n import format_deadline

# 22:00 UTC in summer and 23:00 UTC in winter are local midnight (Europe/Berlin).
CASES = [
    (datetime(2027, 5, 25, 22, 0, tzinfo=UTC), "de", "25.05.2027, 23:59 Uhr"),
    (datetime(2027, 5, 25, 22, 0, tzinfo=UTC), "en", "25 May 2027, 23:59"),
    (datetime(2027, 1, 25, 23, 0, tzinfo=UTC), "de", "25.01.2027, 23:59 Uhr"),
    (datetime(2027, 5, 25, 16, 0, tzinfo=UTC), "de", "25.05.2027, 18:00 Uhr"),
    (datetime(2027, 5, 25, 22, 1, tzinfo=UTC), "de", "26.05.2027, 00:01 Uhr"),
]


@pytest.mark.parametrize(("value", "language", "expected"), CASES)
def test_a_deadline_names_its_last_minute(app, value, language, expected):
    with app.app_context():
        assert format_deadline(value, language) == expected


def test_a_deadline_follows_the_page_language(app):
    value = datetime(2027, 5, 25, 22, 0, tzinfo=UTC)
    with app.test_request_context("/"):
        assert format_deadline(value) == "25.05.2027, 23:59 Uhr"
