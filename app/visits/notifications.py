"""E-mails to teachers about their class visits, queued in the outbox in the language
they registered in, each with a fresh link to their registration.

Double opt-in: before the address is confirmed it gets exactly one mail, the request to
confirm; everything else goes only to confirmed registrations. ``due_reminders`` is for
the scheduler: it may run any number of times (also in two processes at once) and
queues each reminder once (a conditional UPDATE marks it, the outbox key refuses a copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.calendar.ical import Appointment, appointments_calendar
from app.calendar.models import UID_DOMAIN, Event
from app.calendar.recipients import event_url
from app.extensions import db
from app.i18n import format_deadline, format_event_when
from app.outbox.services import queue
from app.time import as_utc, to_local
from app.visits.codes import CLASS_STATUSES, HOLDS_PLACE, MAX_REMINDER_DAYS
from app.visits.labels import local_span
from app.visits.links import issue_link, link_url
from app.visits.models import ClassVisit, VisitRegistration, VisitSetup, VisitSlot

SIGNATURE = "Messekalender Südwestfalen"


@dataclass(frozen=True)
class Occasion:
    """What a message needs besides the class: the slot it was moved from."""

    moved_from: VisitSlot | None = None


def class_calendar(registration: VisitRegistration, visits: list[ClassVisit]) -> bytes:
    """The classes' visit times as an iCalendar file (``app.calendar.ical``), in the
    teacher's language; a cancelled or expired class as STATUS:CANCELLED."""
    event = registration.event
    with force_locale(registration.language):
        appointments = [Appointment(
            uid=f"class-visit-{visit.id}@{UID_DOMAIN}",
            starts_at=db.session.get(VisitSlot, visit.slot_id).starts_at,
            ends_at=db.session.get(VisitSlot, visit.slot_id).ends_at,
            summary=_("Class visit: %(event)s (class %(label)s)", event=event.title,
                      label=visit.label),
            description="\n".join(_visit_facts(registration, visit) + [
                _("Event page: %(url)s", url=event_url(event))]),
            sequence=visit.sequence, stamp=visit.changed_at,
            cancelled=visit.status not in HOLDS_PLACE,
        ) for visit in visits]
        name = _("Class visits: %(event)s", event=event.title)
    return appointments_calendar(event, appointments, name=name,
                                 base_url=current_app.config["BASE_URL"]).to_ical()


def _visit_facts(registration: VisitRegistration, visit: ClassVisit) -> list[str]:
    lines = [ngettext("%(school)s, class %(label)s (grade %(grade)s): %(num)d pupil",
                      "%(school)s, class %(label)s (grade %(grade)s): %(num)d pupils",
                      visit.pupils, school=registration.school_name, label=visit.label,
                      grade=visit.grade),
             _("Accompanying teacher: %(name)s, phone %(phone)s", name=visit.teacher_name,
               phone=visit.phone)]
    if visit.by_bus:
        lines.append(_("Arriving by bus."))
    return lines


def _class_line(visit: ClassVisit, language: str) -> str:
    """"Class 9b (grade 9, 25 pupils, by bus): Fr., 12. Sept. 2025, 08:30–10:00 Uhr –
    Confirmed"."""
    slot = db.session.get(VisitSlot, visit.slot_id)
    facts = ngettext("grade %(grade)s, %(num)d pupil", "grade %(grade)s, %(num)d pupils",
                     visit.pupils, grade=visit.grade)
    if visit.by_bus:
        facts += ", " + _("by bus")
    status = str(CLASS_STATUSES[visit.status])
    if visit.status == "waitlisted":
        status = _("on the waitlist at position %(position)s",
                   position=visit.waitlist_position)
    return _("- Class %(label)s (%(facts)s): %(when)s – %(status)s", label=visit.label,
             facts=facts, when=local_span(slot.starts_at, slot.ends_at, language),
             status=status)


def _contact(event: Event) -> list[str]:
    parts = [part for part in (event.contact_name, event.contact_email, event.contact_phone)
             if part]
    if not parts:
        return []
    return [_("Questions? Please contact the organiser: %(contact)s", contact=", ".join(parts))]


def _send(registration: VisitRegistration, key: str, subject: str, lines: list[str],
          now: datetime, attachment: bytes | None = None) -> int:
    body = "\n\n".join([*lines, SIGNATURE]) + "\n"
    return int(queue(key, registration.email, subject, body, now,
                     language=registration.language,
                     attachment_name="klassenbesuch.ics" if attachment else None,
                     attachment=attachment))


def registration_received(registration: VisitRegistration, token: str, now: datetime) -> int:
    """The one mail to a new address: what is held, and the link that confirms it."""
    event, language = registration.event, registration.language
    with force_locale(language):
        subject = _("Please confirm your class registration: %(event)s", event=event.title)
        lines = [
            _("Thank you for registering classes of %(school)s for %(event)s (%(when)s).",
              school=registration.school_name, event=event.title,
              when=format_event_when(event, language)),
            "\n".join(_class_line(visit, language) for visit in registration.classes),
            _("Please confirm your e-mail address: open this link and press \"Confirm "
              "registration\". The places are held for you until %(expires)s; without a "
              "confirmation they are given to other classes then.",
              expires=format_deadline(registration.hold_expires_at, language)),
            link_url(token),
            _("If you did not register, please ignore this e-mail; you will hear nothing "
              "more from us."),
        ]
    return _send(registration, f"visit:{registration.id}:received", subject, lines, now)


def registration_confirmed(registration: VisitRegistration, token: str, now: datetime) -> int:
    """The confirmation: the classes, the organiser's notes, the link to change them and
    the visit times as an .ics file."""
    event, language = registration.event, registration.language
    setup = db.session.get(VisitSetup, event.id)
    placed = [visit for visit in registration.classes if visit.status in HOLDS_PLACE]
    with force_locale(language):
        subject = _("Class visit confirmed: %(event)s", event=event.title)
        lines = [
            _("Your registration for %(event)s (%(when)s) is confirmed:", event=event.title,
              when=format_event_when(event, language)),
            "\n".join(_class_line(visit, language) for visit in registration.classes),
        ]
        if any(visit.status == "waitlisted" for visit in registration.classes):
            lines.append(_("A class on the waitlist moves up automatically when places "
                           "become free; we will write to you then."))
        if setup and setup.instructions:
            lines.append(_("From the organiser: %(notes)s", notes=setup.instructions))
        lines += [_("Keep this e-mail: with this link you can change the number of pupils, "
                    "move a class to another slot or cancel it:"), link_url(token)]
        if placed:
            lines.append(_("The attached calendar file (.ics) holds your visit times."))
        lines += [*_contact(event), _("Event page: %(url)s", url=event_url(event))]
    return _send(registration, f"visit:{registration.id}:confirmed", subject, lines, now,
                 class_calendar(registration, placed) if placed else None)


def class_changed(visit: ClassVisit, kind: str, now: datetime,
                  occasion: Occasion | None = None) -> int:
    """Tell a confirmed teacher what happened to a class. Kinds: updated (the teacher
    changed or moved it), moved (an organiser did), promoted, cancelled (by the teacher),
    cancelled_by_organiser, slot_changed (new times). Unconfirmed addresses get nothing."""
    registration = visit.registration
    if registration.confirmed_at is None:
        return 0
    event, language = registration.event, registration.language
    occasion = occasion or Occasion()
    with force_locale(language):
        facts = {"event": event.title, "label": visit.label}
        subjects = {
            "updated": _("Class visit changed: %(event)s", **facts),
            "moved": _("Your class was moved to another slot: %(event)s", **facts),
            "promoted": _("A place has become free: %(event)s", **facts),
            "cancelled": _("Class visit cancelled: %(event)s", **facts),
            "cancelled_by_organiser": _("Class visit cancelled by the organiser: %(event)s",
                                        **facts),
            "slot_changed": _("New time for your class visit: %(event)s", **facts),
        }
        openings = {
            "updated": _("The registration of class %(label)s for %(event)s has been "
                         "changed as you asked.", **facts),
            "moved": _("The organiser has moved class %(label)s to another slot "
                       "(before: %(old)s).", old=local_span(
                           occasion.moved_from.starts_at, occasion.moved_from.ends_at,
                           language) if occasion.moved_from else "?", **facts),
            "promoted": _("A place has become free: class %(label)s now has its places at "
                          "%(event)s.", **facts),
            "cancelled": _("Class %(label)s is no longer registered for %(event)s, as you "
                           "asked.", **facts),
            "cancelled_by_organiser": _("The organiser of %(event)s has cancelled the visit "
                                        "of class %(label)s.", **facts),
            "slot_changed": _("The organiser has changed the time of the slot of class "
                              "%(label)s.", **facts),
        }
        lines = [openings[kind], _class_line(visit, language)]
        if kind in ("moved", "cancelled_by_organiser", "slot_changed"):
            lines += _contact(event)
        if visit.status in ("confirmed", "waitlisted", "unconfirmed"):
            lines += [_("Your link to change the registration:"),
                      link_url(issue_link(registration, now))]
        lines.append(_("Event page: %(url)s", url=event_url(event)))
    key = (f"visit:{registration.id}:{visit.id}:{kind}:{visit.sequence}:"
           f"{now.timestamp():.6f}")
    attachment = None if visit.status == "waitlisted" else class_calendar(registration, [visit])
    return _send(registration, key, subjects[kind], lines, now, attachment)


def fair_cancelled(registration: VisitRegistration, now: datetime) -> int:
    """The fair is cancelled: one mail per confirmed registration, its entries cancelled."""
    if registration.confirmed_at is None:
        return 0
    event, language = registration.event, registration.language
    with force_locale(language):
        subject = _("Fair cancelled: %(event)s", event=event.title)
        lines = [_("The organiser has cancelled %(event)s (%(when)s). Your class visits are "
                   "therefore cancelled as well; there is nothing you need to do.",
                   event=event.title, when=format_event_when(event, language))]
        if event.cancellation_reason:
            lines.append(_("Reason given by the organiser: %(reason)s",
                           reason=event.cancellation_reason))
        lines += _contact(event)
    visits = [visit for visit in registration.classes if visit.status == "cancelled"]
    return _send(registration, f"visit:{registration.id}:fair-cancelled", subject, lines, now,
                 class_calendar(registration, visits) if visits else None)


def _days_until(moment: datetime, now: datetime) -> int:
    """Whole local calendar days from ``now`` to ``moment`` (0: today)."""
    return max(0, (to_local(moment).date() - to_local(now).date()).days)


def due_reminders(now: datetime) -> int:
    """Queue the reminder of every confirmed registration whose first confirmed class
    comes within the organiser's number of days. Each registration is reminded once; one
    confirmed only after the reminder point is not (its confirmation said it all)."""
    rows = db.session.execute(
        select(VisitRegistration, VisitSetup.reminder_days, VisitSlot.starts_at)
        .join(ClassVisit, ClassVisit.registration_id == VisitRegistration.id)
        .join(VisitSlot, ClassVisit.slot_id == VisitSlot.id)
        .join(VisitSetup, VisitSetup.event_id == VisitRegistration.event_id)
        .join(Event, Event.id == VisitRegistration.event_id)
        .where(VisitRegistration.confirmed_at.is_not(None),
               VisitRegistration.reminded_at.is_(None), ClassVisit.status == "confirmed",
               Event.status == "published", VisitSetup.reminder_days > 0,
               VisitSlot.starts_at > now,
               VisitSlot.starts_at <= now + timedelta(days=MAX_REMINDER_DAYS + 1))
        .order_by(VisitRegistration.id, VisitSlot.starts_at)
    ).all()
    first: dict[int, tuple[VisitRegistration, int, datetime]] = {}
    for registration, days, starts_at in rows:
        first.setdefault(registration.id, (registration, days, starts_at))
    new = 0
    for registration, days, starts_at in first.values():
        if _days_until(starts_at, now) > days:
            continue
        point = to_local(starts_at).replace(hour=0, minute=0, second=0, microsecond=0) \
            - timedelta(days=days)
        if as_utc(registration.confirmed_at) > as_utc(point):
            continue
        marked = db.session.execute(
            update(VisitRegistration).where(VisitRegistration.id == registration.id,
                                            VisitRegistration.reminded_at.is_(None))
            .values(reminded_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if marked:
            new += _reminder(registration, starts_at, now)
    db.session.flush()
    return new


def _reminder(registration: VisitRegistration, starts_at: datetime, now: datetime) -> int:
    event, language = registration.event, registration.language
    placed = [visit for visit in registration.classes if visit.status == "confirmed"]
    days = _days_until(starts_at, now)
    setup = db.session.get(VisitSetup, event.id)
    with force_locale(language):
        if days == 0:
            subject = _("Reminder: your class visit to %(event)s today", event=event.title)
        elif days == 1:
            subject = _("Reminder: your class visit to %(event)s tomorrow", event=event.title)
        else:
            subject = ngettext("Reminder: your class visit to %(event)s in %(num)d day",
                               "Reminder: your class visit to %(event)s in %(num)d days",
                               days, event=event.title)
        lines = [_("Your classes are expected at %(event)s (%(place)s):", event=event.title,
                   place=event.venue.address),
                 "\n".join(_class_line(visit, language) for visit in placed)]
        if setup and setup.instructions:
            lines.append(_("From the organiser: %(notes)s", notes=setup.instructions))
        lines += [_("Fewer pupils or a class that cannot come? Please tell us through your "
                    "link, so that waiting classes get the places:"),
                  link_url(issue_link(registration, now)), *_contact(event)]
    return _send(registration, f"visit:{registration.id}:reminder", subject, lines, now,
                 class_calendar(registration, placed))
