"""The outbox's extra header lines: only the list headers, each on one line, so nothing
typed anywhere can add a header to a mail."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.services import build_email, queue
from tests.conftest import utc

NOW = utc(2027, 3, 1, 5)


def test_list_headers_reach_the_mail(app):
    queue("notices:test:1", "a@school.example", "Betreff", "Text", NOW, headers={
        "List-Unsubscribe": "<http://localhost/notices/unsubscribe/x.y>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    db.session.commit()
    email = build_email(db.session.execute(db.select(OutboxMessage)).scalar_one())
    assert email["List-Unsubscribe"] == "<http://localhost/notices/unsubscribe/x.y>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["Content-Language"] == "de"


@pytest.mark.parametrize("headers", [
    {"Bcc": "victim@example.org"},
    {"From": "boss@example.org"},
    {"List-Unsubscribe": "<http://x>\r\nBcc: victim@example.org"},
    {"List-Unsubscribe": "<http://x>\nX-Evil: 1"},
    {"List-Id": "a\x00b"},
])
def test_other_headers_and_line_breaks_are_refused(app, headers):
    with pytest.raises(ValueError, match="not allowed or not a single line"):
        queue("notices:test:2", "a@school.example", "Betreff", "Text", NOW, headers=headers)
    assert db.session.execute(db.select(OutboxMessage)).first() is None
