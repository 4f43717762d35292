"""Booking mails, queued in the outbox in the same transaction as the change.

Only the facts of the change are written (one INSERT for all of the company's
recipients): the text and the fair's ``.ics`` are rendered after the commit, when the
outbox delivers (``messages``). So nothing is rendered while a category's lock is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.models import User
from app.accounts.recipients import company_recipients
from app.booths.messages import TEMPLATE
from app.booths.models import Booking, BoothCategory
from app.outbox.recipients import Recipient
from app.outbox.services import queue_template


@dataclass(frozen=True)
class Occasion:
    """What else a message needs to know besides the booking: who acted, the category a
    booking was moved from, the organiser's reason (a rejection, a cancellation, a
    cancelled fair)."""

    actor: User | None = None
    moved_from: BoothCategory | None = None
    reason: str | None = None


def _key(booking: Booking, kind: str, now: datetime, occasion: Occasion) -> str:
    """The outbox key without the recipient. The category is part of it: a booking moved
    to another category may be waitlisted or promoted there again; a move is news each
    time it happens."""
    if kind == "moved":
        old = occasion.moved_from.id if occasion.moved_from else 0
        return (f"booking:{booking.id}:moved:{old}-{booking.category_id}:"
                f"{int(now.timestamp())}")
    if kind in ("offered", "offer_reminder") and booking.offer_expires_at is not None:
        # A booking moved back to a waitlist may get a second offer later.
        return (f"booking:{booking.id}:{kind}:{booking.category_id}:"
                f"{int(booking.offer_expires_at.timestamp())}")
    return f"booking:{booking.id}:{kind}:{booking.category_id}"


def booking_changed(booking: Booking, kind: str, now: datetime,
                    occasion: Occasion | None = None,
                    recipients: list[Recipient] | None = None) -> int:
    """Queue the message ``kind`` about ``booking`` to its company's users (or to
    ``recipients``, when the caller looked them up before taking a lock). Returns how
    many were new.

    Kinds: confirmed, pending, waitlisted, applied, promoted, offered, offer_reminder,
    offer_expired, declined, allocated, rejected, reminder, cancelled (the company
    cancelled), cancelled_by_organiser, moved (``occasion.moved_from``), fair_cancelled;
    ``occasion.reason`` is the organiser's reason."""
    occasion = occasion or Occasion()
    if recipients is None:
        recipients = company_recipients(booking.company)
    actor = occasion.actor
    params = {"booking": booking.id, "kind": kind, "category": booking.category_id,
              "status": booking.status, "position": booking.waitlist_position,
              "old": occasion.moved_from.id if occasion.moved_from else None,
              "actor": (actor.name or actor.email) if actor else None,
              "reason": occasion.reason or None,
              "deadline": (booking.offer_expires_at.isoformat()
                           if booking.offer_expires_at else None)}
    return queue_template(_key(booking, kind, now, occasion), recipients, TEMPLATE,
                          params, now)
