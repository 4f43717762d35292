"""Stand numbers ("Halle 2, Stand 14") of a fair's confirmed bookings, typed by the
organiser or uploaded as CSV. A stand number is used once per fair (compared without
regard to case and spacing; the database's unique index holds the exact text); all or
nothing: one bad line stores none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Company, User
from app.booths.codes import MAX_STAND
from app.booths.models import Booking
from app.booths.services.rules import CONTROL, require_manager
from app.calendar.models import Event
from app.extensions import db

MAX_CSV_BYTES = 512 * 1024


@dataclass
class StandProblems(Exception):
    """What is wrong, line by line (``line`` 0: the whole input)."""

    problems: list[tuple[int, str]] = field(default_factory=list)


def normalise_stand(text: str | None) -> str | None:
    """One line, single spaces; empty means "no stand"."""
    text = re.sub(r"\s+", " ", (text or "")).strip()
    return text or None


def _key(stand: str) -> str:
    return stand.casefold()


def set_stands(event: Event, actor: User, wanted: dict[int, str | None]) -> int:
    """Give confirmed bookings of ``event`` their stand numbers (booking id → text;
    None or "" removes one). Raises ``StandProblems`` (nothing changed) for an unknown or
    unconfirmed booking, a text that is too long or has control characters, or a
    number used twice. Returns how many bookings changed."""
    require_manager(actor, event)
    confirmed = {booking.id: booking for booking in db.session.execute(
        select(Booking).where(Booking.event_id == event.id, Booking.status == "confirmed")
    ).scalars()}
    problems: list[tuple[int, str]] = []
    cleaned: dict[int, str | None] = {}
    for booking_id, text in wanted.items():
        if booking_id not in confirmed:
            problems.append((booking_id, str(_l("Only confirmed bookings get a stand."))))
            continue
        if text and CONTROL.search(text.replace("\t", " ")):
            problems.append((booking_id, str(_l("A stand number is one line of text."))))
            continue
        stand = normalise_stand(text)
        if stand and len(stand) > MAX_STAND:
            problems.append((booking_id, str(_l(
                "A stand number has at most 40 characters."))))
            continue
        cleaned[booking_id] = stand
    final = {booking_id: booking.stand for booking_id, booking in confirmed.items()}
    final.update(cleaned)
    seen: dict[str, int] = {}
    for booking_id, stand in sorted(final.items()):
        if stand is None:
            continue
        other = seen.setdefault(_key(stand), booking_id)
        if other != booking_id:
            problems.append((booking_id, str(_l(
                "Stand “%(stand)s” is given twice (%(first)s and %(second)s).", stand=stand,
                first=confirmed[other].company.name,
                second=confirmed[booking_id].company.name))))
    if problems:
        raise StandProblems(problems)
    changed = [booking_id for booking_id, stand in cleaned.items()
               if confirmed[booking_id].stand != stand]
    # Clear first, then set: swapping two stands never meets the unique index halfway.
    for booking_id in changed:
        confirmed[booking_id].stand = None
    db.session.flush()
    for booking_id in changed:
        confirmed[booking_id].stand = cleaned[booking_id]
    db.session.flush()
    return len(changed)


def stands_from_csv(event: Event, actor: User, data: bytes) -> int:
    """Stand numbers from a CSV file with a header: ``company`` (its name) or
    ``booking`` (the booking number), and ``stand``; comma or semicolon separated,
    UTF-8 (with or without BOM). All or nothing (``StandProblems`` names the lines)."""
    require_manager(actor, event)
    if len(data) > MAX_CSV_BYTES:
        raise StandProblems([(0, str(_l("The file is larger than 512 KB.")))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StandProblems([(0, str(_l("The file is not UTF-8 text.")))]) from None
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=";,")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise StandProblems([(0, str(_l("The file is empty.")))])
    header = [cell.strip().casefold() for cell in rows[0]]
    if "stand" not in header or not ({"company", "booking"} & set(header)):
        raise StandProblems([(0, str(_l(
            "The first line must name the columns “company” (or “booking”) and “stand”.")))])
    by_name = {name.casefold(): booking_id for booking_id, name in db.session.execute(
        select(Booking.id, Company.name).join(Company, Company.id == Booking.company_id)
        .where(Booking.event_id == event.id, Booking.status == "confirmed"))}
    wanted: dict[int, str | None] = {}
    line_of: dict[int, int] = {}
    problems: list[tuple[int, str]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row, strict=False))
        booking_id = _booking_of(record, by_name)
        if booking_id is None:
            problems.append((line, str(_l("No confirmed booking of this fair matches."))))
            continue
        if booking_id in wanted:
            problems.append((line, str(_l("This booking appears twice in the file."))))
            continue
        wanted[booking_id] = record.get("stand", "")
        line_of[booking_id] = line
    if problems:
        raise StandProblems(problems)
    try:
        return set_stands(event, actor, wanted)
    except StandProblems as error:
        raise StandProblems([(line_of.get(booking_id, 0), message)
                             for booking_id, message in error.problems]) from None


def _booking_of(record: dict[str, str], by_name: dict[str, int]) -> int | None:
    number = (record.get("booking") or "").strip()
    if number:
        return int(number) if number.isdigit() and int(number) in by_name.values() else None
    return by_name.get((record.get("company") or "").strip().casefold())

