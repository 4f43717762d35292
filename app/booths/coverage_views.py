"""Occupation coverage pages for organisers (blueprint ``coverage``): one fair, and the
region over a year with the occupations each district's fairs leave out."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.accounts.auth import require_organiser
from app.booths.coverage import fair_coverage, next_fair_year, region_coverage
from app.calendar.models import Event
from app.calendar.services import can_view
from app.extensions import db
from app.reference.models import District, Industry
from app.time import local_today

bp = Blueprint("coverage", __name__)
bp.before_request(require_organiser)

MIN_YEAR, MAX_YEAR = 2000, 2100


def _names() -> tuple[dict[str, str], dict[str, str]]:
    districts = dict(db.session.execute(select(District.code, District.name)).tuples().all())
    industries = {industry.code: industry.label
                  for industry in db.session.execute(select(Industry)).scalars()}
    return districts, industries


@bp.get("/manage/coverage")
def region():
    """The region's fairs of a year: which occupations are presented, which are missing
    in which district."""
    raw = request.args.get("year", "").strip()
    year = next_fair_year(local_today())
    if raw:
        if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
            abort(400, description=f"'year' must be a year from {MIN_YEAR} to {MAX_YEAR}.")
        year = int(raw)
    districts, industries = _names()
    return render_template("booths/coverage_region.html", coverage=region_coverage(year),
                           districts=districts, industries=industries)


@bp.get("/manage/events/<int:event_id>/coverage")
def fair(event_id: int):
    """One fair: the occupations its confirmed exhibitors present, by industry."""
    event = db.get_or_404(Event, event_id)
    if not can_view(current_user, event):
        abort(404)
    return render_template("booths/coverage_fair.html", event=event,
                           groups=fair_coverage(event), year=event.local_start.year)
