"""Clash fixtures: organisers of two organisations and events at real places.

Siegen (SI) and Olpe (OE) are neighbouring districts; Siegen and Lüdenscheid (MK) are
not (see district_adjacency.csv).
"""

from __future__ import annotations

from datetime import date, time

import pytest

from app.accounts.models import User
from app.calendar import services as calendar
from app.extensions import db
from tests.conftest import municipality

# A Saturday well in the future, outside school and public holidays.
SATURDAY = date(2027, 6, 12)


@pytest.fixture
def org_c(make_organisation):
    return make_organisation("Kreis Soest", "other")


@pytest.fixture
def organiser_c(make_user, org_c) -> User:
    return make_user("c@kreis-soest.example", "organiser", organisation=org_c)


@pytest.fixture
def admin(make_user) -> User:
    return make_user("admin@example.org", "admin")


def candidate(town: str = "Siegen", venue: str = "Siegerlandhalle", *,
              day: date = SATURDAY, start: time = time(10), end: time = time(15),
              all_day_until: date | None = None, event_type: str = "training_fair",
              audiences: tuple[str, ...] = ("pupils", "parents")) -> calendar.EventData:
    """EventData for an event being planned (the venue is found or created)."""
    from app.time import local_to_utc

    data = calendar.EventData(
        title="Neue Messe", event_type=event_type,
        venue=calendar.find_or_create_venue(venue, municipality(town)),
        all_day=all_day_until is not None, audiences=list(audiences), industries=["CROSS"],
    )
    if all_day_until is not None:
        data.first_day, data.last_day = day, all_day_until
    else:
        data.starts_at, data.ends_at = local_to_utc(day, start), local_to_utc(day, end)
    db.session.flush()
    return data
