"""The readable report of a full scan, for ``flask scan-clashes`` and the nightly job."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.calendar.models import Event, Venue
from app.clashes import explain as clash_explain
from app.clashes import notifications
from app.clashes import scan as clash_scan
from app.clashes.models import BlackoutPeriod, Clash
from app.clashes.rules import HARD, RULES
from app.extensions import db

MAX_LISTED = 50


def scan_report(now: datetime, language: str = "de") -> tuple[list[str], int]:
    """Run the scan; return the report lines and the number of open hard clashes."""
    report = clash_scan.scan_all(now)
    notifications.scan_found(now)
    with force_locale(language):
        lines = [
            _("Clash scan – events checked: %(events)s, clashes found: %(found)s.",
              events=report.events, found=report.found),
            _("New: %(opened)s, open again: %(reopened)s, no longer found: %(gone)s.",
              opened=report.opened, reopened=report.reopened, gone=report.gone),
            _("Open: %(hard)s hard, %(soft)s soft; accepted: %(accepted)s.",
              hard=report.open_hard, soft=report.open_soft, accepted=report.accepted),
        ]
        hard = db.session.execute(
            select(Clash).where(Clash.active, Clash.status == "open", Clash.severity == HARD)
            .options(*_loading()).order_by(Clash.id).limit(MAX_LISTED)
        ).scalars().all()
        if hard:
            lines.append("")
            lines.append(_("Open hard clashes:"))
        for clash in hard:
            event = clash.event
            lines.append(f"- [{clash.id}] {RULES[clash.rule]}: “{event.title}” "
                         f"({event.organisation.name})")
            lines.append(f"  {clash_explain.clash_messages(clash)[language]}")
        if report.open_hard > len(hard):
            lines.append(_("… and %(count)s more.", count=report.open_hard - len(hard)))
    return lines, report.open_hard


def _loading():
    return (
        selectinload(Clash.event).selectinload(Event.organisation),
        selectinload(Clash.event).selectinload(Event.audiences),
        selectinload(Clash.other_event).selectinload(Event.organisation),
        selectinload(Clash.other_event).selectinload(Event.audiences),
        selectinload(Clash.other_event).selectinload(Event.venue)
        .selectinload(Venue.municipality),
        selectinload(Clash.blackout_period).selectinload(BlackoutPeriod.calendar),
    )
