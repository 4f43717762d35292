"""Fixed codes of the booth sign-ups (stored in the database and returned by the API)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

BOOKING_STATUSES = {
    "confirmed": _l("Confirmed"),
    "pending": _l("Awaiting approval"),
    "offered": _l("Place offered"),
    "waitlisted": _l("On the waitlist"),
    "applied": _l("Applied"),
    "rejected": _l("Rejected"),
    # "Storniert": "Abgesagt" is kept for a cancelled fair (FAIR_CANCELLED).
    "cancelled": lazy_pgettext("booking", "Cancelled"),
    "declined": _l("Offer declined"),
    "expired": _l("Offer expired"),
}
# A booking cancelled because its fair was cancelled shows this instead.
FAIR_CANCELLED = _l("Fair cancelled")
# A company holds at most one booking in these statuses per fair.
ACTIVE_STATUSES = ("confirmed", "pending", "waitlisted", "offered", "applied")
# These hold one of the category's places (pending ones are kept free for the approval,
# offered ones until the company accepts, declines or the offer expires).
HOLDS_PLACE = ("confirmed", "pending", "offered")

APPROVAL_MODES = {
    "auto": _l("Confirmed automatically"),
    "manual": _l("Approved by the organiser"),
}

ALLOCATION_MODES = {
    "first_come": _l("First come, first served"),
    "lottery": _l("Applications, then allocation"),
}

# What happens when a place becomes free and the waitlist is not empty.
WAITLIST_MODES = {
    "offer": _l("The next company gets an offer to accept in time"),
    "confirm": _l("The next company is confirmed at once"),
}
DEFAULT_OFFER_HOURS = 48
MAX_OFFER_HOURS = 14 * 24

# Priority groups of an allocation, in the order the organiser ranks them.
PRIORITY_GROUPS = {
    "members": _l("Members of the organising network"),
    "first_time": _l("First-time exhibitors"),
    "district": _l("Companies from the fair's district"),
}

MAX_STAFF = 50
MAX_STAND = 40
