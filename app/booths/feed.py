"""A company's private iCal feed of the fairs it has booked: /feeds/company/<token>.ics.

The token is unguessable (256 random bits) and revocable; only its hash is stored, in
``company_feed_tokens`` — a table of its own, not ``api_tokens``: a feed address is no API
credential and never appears among a user's API tokens. The hash is over a prefixed
value (``sha256("company-feed:" + token)``), different from the API tokens' plain hash.
The feed belongs to the company: any of its users renews (a new address; the old one
stops working) or revokes it on "My bookings". It stops working, too, when the user who
created it is deactivated. An unknown, revoked or malformed token is a bare 404, the same
for every case.

Each booked fair is one VEVENT (the public one from ``app.calendar.ical``) whose description
starts with the booking's status; for a confirmed booking, the fair's set-up and
tear-down, when the organiser has set them, are VEVENTs of their own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import icalendar
from babel.dates import format_datetime
from flask import Blueprint, Response, abort, current_app
from sqlalchemy import select

from app.accounts.models import Company, User
from app.booths.codes import ACTIVE_STATUSES
from app.booths.models import Booking, BoothSetup, CompanyFeedToken
from app.calendar import ical
from app.extensions import db
from app.time import as_utc, now_utc, to_local

bp = Blueprint("company_feed", __name__)

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
STATUS_TEXT = {"confirmed": "Gebucht (bestätigt)", "pending": "Angefragt (wartet auf Freigabe)",
               "waitlisted": "Warteliste", "offered": "Platz angeboten",
               "applied": "Beworben (Zuteilung folgt)"}
# How stale "last fetched" may get: calendar apps poll often, one write an hour is enough.
LAST_USED_PRECISION = timedelta(hours=1)


def feed_hash(token: str) -> str:
    return hashlib.sha256(f"company-feed:{token}".encode()).hexdigest()


def _active_tokens(company: Company):
    return select(CompanyFeedToken).where(CompanyFeedToken.company_id == company.id,
                                          CompanyFeedToken.revoked_at.is_(None))


def _works(row: CompanyFeedToken) -> bool:
    creator = row.created_by
    return row.revoked_at is None and creator is not None and creator.active \
        and creator.company_id == row.company_id


def active_feed_token(company: Company) -> CompanyFeedToken | None:
    """The company's working feed token (newest), for the page; None when there is none."""
    rows = db.session.execute(
        _active_tokens(company).order_by(CompanyFeedToken.created_at.desc(),
                                         CompanyFeedToken.id.desc())
    ).scalars()
    return next((row for row in rows if _works(row)), None)


def revoke_feed(company: Company, now: datetime | None = None) -> int:
    """Revoke the company's feed address(es); returns how many were active."""
    tokens = db.session.execute(_active_tokens(company)).scalars().all()
    for token in tokens:
        token.revoked_at = now or now_utc()
    db.session.flush()
    return len(tokens)


def create_feed(user: User, now: datetime | None = None) -> str:
    """A new feed token for the user's company (the old address stops working); the
    token is returned once and only its hash is kept."""
    if user.role != "company" or user.company is None:
        raise PermissionError("only company users have a company feed")
    now = now or now_utc()
    revoke_feed(user.company, now)
    token = secrets.token_urlsafe(32)
    db.session.add(CompanyFeedToken(company=user.company, created_by=user,
                                    token_hash=feed_hash(token), created_at=now))
    db.session.flush()
    return token


def company_for_feed(token: str, now: datetime | None = None) -> Company | None:
    """The company whose working feed this is, or None; notes when the feed was fetched."""
    if not _TOKEN.match(token):
        return None
    row = db.session.execute(
        select(CompanyFeedToken).where(CompanyFeedToken.token_hash == feed_hash(token))
    ).scalar_one_or_none()
    if row is None or not _works(row):
        return None
    now = now or now_utc()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        db.session.flush()
    return row.company


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
        if booking.status == "offered":
            until = to_local(booking.offer_expires_at)
            status += f" bis {format_datetime(until, 'medium', locale='de_DE')}"
        stand = f"\nStand: {booking.stand}" if booking.stand else ""
        component["DESCRIPTION"] = ical.text(
            f"Ihre Buchung: {status} – {booking.category.name}{stand}\n\n"
            f"{component['DESCRIPTION']}", multiline=True)
        component["SUMMARY"] = ical.text(f"{component['SUMMARY']} [{status}]")
    for booking in bookings:
        if booking.status == "confirmed":
            for extra in _setup_entries(booking, company):
                calendar.add_component(extra)
    return calendar.to_ical()


def _setup_entries(booking: Booking, company: Company) -> list[icalendar.Event]:
    """The fair's set-up and tear-down, for a company that exhibits (confirmed only: a
    waitlisted or pending company has no booth to set up).

    Nothing in them depends on the time of the fetch: DTSTAMP and LAST-MODIFIED are the
    last change of what they show (the fair, its set-up times, the booking's confirmation),
    SEQUENCE is the fair's plus the set-up's own, so it grows when either moves."""
    setup = db.session.get(BoothSetup, booking.event_id)
    if setup is None:
        return []
    event = booking.event
    changed = max(as_utc(value) for value in (
        event.updated_at, setup.updated_at, booking.decided_at or booking.created_at))
    entries = []
    for kind, start, end, title in (
        ("setup", setup.setup_starts_at, event.starts_at, "Aufbau"),
        ("teardown", event.ends_at, setup.teardown_ends_at, "Abbau"),
    ):
        if start is None or end is None or as_utc(end) <= as_utc(start):
            continue
        extra = icalendar.Event()
        extra.add("uid", f"{kind}-{event.uid}")
        extra.add("dtstamp", changed)
        extra.add("last-modified", changed)
        extra.add("sequence", event.sequence + setup.sequence)
        extra.add("dtstart", as_utc(start))
        extra.add("dtend", as_utc(end))
        extra.add("summary", ical.text(f"{title}: {event.title}"))
        extra.add("description", ical.text(f"{title} für {event.title} ({company.name}).",
                                           multiline=True))
        entries.append(extra)
    return entries


@bp.get("/feeds/company/<token>.ics")
def company_feed(token: str) -> Response:
    """The company's private feed; 404 with no information for any bad token."""
    company = company_for_feed(token)
    if company is None:
        abort(404)
    db.session.commit()  # the "last fetched" time
    return Response(render_company_feed(company), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store",
                             "X-Robots-Tag": "noindex"})
