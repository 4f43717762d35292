"""Forms of the booth pages: fair set-up, booth categories, a company's booking and the
organisers' actions (move, add by hand).

The forms check the shape of the input (numbers that parse, lengths, offered choices);
the rules (window, capacity, one booking per fair, …) are the services' business.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.booths.codes import APPROVAL_MODES, MAX_STAFF
from app.booths.services import MAX_POWER_NEEDS, MAX_REMARKS
from app.forms import BaseForm, MultiCheckboxField, options

CHOICE_MESSAGE = _l("Please choose one of the offered values.")
PLEASE_CHOOSE = _l("– please choose –")
MAX_CAPACITY = 10_000
MAX_PRICE_EUROS = Decimal("1000000")
MAX_SIZE_M2 = Decimal("10000")


def parse_decimal(text: str | None) -> Decimal | None:
    """A number as people here type it: ``9,5`` or ``9.5``; ``1.250,00`` too."""
    if not text:
        return None
    cleaned = text.replace(" ", "").replace("€", "").replace("\u00a0", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if len(cleaned) > 20:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def price_in_euros(form, field) -> None:
    value = parse_decimal(field.data)
    if value is None or value < 0 or value > MAX_PRICE_EUROS or value != round(value, 2):
        raise ValidationError(_l("Please enter a price in euros, e.g. 250 or 249,50."))


def size_in_m2(form, field) -> None:
    value = parse_decimal(field.data)
    if value is None or not 0 < value <= MAX_SIZE_M2:
        raise ValidationError(_l("Please enter a size in m² greater than 0, e.g. 9 or 12,5."))


class FairSetupForm(BaseForm):
    """The registration window and approval mode, as local dates and times."""

    takes_exhibitors = BooleanField(_l("This fair takes exhibitors"), default=True)
    opens_day = DateField(_l("Registration opens on"),
                          validators=[InputRequired(_l("Please enter a date."))])
    opens_time = TimeField(_l("at"), validators=[InputRequired(_l("Please enter a time."))])
    closes_day = DateField(_l("Registration closes on"),
                           validators=[InputRequired(_l("Please enter a date."))])
    closes_time = TimeField(_l("at"), validators=[InputRequired(_l("Please enter a time."))])
    approval = RadioField(_l("Bookings are"), choices=options(APPROVAL_MODES), default="auto",
                          validators=[InputRequired(CHOICE_MESSAGE)],
                          invalid_choice_message=CHOICE_MESSAGE)
    setup_day = DateField(_l("Set-up begins on"), validators=[Optional()])
    setup_time = TimeField(_l("at"), validators=[Optional()])
    teardown_day = DateField(_l("Tear-down ends on"), validators=[Optional()])
    teardown_time = TimeField(_l("at"), validators=[Optional()])

    def validate_setup_time(self, field) -> None:
        if bool(self.setup_day.data) != bool(field.data):
            raise ValidationError(_l("Please enter both date and time, or neither."))

    def validate_teardown_time(self, field) -> None:
        if bool(self.teardown_day.data) != bool(field.data):
            raise ValidationError(_l("Please enter both date and time, or neither."))


class CategoryForm(BaseForm):
    """A booth category; size and price are typed as people write numbers."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")),
                                               Length(max=120)],
                       description=_l("E.g. “Standard 9 m²” or “Corner booth”."),
                       render_kw={"maxlength": 120})
    size_m2 = StringField(_l("Size in m²"), validators=[DataRequired(_l("Please enter a size.")),
                                                        Length(max=20), size_in_m2],
                          render_kw={"inputmode": "decimal", "maxlength": 20})
    price = StringField(_l("Price in euros"),
                        validators=[InputRequired(_l("Please enter a price (0 for free).")),
                                    Length(max=20), price_in_euros],
                        render_kw={"inputmode": "decimal", "maxlength": 20})
    capacity = IntegerField(
        _l("Number of places"),
        validators=[InputRequired(_l("Please enter a whole number.")),
                    NumberRange(0, MAX_CAPACITY, _l("Please enter a number from 0 to 10,000."))],
        render_kw={"min": 0, "max": MAX_CAPACITY, "inputmode": "numeric"},
    )
    includes_table = BooleanField(_l("Table included"))
    includes_power = BooleanField(_l("Power included"))
    includes_internet = BooleanField(_l("Internet included"))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)],
                                render_kw={"rows": 3, "maxlength": 2000})

    def price_cents(self) -> int:
        return int(parse_decimal(self.price.data) * 100)

    def size(self) -> float:
        return float(parse_decimal(self.size_m2.data))


class BookingForm(BaseForm):
    """What a company fills in to book a booth."""

    category_id = RadioField(_l("Booth category"), coerce=int,
                             validators=[InputRequired(_l("Please choose a booth category."))],
                             invalid_choice_message=_l("Please choose one of the offered "
                                                       "booth categories."))
    staff_count = IntegerField(
        _l("Staff at the booth"), default=2,
        validators=[InputRequired(_l("Please enter a whole number.")),
                    NumberRange(1, MAX_STAFF, _l("Please enter a number from 1 to 50."))],
        render_kw={"min": 1, "max": MAX_STAFF, "inputmode": "numeric"},
    )
    power_needs = StringField(_l("Power needs"), validators=[Length(max=MAX_POWER_NEEDS)],
                              description=_l("E.g. “one 230 V socket for a screen”."),
                              render_kw={"maxlength": MAX_POWER_NEEDS})
    occupations = MultiCheckboxField(_l("Apprenticeships you present"), coerce=int)
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=MAX_REMARKS)],
                            render_kw={"rows": 4, "maxlength": MAX_REMARKS})


class ManualBookingForm(BaseForm):
    """An organiser enters a booking for a company (e.g. after a phone call)."""

    company_id = SelectField(_l("Company"), coerce=int,
                             validators=[InputRequired(_l("Please choose a company."))],
                             invalid_choice_message=CHOICE_MESSAGE)
    category_id = SelectField(_l("Booth category"), coerce=int,
                              validators=[InputRequired(_l("Please choose a booth category."))],
                              invalid_choice_message=CHOICE_MESSAGE)
    staff_count = IntegerField(
        _l("Staff at the booth"), default=2,
        validators=[InputRequired(_l("Please enter a whole number.")),
                    NumberRange(1, MAX_STAFF, _l("Please enter a number from 1 to 50."))],
        render_kw={"min": 1, "max": MAX_STAFF, "inputmode": "numeric"},
    )
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=MAX_REMARKS)],
                            render_kw={"rows": 2, "maxlength": MAX_REMARKS})


class MoveForm(BaseForm):
    category_id = SelectField(_l("Move to"), coerce=int,
                              validators=[InputRequired(_l("Please choose a booth category."))],
                              invalid_choice_message=CHOICE_MESSAGE)


class ActionForm(BaseForm):
    """A button that changes something (approve, reject, cancel, delete): CSRF only."""

