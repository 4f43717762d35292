"""The organiser's event form and the status buttons.

The form checks the shape of the input (lengths, known codes, dates that parse, which
fields a whole-day or a timed event needs); the business rules (an event ends after it
starts, at least one audience, ...) are checked by ``services.validate_event_data``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
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
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.extensions import db
from app.forms import BaseForm, MultiCheckboxField, options
from app.reference.codes import AUDIENCES, EVENT_TYPES, MAX_GRADE, MIN_GRADE, STATUSES
from app.reference.models import District, Industry, Municipality

CHOICE_MESSAGE = _l("Please choose one of the offered values.")
PLEASE_CHOOSE = _l("– please choose –")


def web_address(form, field) -> None:
    """Only http(s) links: a ``javascript:`` URL on the event page would be an attack."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(_l("Please enter a web address starting with https:// or http://."))


def municipality_choices() -> list[SelectChoice]:
    """The region's municipalities grouped by district, for an <optgroup> select."""
    rows = db.session.execute(
        select(Municipality, District.name).join(Municipality.district)
        .order_by(District.name, Municipality.name)
    ).all()
    return options([], blank=PLEASE_CHOOSE) + [
        SelectChoice(str(municipality.id), municipality.name, optgroup=district_name)
        for municipality, district_name in rows
    ]


def industry_choices() -> list[SelectChoice]:
    industries = db.session.execute(select(Industry).order_by(Industry.code)).scalars()
    return options((industry.code, industry.label) for industry in industries)


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
