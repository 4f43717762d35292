"""The organiser's event form, the status buttons and the status change that needs a
hard clash acknowledged.

The form checks the shape of the input (lengths, known codes, dates that parse, which
fields a whole-day or a timed event needs); the business rules (an event ends after it
starts, at least one audience, ...) are checked by ``calendar.services.validate_event_data``.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.calendar.models import Event
from app.calendar.services import EventData
from app.clashes.notes import MAX_NOTE
from app.forms import (
    CHOICE_MESSAGE,
    PLEASE_CHOOSE,
    BaseForm,
    MultiCheckboxField,
    VersionField,
    options,
    web_address,
)
from app.i18n import format_day
from app.reference.choices import industry_choices, municipality_choices
from app.reference.codes import AUDIENCES, EVENT_TYPES, MAX_GRADE, MIN_GRADE, STATUSES
from app.time import NonexistentLocalTime, local_to_utc, to_local

# The service's field names where the form calls them differently.
FORM_FIELDS = {"starts_at": "start_time", "ends_at": "end_time", "venue": "venue_name",
               "note": "clash_note"}


class EventForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=200)],
        render_kw={"maxlength": 200},
    )
    event_type = SelectField(
        _l("Kind of event"),
        choices=options(EVENT_TYPES, blank=PLEASE_CHOOSE),
        validators=[DataRequired(_l("Please choose the kind of event."))],
        invalid_choice_message=CHOICE_MESSAGE,
    )
    description = TextAreaField(
        _l("Description"), validators=[Length(max=5000)],
        description=_l("What visitors can expect; up to 5000 characters."),
        render_kw={"rows": 6, "maxlength": 5000},
    )
    audiences = MultiCheckboxField(_l("Audiences"), choices=options(AUDIENCES))
    grade_from = IntegerField(
        _l("Pupils from grade"),
        validators=[Optional(), NumberRange(MIN_GRADE, MAX_GRADE)],
        render_kw={"min": MIN_GRADE, "max": MAX_GRADE, "inputmode": "numeric"},
    )
    grade_to = IntegerField(
        _l("to grade"),
        validators=[Optional(), NumberRange(MIN_GRADE, MAX_GRADE)],
        render_kw={"min": MIN_GRADE, "max": MAX_GRADE, "inputmode": "numeric"},
    )
    industries = MultiCheckboxField(_l("Industries"))

    venue_name = StringField(
        _l("Venue"), validators=[DataRequired(_l("Please enter the venue.")), Length(max=200)],
        description=_l("E.g. “Siegerlandhalle” or the school's name."),
        render_kw={"maxlength": 200},
    )
    venue_street = StringField(
        _l("Street and number"), validators=[Length(max=200)], render_kw={"maxlength": 200}
    )
    municipality = SelectField(
        _l("Town or municipality"),
        validators=[DataRequired(_l("Please choose the town or municipality."))],
        invalid_choice_message=CHOICE_MESSAGE,
    )

    all_day = BooleanField(_l("Whole-day event (dates only, no times)"))
    first_day = DateField(_l("First day"), validators=[Optional()])
    last_day = DateField(_l("Last day"), validators=[Optional()])
    day = DateField(_l("Date"), validators=[Optional()])
    start_time = TimeField(_l("Starts at"), validators=[Optional()])
    end_time = TimeField(_l("Ends at"), validators=[Optional()])
    end_day = DateField(
        _l("Ends on another day"), validators=[Optional()],
        description=_l("Only for an event that runs over several days with times."),
    )

    contact_name = StringField(
        _l("Contact person"), validators=[Length(max=120)], render_kw={"maxlength": 120}
    )
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[Optional(), Length(max=254),
                    Email(_l("Please enter a valid e-mail address."))],
        render_kw={"maxlength": 254},
    )
    contact_phone = StringField(
        _l("Contact phone"), validators=[Length(max=40)], render_kw={"maxlength": 40}
    )
    url = URLField(
        _l("Web page"),
        validators=[Optional(), Length(max=500), web_address,
                    URL(message=_l("Please enter a valid web address."))],
        description=_l("More information or the registration page (https://…)."),
        render_kw={"maxlength": 500},
    )

    admission_free = BooleanField(_l("Admission is free"))
    version = VersionField()

    # Shown with the clash warnings (outside the main <form>, tied to it by its id).
    clash_acknowledged = BooleanField(
        _l("I know about the hard clash and want to save the event anyway."))
    clash_note = TextAreaField(
        _l("Why does the event go ahead despite the clash?"), validators=[Length(max=1000)],
        description=_l("Kept in the event's history; the other organiser sees the clash on "
                       "their clash board."),
        render_kw={"rows": 2, "maxlength": 1000},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality.choices = municipality_choices()
        self.industries.choices = industry_choices()

    def validate(self, extra_validators=None) -> bool:
        """Also require the date fields that the chosen kind of schedule needs."""
        valid = super().validate(extra_validators)
        if self.all_day.data:
            needed = (self.first_day, self.last_day)
        else:
            needed = (self.day, self.start_time, self.end_time)
        for field in needed:
            if field.data is None and not field.errors:
                field.errors.append(_l("Please fill in this field."))
                valid = False
        return valid


class StatusForm(BaseForm):
    """One of the status buttons of an event (the button's value is the new status)."""

    status = SelectField(choices=options(STATUSES), validators=[InputRequired()],
                         invalid_choice_message=CHOICE_MESSAGE)
    reason = TextAreaField(
        _l("Reason for the cancellation (optional, shown to visitors)"),
        validators=[Length(max=1000)], render_kw={"rows": 2, "maxlength": 1000},
    )
    back_to = HiddenField(validators=[Length(max=10)])
    version = VersionField()


class StatusAcknowledgementForm(StatusForm):
    """A status change that makes the event clash hard with other organisations' events
    (reserving or publishing a draft): it goes ahead only with the box ticked and a note.

    The ids differ from the event form's acknowledgement, which may be on the same page.
    """

    clash_acknowledged = BooleanField(
        _l("I know about the hard clash and want to go ahead anyway."),
        id="status-clash-acknowledged")
    clash_note = TextAreaField(
        _l("Why does the event go ahead despite the clash?"), id="status-clash-note",
        validators=[Length(max=MAX_NOTE)],
        description=_l("Kept in the event's history; the other organiser sees the clash on "
                       "their clash board."),
        render_kw={"rows": 2, "maxlength": MAX_NOTE},
    )


def event_data(form: EventForm) -> EventData:
    """Whatever the form holds as the service's EventData (without the venue).

    Local times become UTC here; a time that the switch to summer time skips is marked
    on its field instead.
    """
    data = EventData(
        title=form.title.data or "", event_type=form.event_type.data or "",
        venue=None, all_day=bool(form.all_day.data),
        description=form.description.data or "",
        audiences=list(form.audiences.data or []),
        grade_from=form.grade_from.data, grade_to=form.grade_to.data,
        industries=list(form.industries.data or []),
        contact_name=form.contact_name.data or None,
        contact_email=form.contact_email.data or None,
        contact_phone=form.contact_phone.data or None, url=form.url.data or None,
        admission_free=bool(form.admission_free.data),
    )
    if data.all_day:
        data.first_day, data.last_day = form.first_day.data, form.last_day.data
        return data
    moments = []
    for field, day in ((form.start_time, form.day.data),
                       (form.end_time, form.end_day.data or form.day.data)):
        if day is None or field.data is None:
            moments.append(None)
            continue
        try:
            moments.append(local_to_utc(day, field.data))
        except NonexistentLocalTime:
            field.errors.append(_(
                "This time does not exist on %(day)s: the clocks skip it when summer time "
                "begins. Please choose another time.", day=format_day(day, "medium"),
            ))
            moments.append(None)
    data.starts_at, data.ends_at = moments
    return data


def form_values(event: Event) -> dict:
    """An event as the form's initial values (local dates and times)."""
    grade_from, grade_to = event.pupil_grades
    values = {
        "title": event.title, "event_type": event.event_type,
        "description": event.description, "audiences": event.audience_codes,
        "grade_from": grade_from, "grade_to": grade_to, "industries": event.industry_codes,
        "venue_name": event.venue.name, "venue_street": event.venue.street,
        "municipality": str(event.venue.municipality_id), "all_day": event.all_day,
        "contact_name": event.contact_name, "contact_email": event.contact_email,
        "contact_phone": event.contact_phone, "url": event.url,
        "admission_free": bool(event.admission_free), "version": event.version,
    }
    if event.all_day:
        values.update(first_day=event.first_day, last_day=event.last_day)
    else:
        start, end = to_local(event.starts_at), to_local(event.ends_at)
        values.update(day=start.date(), start_time=start.time(), end_time=end.time(),
                      end_day=end.date() if end.date() != start.date() else None)
    return values


def already_marked(form: EventForm, name: str) -> bool:
    """A field the form already marked keeps its first, more precise message."""
    if name in ("starts_at", "ends_at", "first_day", "last_day"):
        schedule = (form.first_day, form.last_day) if form.all_day.data else (
            form.day, form.start_time, form.end_time, form.end_day)
        return any(field.errors for field in schedule)
    field = form._fields.get(FORM_FIELDS.get(name, name))
    return field is not None and bool(field.errors)
