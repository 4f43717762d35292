"""The visitor plan of a fair — per slot its classes, schools, pupils, buses and grades —
as CSV and XLSX for organisers (cells neutralised by ``app.spreadsheets``: school and
teacher names are typed by teachers)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.calendar.models import Event
from app.spreadsheets import csv_bytes, xlsx_bytes
from app.visits.codes import CLASS_STATUSES
from app.visits.labels import local_span
from app.visits.services import visitor_plan


def plan_rows(event: Event) -> tuple[list[str], list[list[object]]]:
    """Header and rows: one row per class, slot by slot (places first, then the
    waitlist), with the slot's totals on its classes' rows."""
    header = [_("Slot"), _("Status"), _("Waitlist position"), _("School"), _("Town"),
              _("Class"), _("Grade"), _("Pupils"), _("By bus"), _("Accompanying teacher"),
              _("Phone on the day"), _("E-mail"), _("Registered on")]
    rows: list[list[object]] = []
    for slot, classes in visitor_plan(event):
        span = local_span(slot.starts_at, slot.ends_at)
        for visit in classes:
            registration = visit.registration
            rows.append([
                span, str(CLASS_STATUSES[visit.status]), visit.waitlist_position or "",
                registration.school_name, registration.municipality.name, visit.class_name,
                visit.grade, visit.pupils, _("yes") if visit.by_bus else _("no"),
                visit.teacher_name, visit.phone, registration.email,
                local_span(visit.created_at),
            ])
    return header, rows


def plan_csv(event: Event) -> bytes:
    return csv_bytes(*plan_rows(event))


def plan_xlsx(event: Event) -> bytes:
    header, rows = plan_rows(event)
    return xlsx_bytes(_("Visitor plan"), header, rows)
