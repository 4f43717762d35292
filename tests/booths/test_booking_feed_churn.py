"""A booking moves the fair's feed entry only when the occupations on offer change: the
feeds name those, not the companies; otherwise every booking would make every subscribed
calendar download the feeds again and every cached page be rendered again."""

from __future__ import annotations

from sqlalchemy import select

from app.booths import services as booths
from app.calendar.models import Event
from app.extensions import db
from app.feeds import services as feeds
from app.reference.models import Occupation


def occupation_id(name: str) -> int:
    return db.session.execute(select(Occupation.id).where(Occupation.name == name)).scalar_one()


def test_only_a_change_of_the_occupations_on_offer_touches_the_event(
        fair, category, company, book, now):
    event = fair()
    places = category(event, capacity=10)
    mechanic = occupation_id("Industriemechaniker/-in")

    def stamp():
        db.session.expire_all()
        return db.session.get(Event, event.id).updated_at, feeds.data_version()

    before = stamp()
    firm, user = company()
    plain = book(firm, user, places)  # no occupation named
    assert plain.status == "confirmed" and stamp() == before
    firm, user = company()
    first = book(firm, user, places, occupation_ids=[mechanic])  # a new occupation
    moved = stamp()
    assert moved[0] != before[0] and moved[1] != before[1]
    firm, user = company()
    book(firm, user, places, occupation_ids=[mechanic])  # offered already
    assert first.status == "confirmed"
    assert stamp() == moved
    booths.cancel(plain, plain.created_by, now)  # leaves no occupation
    db.session.commit()
    assert stamp() == moved
