"""Change-notice fixtures: a fixed clock, events published and changed at chosen moments
(through the planning operations, as the pages and the API change them), confirmed
subscriptions, and the outbox as the mail server would see it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.calendar import services as calendar
from app.calendar.filters import EventFilter
from app.calendar.models import Event
from app.extensions import db
from app.notices import services as notices
from app.notices.models import NoticeSubscription
from app.outbox.models import OutboxMessage
from app.outbox.services import build_email
from app.planning import operations
from app.time import local_to_utc
from tests.conftest import municipality, utc

# Monday 1 March 2027, 06:00 in Berlin: a digest run. Events are a few days ahead.
MONDAY = utc(2027, 3, 1, 5)
LAST_MONDAY = MONDAY - timedelta(days=7)


@pytest.fixture
def publish(app, make_organisation) -> Callable[..., Event]:
    """``publish(title, day, at=…)``: an event created and published at ``at``."""

    def make(title: str, day: date, *, at: datetime = LAST_MONDAY - timedelta(days=3),
             town: str = "Olpe", venue: str = "Stadthalle Olpe",
             audiences: tuple[str, ...] = ("pupils",), grade_from: int | None = None,
             grade_to: int | None = None, event_type: str = "training_fair",
             industries: tuple[str, ...] = ("CROSS",), start: time = time(9),
             end: time = time(14)) -> Event:
        organisation = _organisation(make_organisation)
        data = calendar.EventData(
            title=title, event_type=event_type,
            venue=calendar.find_or_create_venue(venue, municipality(town)), all_day=False,
            audiences=list(audiences), industries=list(industries), grade_from=grade_from,
            grade_to=grade_to, starts_at=local_to_utc(day, start), ends_at=local_to_utc(day, end))
        event = operations.create_event(organisation, None, data, now=at, status="published",
                                        clash_note="Eigene Termine am selben Tag.")
        db.session.commit()
        return event

    return make


def _organisation(make_organisation):
    from app.accounts.models import Organisation

    existing = db.session.execute(
        select(Organisation).where(Organisation.name == "Wirtschaftsförderung Kreis Olpe")
    ).scalar_one_or_none()
    return existing or make_organisation("Wirtschaftsförderung Kreis Olpe", "wfg")


def move(event: Event, *, at: datetime, day: date | None = None, start: time | None = None,
         end: time | None = None, venue: tuple[str, str] | None = None, **fields) -> None:
    """Change an event at ``at`` as an organiser would (date, time, place, other fields)."""
    data = calendar.event_data(event)
    local_start, local_end = event.local_start, event.local_end
    day = day or local_start.date()
    data.starts_at = local_to_utc(day, start or local_start.time())
    data.ends_at = local_to_utc(day, end or local_end.time())
    if venue:
        data.venue = calendar.find_or_create_venue(venue[1], municipality(venue[0]))
    data = replace(data, **fields)
    operations.update_event(event, None, data, now=at, clash_note="Geht trotzdem.")
    db.session.commit()


def cancel(event: Event, *, at: datetime, reason: str | None = None) -> None:
    operations.cancel_event(event, None, now=at, reason=reason)
    db.session.commit()


@pytest.fixture
def subscribed(app) -> Callable[..., NoticeSubscription]:
    """``subscribed("a@school.example", "district=OE&grade=9", at=…, language="de")``: a
    confirmed subscription (through the services, as the pages do)."""

    def make(email: str = "stubo@schule.example", query: str = "", *,
             at: datetime = LAST_MONDAY, language: str = "de") -> NoticeSubscription:
        event_filter = EventFilter.from_args(MultiDict(_pairs(query)))
        notices.subscribe(email, event_filter, language, at)
        token = confirmation_token(email)
        assert notices.confirm(token, at).state == "confirmed"
        db.session.commit()
        return db.session.execute(select(NoticeSubscription).where(
            NoticeSubscription.email == email,
            NoticeSubscription.selection == notices.selection_string(event_filter))
        ).scalar_one()

    return make


def _pairs(query: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in query.split("&") if part]


def mails(prefix: str = "notices:") -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
        .order_by(OutboxMessage.id)).scalars())


def mails_to(email: str, kind: str) -> list[OutboxMessage]:
    return [mail for mail in mails() if mail.recipient == email and f":{kind}:" in mail.key]


def confirmation_token(email: str) -> str:
    """The token of the latest confirmation link mailed to ``email``."""
    mail = mails_to(email, "confirm")[-1]
    return re.search(r"/notices/confirm/([\w-]+)", mail.body)[1]


def unsubscribe_link(mail: OutboxMessage) -> str:
    """The path of the unsubscribe link, checked to be the same in text and headers."""
    email = build_email(mail)
    header = email["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://localhost/notices/unsubscribe/[\w.-]+)>", header)[1]
    assert url in mail.body
    return url.removeprefix("http://localhost")
