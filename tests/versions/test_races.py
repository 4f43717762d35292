"""Two saves of one copy race (threads, each with its own session and connection): exactly
one wins, the other is refused with VersionConflict and stores nothing — on SQLite and on
PostgreSQL, whichever the suite runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.models import User
from app.booths import services as booths
from app.booths.models import BoothCategory
from app.calendar import services as calendar
from app.calendar.models import Event
from app.extensions import db
from app.planning import operations
from app.time import now_utc
from app.versions import VersionConflict
from tests.booths.test_booking_concurrency import race

RACERS = 6


@pytest.fixture
def organiser(make_user, org_a) -> User:
    return make_user("anna@ihk-siegen.example", organisation=org_a)


def outcome(errors: list[str]) -> list[str]:
    return sorted("conflict" if "VersionConflict" in error else error for error in errors)


def retitle(event_id: int, user_id: int, number: int, now, version: int | None = None) -> int:
    """One racer: save the event with the title "Titel <number>" (checked against
    ``version`` when given)."""
    event = db.session.get(Event, event_id)
    data = calendar.event_data(event)
    data.title = f"Titel {number}"
    operations.update_event(event, db.session.get(User, user_id), data, now=now,
                            version=version)
    return number


def test_racing_event_saves_exactly_one_wins(app, make_event, organiser):
    event = make_event("Ausbildungsmesse Siegen", organisation=organiser.organisation)
    event_id, user_id = event.id, organiser.id
    now = now_utc()

    def save(number: int):
        return retitle(event_id, user_id, number, now, version=1)

    results, errors = race(app, [(number,) for number in range(RACERS)], save)
    assert len(results) == 1, errors
    assert outcome(errors) == ["conflict"] * (RACERS - 1)
    db.session.expire_all()
    stored = db.session.get(Event, event_id)
    assert (stored.title, stored.version) == (f"Titel {results[0]}", 2)
    assert len([change for change in stored.changes if change.action == "updated"]) == 1


def test_racing_saves_without_a_version_all_count(app, make_event, organiser):
    """Unchecked saves (the API without If-Match) go ahead as before, and the version
    counts every one of them (raised in SQL, never two saves on one number)."""
    event = make_event("Ausbildungsmesse Siegen", organisation=organiser.organisation)
    event_id, user_id = event.id, organiser.id
    now = now_utc()

    def save(number: int):
        return retitle(event_id, user_id, number, now)

    results, errors = race(app, [(number,) for number in range(RACERS)], save)
    if errors:  # SQLite may refuse a racing writer outright; never silently
        assert all("locked" in error for error in errors), errors
    db.session.expire_all()
    assert db.session.get(Event, event_id).version == 1 + len(results)


def test_racing_category_saves_exactly_one_wins(app, make_event, organiser):
    event = make_event("Ausbildungsmesse Siegen", organisation=organiser.organisation)
    now = now_utc()
    booths.configure_fair(event, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=1),
        approval="auto"), now)
    category = booths.add_category(event, organiser, booths.CategoryData(
        name="Standard", size_m2=9, price_cents=25000, capacity=10))
    db.session.commit()
    category_id, user_id = category.id, organiser.id

    def save(number: int):
        booths.update_category(
            db.session.get(BoothCategory, category_id), db.session.get(User, user_id),
            booths.CategoryData(name="Standard", size_m2=9, price_cents=25000,
                                capacity=20 + number), now, version=1)
        return number

    results, errors = race(app, [(number,) for number in range(RACERS)], save)
    assert len(results) == 1, errors
    assert outcome(errors) == ["conflict"] * (RACERS - 1)
    db.session.expire_all()
    stored = db.session.get(BoothCategory, category_id)
    assert (stored.capacity, stored.version) == (20 + results[0], 2)


def test_a_stale_version_is_refused_before_anything_is_written(make_event, organiser):
    event = make_event("Ausbildungsmesse Siegen", organisation=organiser.organisation)
    data = calendar.event_data(event)
    data.title = "Neu"
    with pytest.raises(VersionConflict) as refused:
        operations.update_event(event, organiser, data, now=now_utc(), version=7)
    assert refused.value.current == 1 and refused.value.status == 409
    db.session.rollback()
    with pytest.raises(VersionConflict):
        operations.cancel_event(event, organiser, now=now_utc(), version=0)
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.title, stored.status, stored.version) == (
        "Ausbildungsmesse Siegen", "published", 1)
