"""What the booths area answers when a lower area asks (see ``app.signals``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from app import signals
from app.booths import messages
from app.booths.models import Booking, booking_occupations
from app.outbox.services import Rendered


@signals.events_presenting_occupations.connect
def events_presenting(_sender, *, occupation_ids: tuple[int, ...]) -> Select:
    """Ids of events where a confirmed exhibitor presents one of the occupations."""
    return (select(Booking.event_id)
            .join(booking_occupations, booking_occupations.c.booking_id == Booking.id)
            .where(Booking.status == "confirmed",
                   booking_occupations.c.occupation_id.in_(occupation_ids)))


@signals.render_outbox_message.connect_via(messages.TEMPLATE)
def render_booking_message(_sender, *, params: dict, language: str,
                           queued_at: datetime) -> Rendered | None:
    """A booking mail the outbox is about to send (queued by ``notifications``)."""
    return messages.render(params, language, queued_at)
