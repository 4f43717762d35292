"""Clash pages for organisers and admins: the board, the year overview, blackout calendars,
and the live clash check of the event form.

The domain lives in ``services`` and ``blackout``; these views parse input, call them,
commit and render. Every action on a clash is recorded by the services as its history,
which both organisers see on their board.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.auth import require_organiser
from app.accounts.models import User
from app.calendar import services as calendar
from app.calendar.models import Event
from app.calendar.recipients import unreachable
from app.clashes import blackout, dates, overview
from app.clashes import board as clash_board
from app.clashes import explain as clash_explain
from app.clashes import inputs as clash_inputs
from app.clashes import notes as clash_notes
from app.clashes.forms import (
    MAX_ICS_BYTES,
    AcceptForm,
    BlackoutUploadForm,
    BoardFilterForm,
    DatesFilterForm,
    ResolveForm,
)
from app.clashes.models import BlackoutCalendar, BlackoutPeriod, Clash, ClashAction
from app.clashes.rules import RULES
from app.extensions import db
from app.i18n import format_day
from app.reference.codes import AUDIENCES, EVENT_TYPES, STATUSES
from app.reference.models import District
from app.time import EARLIEST_YEAR, LATEST_YEAR, local_today, now_utc

bp = Blueprint("clash_board", __name__)
bp.before_request(require_organiser)

ACTION_LABELS = {
    "opened": _l("found by the scan"), "reopened": _l("open again (an event moved)"),
    "accepted": _l("accepted"), "resolved": _l("marked resolved"),
    "gone": _l("no longer a clash"),
}
STATUS_LABELS = {"open": _l("open"), "accepted": _l("accepted"), "resolved": _l("resolved")}
SEVERITY_LABELS = {"hard": _l("hard"), "soft": _l("soft")}
MIN_YEAR, MAX_YEAR = EARLIEST_YEAR, LATEST_YEAR  # the service's one date range


@bp.context_processor
def labels() -> dict:
    return {"rule_labels": RULES, "clash_action_labels": ACTION_LABELS,
            "clash_status_labels": STATUS_LABELS, "severity_labels": SEVERITY_LABELS,
            "statuses": STATUSES, "event_types": EVENT_TYPES, "audience_labels": AUDIENCES,
            "event_link": event_link, "language": str(get_locale() or "de")[:2]}


@bp.app_context_processor
def clash_helpers() -> dict:
    """What the clash warnings on the event form (another blueprint) need."""
    return {"clash_event_link": event_link, "clash_severity_labels": SEVERITY_LABELS}


def event_link(event: Event | None) -> str | None:
    """Where the viewer can look at an event: its form if they may edit it, else its page."""
    if event is None:
        return None
    if calendar.can_edit(current_user, event):
        return url_for("editing.edit_event", event_id=event.id)
    if calendar.can_view(current_user, event):
        return url_for("calendar.event", event_id=event.id)
    return None


# --- the board -------------------------------------------------------------------------------


def _districts() -> list[District]:
    return list(db.session.execute(select(District).order_by(District.name)).scalars())


@bp.get("/clashes")
def board():
    """The viewer's clashes (admins: all), open ones by default, with their history."""
    filters = BoardFilterForm(request.args)
    filters.district.choices = [("", _("all"))] + [(d.code, d.name) for d in _districts()]
    if not filters.validate():
        filters = BoardFilterForm(formdata=None)
        filters.district.choices = [("", _("all"))] + [(d.code, d.name) for d in _districts()]
    status = filters.status.data or "open"
    query = clash_board.clashes_for(
        current_user, status=None if status == "all" else status,
        district=filters.district.data or None, severity=filters.severity.data or None,
        include_gone=status in ("resolved", "all"),
    ).options(selectinload(Clash.actions).selectinload(ClashAction.user)
              .selectinload(User.organisation))
    found = db.session.execute(query.limit(200)).scalars().unique().all()
    cards = [_card(clash) for clash in found]
    return render_template("clashes/board.html", cards=cards, filters=filters,
                           status=status, accept_form=AcceptForm(formdata=None),
                           resolve_form=ResolveForm(formdata=None))


def _card(clash: Clash) -> dict:
    """A clash from the viewer's side: their event first when one is theirs."""
    events = clash.events
    own = current_user.organisation_id
    if len(events) == 2 and events[1].organisation_id == own and events[0].organisation_id != own:
        events = [events[1], events[0]]
    language = str(get_locale() or "de")[:2]
    return {
        "clash": clash, "events": events,
        "explanation": clash_explain.clash_messages(clash, events[0]).get(language, ""),
        "can_settle": clash_board.can_settle(current_user, clash),
        "movable": [event for event in events if calendar.can_edit(current_user, event)
                    and event.status != "cancelled"],
        # Said in advance instead of promising a mail nobody receives.
        "not_told": [event.organisation for event in unreachable(events)
                     if event.organisation_id != own],
    }


def _settle(clash_id: int, action: str):
    clash = db.get_or_404(Clash, clash_id)
    if not clash_board.can_view(current_user, clash):
        abort(404)
    if not clash_board.can_settle(current_user, clash):
        abort(403)
    form = AcceptForm() if action == "accepted" else ResolveForm()
    back = url_for("clash_board.board", _anchor=f"clash-{clash.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    try:
        if action == "accepted":
            clash_board.accept(clash, current_user, form.note.data, now=now_utc())
        else:
            clash_board.resolve(clash, current_user, form.note.data, now=now_utc())
    except clash_notes.ClashPermissionError:
        db.session.rollback()
        abort(403)
    except clash_notes.ClashError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    if any(event.organisation_id != current_user.organisation_id
           for event in unreachable(clash.events)):
        flash(_("The clash is accepted; the other organiser sees your note on their board "
                "but cannot be told by e-mail (no active user, no contact address).")
              if action == "accepted" else
              _("The clash is marked resolved; the other organiser sees this on their board "
                "but cannot be told by e-mail (no active user, no contact address)."),
              "success")
        return redirect(back)
    flash(_("The clash is accepted; the other organiser is told by e-mail and sees your note "
            "on their board.")
          if action == "accepted" else
          _("The clash is marked resolved; the other organiser is told by e-mail and sees "
            "this on their board."),
          "success")
    return redirect(back)


@bp.post("/clashes/<int:clash_id>/accept")
def accept(clash_id: int):
    return _settle(clash_id, "accepted")


@bp.post("/clashes/<int:clash_id>/resolve")
def resolve(clash_id: int):
    return _settle(clash_id, "resolved")


# --- the year overview -----------------------------------------------------------------------


@bp.get("/clashes/year")
def year_overview():
    """The year at a glance (SVG, no JavaScript), a text table, and the reserved dates."""
    planned = dates.planning_year(local_today())
    try:
        year = int(request.args.get("year", planned))
    except ValueError:
        year = planned
    if not MIN_YEAR <= year <= MAX_YEAR:
        abort(404)
    language = str(get_locale() or "de")[:2]
    counts = dates.year_counts(year, current_user.organisation_id)
    school = dates.school_holiday_days(year)
    public = {date.fromordinal(ordinal): clash_inputs.holiday_name(date.fromordinal(ordinal),
                                                                language)
              for ordinal in clash_inputs.public_holidays(date(year, 1, 1), date(year, 12, 31))}
    days = overview.year_days(year, counts, school, public)
    districts = [(d.code, d.name) for d in _districts()]
    with_locale_months = [format_day(date(year, month, 1), "LLLL") for month in range(1, 13)]
    labels = overview.Labels(
        title=_("Events in %(year)s per day and district", year=year),
        description=_("One row per month, one cell per day. The number is the count of "
                      "planned and published events (and your drafts); the small bars "
                      "show the districts. Shaded: weekends, free weekends, school holidays "
                      "and public holidays. The same information follows as a table."),
        months=with_locale_months,
        kinds={"weekday": _("Weekday"), "weekend": _("Weekend with events"),
               "free_weekend": _("Free weekend day"), "school": _("School holidays"),
               "holiday": _("Public holiday")},
        events=lambda n: ngettext("%(num)d event", "%(num)d events", n),
        day=format_day,
    )
    svg = Markup(overview.year_svg(year, days, districts, labels))  # noqa: S704 - escaped by ElementTree
    months = []
    for month in range(1, 13):
        rows = [(day, info) for day, info in sorted(days.items())
                if day.month == month and (info.total or info.notes)]
        free = [day for day, info in sorted(days.items())
                if day.month == month and info.kind == "free_weekend" and day.weekday() == 5
                and days.get(day + timedelta(days=1), info).kind == "free_weekend"]
        months.append({"name": with_locale_months[month - 1], "rows": rows, "free": free,
                       "days": month_calendar.monthrange(year, month)[1]})
    reserved = dates.reserved_in(year)
    return render_template("clashes/year.html", year=year, svg=svg, months=months,
                           reserved=reserved, district_names=dict(districts),
                           min_year=MIN_YEAR, max_year=MAX_YEAR)


# --- the organisers' calendar of dates --------------------------------------------------------


@bp.get("/clashes/dates")
def shared_dates():
    """Reserved and published dates of every organisation, month by month, with whom to
    call: what an organiser looks at before fixing a date. Drafts never appear."""
    districts = _districts()
    form = DatesFilterForm(request.args)
    form.district.choices = [("", _("all"))] + [(d.code, d.name) for d in districts]
    if request.args and not form.validate():
        for field in (form.start, form.end, form.district, form.status):
            if field.errors:
                field.data = None
    this_month = local_today().replace(day=1)
    first = form.start.data or this_month
    last = form.end.data or dates.add_months(first, 11)
    if last < first or dates.months_between(first, last) > dates.MAX_MONTHS:
        last = dates.add_months(first, 11)
    for field, value in ((form.start, first), (form.end, last)):
        if not field.errors:
            field.data, field.raw_data = value, None  # show the period that is shown
    found = db.session.execute(
        dates.shared_dates(first, last, now_utc(), district=form.district.data or None,
                           status=form.status.data or None).limit(dates.MAX_EVENTS + 1)
    ).scalars().all()
    truncated = len(found) > dates.MAX_EVENTS
    events = found[:dates.MAX_EVENTS]
    return render_template(
        "clashes/dates.html", form=form, groups=dates.by_month(events, first),
        first=first, last=last, truncated=truncated, max_events=dates.MAX_EVENTS,
        reserved=sum(1 for event in events if event.status == "planned"),
        published=sum(1 for event in events if event.status == "published"),
        district_names={d.code: d.name for d in districts},
        own_organisation=current_user.organisation_id,
    )


# --- blackout calendars (admins) -------------------------------------------------------------


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _calendars() -> list[tuple[BlackoutCalendar, int]]:
    return db.session.execute(
        select(BlackoutCalendar, func.count(BlackoutPeriod.id))
        .outerjoin(BlackoutPeriod, BlackoutPeriod.calendar_id == BlackoutCalendar.id)
        .group_by(BlackoutCalendar.id).order_by(BlackoutCalendar.name)
    ).all()


@bp.route("/clashes/blackout", methods=["GET", "POST"])
def blackout_calendars():
    """Import (or replace) and delete blackout calendars; shipped ones are listed too."""
    _require_admin()
    form = BlackoutUploadForm()
    status = 200
    if request.method == "GET":
        form.audiences.data = ["pupils"]
    elif form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.read(MAX_ICS_BYTES + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file
        try:
            if len(data) > MAX_ICS_BYTES:
                raise blackout.BlackoutError(_("The file is larger than 512 KB."))
            imported = blackout.import_calendar(
                form.name.data, data, source=_("upload: %(file)s",
                                               file=(upload.filename or "")[:200]),
                audiences=form.audiences.data or None, actor=current_user)
        except blackout.BlackoutError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
            status = 422
        else:
            db.session.commit()
            flash(ngettext("The calendar “%(name)s” is imported with %(num)d period.",
                           "The calendar “%(name)s” is imported with %(num)d periods.",
                           len(imported.periods), name=imported.name), "success")
            return redirect(url_for("clash_board.blackout_calendars"))
    else:
        status = 422
    return render_template("clashes/blackout.html", form=form, calendars=_calendars()), status


@bp.post("/clashes/blackout/<int:calendar_id>/delete")
def delete_blackout_calendar(calendar_id: int):
    _require_admin()
    form = ResolveForm()  # only its CSRF token matters
    found = db.get_or_404(BlackoutCalendar, calendar_id)
    if not form.validate_on_submit():
        abort(400)
    name = found.name
    blackout.delete_calendar(found)
    db.session.commit()
    flash(_("The calendar “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("clash_board.blackout_calendars"))
