"""The fixed codes of the public contract (PRODUCT.md) and their German/English labels.

Codes never change; labels are translated with Flask-Babel.
"""

from flask_babel import lazy_gettext as _l

DISTRICT_CODES = ("HSK", "OE", "SI", "SO", "MK")
INDUSTRY_CODES = ("AUTO", "METALL", "GEBTECH", "WERKSTOFF", "GESUNDHEIT", "HOLZ", "CROSS")

EVENT_TYPES = {
    "training_fair": _l("Training fair"),
    "job_fair": _l("Job and skilled-worker fair"),
    "speed_dating": _l("Apprentice speed dating"),
    "open_day": _l("Open day / company visit"),
    "info_evening": _l("Information and parents' evening"),
    "study_fair": _l("Study information day"),
    "placement_exchange": _l("Apprenticeship placement exchange"),
    "further_training_fair": _l("Further training fair"),
}

AUDIENCES = {
    "pupils": _l("Pupils"),
    "parents": _l("Parents"),
    "teachers": _l("Teachers"),
    "students": _l("Students"),
    "jobseekers": _l("Jobseekers"),
    "professionals": _l("Professionals"),
    "public": _l("General public"),
}

STATUSES = {
    "draft": _l("Draft"),
    "planned": _l("Date reserved"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

ORGANISATION_KINDS = {
    "ihk": _l("Chamber of industry and commerce (IHK)"),
    "hwk": _l("Chamber of crafts (Handwerkskammer)"),
    "wfg": _l("Economic development agency"),
    "university": _l("University"),
    "network": _l("Industry network"),
    "other": _l("Other"),
}

ROLES = {
    "admin": _l("Administrator"),
    "organiser": _l("Organiser"),
    "company": _l("Company"),
}

# An organiser's role inside their organisation.
ORGANISATION_ROLES = {
    "member": _l("Member"),
    "admin": _l("Organisation admin"),
}

LANGUAGES = {"de": "Deutsch", "en": "English"}

# Grades of German schools that the pupil grade range may name.
MIN_GRADE, MAX_GRADE = 1, 13
