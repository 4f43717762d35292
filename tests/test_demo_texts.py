"""The demo data speaks German: its event descriptions and venues carry no English notes
of the data set (a German user reads them)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from app.calendar.models import Event, Venue
from app.demo import seed_demo
from app.extensions import db

ENGLISH = re.compile(r"\b(of|and|the|pupils|public|morning|afternoon|seeking|interested|"
                     r"older|visitors|rotating|employers|also|earlier|formerly|historically|"
                     r"year groups|Fri|Sat)\b")


def test_demo_descriptions_and_venues_are_german(app):
    seed_demo(date(2031, 1, 15))
    db.session.commit()
    texts = db.session.execute(select(Event.title, Event.description)).all()
    venues = db.session.execute(select(Venue.name)).scalars().all()
    assert len(texts) > 10
    english = [text for row in texts for text in row if text and ENGLISH.search(text)]
    assert english == []
    assert [name for name in venues if ENGLISH.search(name)] == []
    assert any("Shuttlebus am Freitag" in (description or "") for _title, description in texts)
