"""Forms of the class-visit pages: the teacher's registration (one or more classes), the
changes through the link, the organisers' set-up, slots and moves.

The forms check the shape of the input (numbers in range, lengths, offered choices) with
messages that say what is allowed; the rules (room in the slot, the window, the queue)
are the services' business.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.forms import BaseForm, VersionField
from app.reference.choices import municipality_choices
from app.visits.codes import (
    MAX_BUS_BAYS,
    MAX_CLASSES_PER_REGISTRATION,
    MAX_GRADE,
    MAX_INSTRUCTIONS,
    MAX_PUPILS_PER_CLASS,
    MAX_REMINDER_DAYS,
    MAX_SLOT_CAPACITY,
    MIN_GRADE,
)
from app.visits.services import normalise_phone

CHOICE_MESSAGE = _l("Please choose one of the offered values.")


class ClockField(TimeField):
    """A wall-clock time; what does not parse gets a message in the visitor's language."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Please enter a time like 08:30."))) from error


class DayField(DateField):
    """A date; what does not parse gets a message in the visitor's language."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Please enter a date like 2027-03-26."))) from error
WHOLE_NUMBER = _l("Please enter a whole number.")


def phone_number(form, field) -> None:
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(_l("Please enter a phone number we can reach on the day, e.g. "
                                 "0271 12345 or 0151 2345678."))


def grade_field() -> IntegerField:
    return IntegerField(
        _l("Grade"), validators=[
            InputRequired(_l("Please enter the grade (Klasse %(min)s–%(max)s).",
                             min=MIN_GRADE, max=MAX_GRADE)),
            NumberRange(MIN_GRADE, MAX_GRADE, _l("The grade must be between %(min)s and "
                                                 "%(max)s.", min=MIN_GRADE, max=MAX_GRADE))],
        render_kw={"min": MIN_GRADE, "max": MAX_GRADE, "inputmode": "numeric"})


def pupils_field() -> IntegerField:
    return IntegerField(
        _l("Pupils"), validators=[
            InputRequired(_l("Please enter the number of pupils.")),
            NumberRange(1, MAX_PUPILS_PER_CLASS, _l(
                "The number of pupils must be between 1 and %(max)s.", max=MAX_PUPILS_PER_CLASS))],
        render_kw={"min": 1, "max": MAX_PUPILS_PER_CLASS, "inputmode": "numeric"})


def teacher_field() -> StringField:
    return StringField(_l("Accompanying teacher"), validators=[
        DataRequired(_l("Please name the accompanying teacher.")), Length(max=120)],
        render_kw={"maxlength": 120, "autocomplete": "name"})


def phone_field() -> StringField:
    return StringField(_l("Phone on the day"), validators=[
        DataRequired(_l("Please enter a phone number for the day.")), Length(max=40),
        phone_number], render_kw={"maxlength": 40, "inputmode": "tel", "autocomplete": "tel"})


def class_name_field() -> StringField:
    return StringField(_l("Class (optional)"), validators=[Optional(), Length(max=40)],
                       render_kw={"maxlength": 40, "placeholder": "9b"})


class ClassForm(BaseForm):
    """One class of a registration (a row of the teacher's form)."""

    class Meta:
        csrf = False

    slot_id = SelectField(_l("Time slot"), coerce=int,
                          validators=[InputRequired(_l("Please choose a time slot."))],
                          invalid_choice_message=_l("Please choose one of the offered slots."))
    class_name = class_name_field()
    grade = grade_field()
    pupils = pupils_field()
    teacher_name = teacher_field()
    phone = phone_field()
    by_bus = BooleanField(_l("Arriving by bus"))

    def is_blank(self) -> bool:
        """Nothing typed in this row (an extra row the teacher left empty)."""
        return not any(self._fields[name].raw_data and self._fields[name].raw_data[0].strip()
                       for name in ("class_name", "grade", "pupils", "teacher_name", "phone"))


class RegistrationForm(BaseForm):
    """The teacher's registration: the school, the address to confirm, the classes."""

    school_name = StringField(_l("School"), validators=[
        DataRequired(_l("Please enter the school's name.")), Length(max=200)],
        render_kw={"maxlength": 200, "autocomplete": "organization"})
    municipality_id = SelectField(_l("Town of the school"), validators=[
        InputRequired(_l("Please choose the school's town from the list."))],
        invalid_choice_message=_l("Please choose the school's town from the list."))
    email = EmailField(_l("Your e-mail address"), validators=[
        DataRequired(_l("Please enter your e-mail address.")), Length(max=254),
        Email(_l("Please enter a valid e-mail address."))],
        description=_l("We send the link to confirm the registration there."),
        render_kw={"maxlength": 254, "autocomplete": "email"})
    classes = FieldList(FormField(ClassForm), min_entries=1,
                        max_entries=MAX_CLASSES_PER_REGISTRATION)
    join_waitlist = BooleanField(_l("If a slot has no room left, put the class on its "
                                    "waitlist"))
    consent = BooleanField(_l("I agree that the organiser of the fair receives these details "
                              "to plan the visit."),
                           validators=[DataRequired(_l("Please agree, or the organiser "
                                                       "cannot plan your visit."))])

    def set_choices(self, slot_choices: list[tuple[int, str]]) -> None:
        self.municipality_id.choices = municipality_choices()
        for entry in self.classes:
            entry.form.slot_id.choices = slot_choices


class ChangeClassForm(BaseForm):
    """What a teacher may change of a class through the link."""

    class_name = class_name_field()
    pupils = pupils_field()
    teacher_name = teacher_field()
    phone = phone_field()
    by_bus = BooleanField(_l("Arriving by bus"))


class MoveForm(BaseForm):
    slot_id = SelectField(_l("Move to"), coerce=int,
                          validators=[InputRequired(_l("Please choose a time slot."))],
                          invalid_choice_message=_l("Please choose one of the offered slots."))


class SetupForm(BaseForm):
    """The registration window (local dates and times), the reminder, notes for schools."""

    opens_day = DayField(_l("Registration opens on"),
                          validators=[InputRequired(_l("Please enter a date."))])
    opens_time = ClockField(_l("at"), validators=[InputRequired(_l("Please enter a time."))])
    closes_day = DayField(_l("Registration closes on"),
                           validators=[InputRequired(_l("Please enter a date."))])
    closes_time = ClockField(_l("at"), validators=[InputRequired(_l("Please enter a time."))])
    reminder_days = IntegerField(
        _l("Remind teachers … days before the visit"), default=3,
        validators=[InputRequired(WHOLE_NUMBER), NumberRange(0, MAX_REMINDER_DAYS, _l(
            "Please enter a number from 0 to %(max)s (0: no reminder).",
            max=MAX_REMINDER_DAYS))],
        render_kw={"min": 0, "max": MAX_REMINDER_DAYS, "inputmode": "numeric"})
    instructions = TextAreaField(
        _l("Notes for schools"), validators=[Length(max=MAX_INSTRUCTIONS)],
        description=_l("E.g. where buses stop and what pupils should bring; shown on the "
                       "registration page and in the mails."),
        render_kw={"rows": 3, "maxlength": MAX_INSTRUCTIONS})


class SlotForm(BaseForm):
    """A time slot as local day and wall-clock times."""

    version = VersionField()

    day = DayField(_l("Day"), validators=[InputRequired(_l("Please enter a date."))])
    starts = ClockField(_l("From"), validators=[InputRequired(_l("Please enter a time."))])
    ends = ClockField(_l("To"), validators=[InputRequired(_l("Please enter a time."))])
    capacity = IntegerField(
        _l("Pupils"), validators=[InputRequired(WHOLE_NUMBER), NumberRange(
            1, MAX_SLOT_CAPACITY, _l("The capacity must be between 1 and %(max)s (pupils).",
                                     max="5.000"))],
        render_kw={"min": 1, "max": MAX_SLOT_CAPACITY, "inputmode": "numeric"})
    bus_bays = IntegerField(
        _l("Bus bays"), validators=[Optional(), NumberRange(0, MAX_BUS_BAYS, _l(
            "Bus bays must be between 0 and %(max)s (leave empty when buses are not "
            "limited).", max=MAX_BUS_BAYS))],
        description=_l("Empty: buses are not limited."),
        render_kw={"min": 0, "max": MAX_BUS_BAYS, "inputmode": "numeric"})


class ActionForm(BaseForm):
    """A button that changes something (confirm, cancel, close, delete): CSRF only."""
