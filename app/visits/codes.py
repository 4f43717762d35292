"""Fixed codes and limits of class visits (stored in the database and returned by the API)."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

CLASS_STATUSES = {
    "unconfirmed": _l("Awaiting e-mail confirmation"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired (not confirmed)"),
}
# These hold places (pupils and, arriving by bus, a bus bay) in their slot.
HOLDS_PLACE = ("unconfirmed", "confirmed")
ACTIVE_STATUSES = ("unconfirmed", "confirmed", "waitlisted")

# School grades that come to a training fair (Sekundarstufe I and II).
MIN_GRADE, MAX_GRADE = 5, 13
MAX_PUPILS_PER_CLASS = 200
MAX_SLOT_CAPACITY = 5_000
MAX_BUS_BAYS = 100
MAX_CLASSES_PER_REGISTRATION = 10
MAX_REMINDER_DAYS = 14
DEFAULT_REMINDER_DAYS = 3
# An unconfirmed registration keeps its places this long, then they are freed.
HOLD_FOR = timedelta(hours=48)
# The teacher's link works until this long after the fair.
LINK_VALID_AFTER_FAIR = timedelta(days=7)
MAX_INSTRUCTIONS = 2000
