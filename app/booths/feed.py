"""A company's private iCal feed of the fairs it has booked: /feeds/company/<token>.ics.

The token is unguessable (256 random bits) and revocable; only its hash is stored. It is
kept as an ``ApiToken`` of the company user who created it, with its own label and a
hash over a prefixed value, so a feed token is never an API token and the other way
round (``sha256("company-feed:" + token)`` vs ``sha256(token)``). A company has at most one
active feed token; creating a new one revokes the old URL. An unknown, revoked or
malformed token is a bare 404, the same for every case.

Each booked fair is one VEVENT (the public one from ``app.feeds.ical``) whose description
starts with the booking's status; the fair's set-up and tear-down, when the organiser has
set them, are VEVENTs of their own.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import icalendar
from flask import Blueprint, Response, abort, current_app
from sqlalchemy import select

from app.accounts.models import ApiToken, Company, User
from app.booths.codes import ACTIVE_STATUSES
from app.booths.models import Booking, BoothSetup
from app.extensions import db
from app.feeds import ical
from app.time import now_utc

bp = Blueprint("company_feed", __name__)

FEED_LABEL = "iCal feed (company)"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
STATUS_TEXT = {"confirmed": "Gebucht (bestätigt)", "pending": "Angefragt (wartet auf Freigabe)",
               "waitlisted": "Warteliste"}


def feed_hash(token: str) -> str:
    return hashlib.sha256(f"company-feed:{token}".encode()).hexdigest()


def _company_tokens(company: Company):
    return select(ApiToken).join(User, ApiToken.user_id == User.id).where(
        User.company_id == company.id, ApiToken.label == FEED_LABEL,
        ApiToken.revoked_at.is_(None))


def active_feed_token(company: Company) -> ApiToken | None:
    return db.session.execute(_company_tokens(company)).scalars().first()


def revoke_feed(company: Company) -> int:
    """Revoke the company's feed URL(s); returns how many were active."""
    tokens = db.session.execute(_company_tokens(company)).scalars().all()
    for token in tokens:
        token.revoked_at = now_utc()
    db.session.flush()
    return len(tokens)


def create_feed(user: User) -> str:
    """A new feed token for the user's company (the old URL stops working); shown once."""
    if user.role != "company" or user.company is None:
        raise PermissionError("only company users have a company feed")
    revoke_feed(user.company)
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=feed_hash(token), label=FEED_LABEL))
    db.session.flush()
    return token


def company_for_feed(token: str) -> Company | None:
    if not _TOKEN.match(token):
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == feed_hash(token),
                               ApiToken.label == FEED_LABEL)
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.active \
            or row.user.role != "company" or row.user.company is None:
        return None
    return row.user.company


def render_company_feed(company: Company) -> bytes:
    bookings = db.session.execute(
        select(Booking).where(Booking.company_id == company.id,
                              Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.event_id)
    ).scalars().all()
    events = [booking.event for booking in bookings]
    base_url = current_app.config["BASE_URL"]
    calendar = ical.build_calendar(
        events, name=f"{company.name}: Messen", base_url=base_url,
        description=f"Die gebuchten Messen von {company.name} (privat).")
    by_uid = {booking.event.uid: booking for booking in bookings}
    for component in calendar.walk("VEVENT"):
        booking = by_uid.get(str(component["UID"]))
        if booking is None:
            continue
        status = STATUS_TEXT.get(booking.status, booking.status)
        if booking.status == "waitlisted":
            status += f", Platz {booking.waitlist_position}"
        component["DESCRIPTION"] = icalendar.vText(
            f"Ihre Buchung: {status} – {booking.category.name}\n\n{component['DESCRIPTION']}")
        component["SUMMARY"] = icalendar.vText(f"{component['SUMMARY']} [{status}]")
    for booking in bookings:
        setup = db.session.get(BoothSetup, booking.event_id)
        event = booking.event
        if setup is None:
            continue
        for kind, start, end, title in (
            ("setup", setup.setup_starts_at, event.starts_at, "Aufbau"),
            ("teardown", event.ends_at, setup.teardown_ends_at, "Abbau"),
        ):
            if start is None or end is None or end <= start:
                continue
            extra = icalendar.Event()
            extra.add("uid", f"{kind}-{event.uid}")
            extra.add("dtstamp", now_utc())
            extra.add("dtstart", start)
            extra.add("dtend", end)
            extra.add("summary", f"{title}: {event.title}")
            extra.add("description", f"{title} für {event.title} ({company.name}).")
            calendar.add_component(extra)
    return calendar.to_ical()


@bp.get("/feeds/company/<token>.ics")
def company_feed(token: str) -> Response:
    """The company's private feed; 404 with no information for any bad token."""
    company = company_for_feed(token)
    if company is None:
        abort(404)
    return Response(render_company_feed(company), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store",
                             "X-Robots-Tag": "noindex"})


def exhibitor_occupations(event_ids) -> dict[int, list[str]]:
    """Event id → the occupations its confirmed exhibitors present, in one query: the
    ``occupations`` hook of ``app.feeds.ical.build_calendar`` (the public feeds name what
    pupils can learn about at a fair)."""
    from app.booths.models import booking_occupations
    from app.reference.models import Occupation

    found: dict[int, list[str]] = {}
    ids = list(event_ids)
    if not ids:
        return found
    rows = db.session.execute(
        select(Booking.event_id, Occupation.name).distinct()
        .join(booking_occupations, booking_occupations.c.booking_id == Booking.id)
        .join(Occupation, Occupation.id == booking_occupations.c.occupation_id)
        .where(Booking.status == "confirmed", Booking.event_id.in_(ids))
        .order_by(Booking.event_id, Occupation.name)
    )
    for event_id, name in rows:
        found.setdefault(event_id, []).append(name)
    return found
