"""Fixed codes of the booth sign-ups (stored in the database and returned by the API)."""

from flask_babel import lazy_gettext as _l

BOOKING_STATUSES = {
    "confirmed": _l("Confirmed"),
    "pending": _l("Awaiting approval"),
    "waitlisted": _l("On the waitlist"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
# A company holds at most one booking in these statuses per fair.
ACTIVE_STATUSES = ("confirmed", "pending", "waitlisted")
# These hold one of the category's places (pending ones are kept free for the approval).
HOLDS_PLACE = ("confirmed", "pending")

APPROVAL_MODES = {
    "auto": _l("Confirmed automatically"),
    "manual": _l("Approved by the organiser"),
}

MAX_STAFF = 50
