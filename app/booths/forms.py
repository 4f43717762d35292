"""Forms of the booth pages: fair set-up, booth categories, a company's booking and the
organisers' actions (move, add by hand).

The forms check the shape of the input (numbers that parse, lengths, offered choices);
the rules (window, capacity, one booking per fair, …) are the services' business.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
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

from app.booths.codes import (
    ALLOCATION_MODES,
    APPROVAL_MODES,
    DEFAULT_OFFER_HOURS,
    MAX_OFFER_HOURS,
    MAX_STAFF,
    PRIORITY_GROUPS,
    WAITLIST_MODES,
)
from app.booths.services import (
    MAX_INVOICE_ADDRESS,
    MAX_ORDER_NUMBER,
    MAX_POWER_NEEDS,
    MAX_REASON,
    MAX_REMARKS,
)
from app.booths.services.stands import MAX_CSV_BYTES
from app.forms import BaseForm, MultiCheckboxField, VersionField, options
from app.reference.codes import INDUSTRY_CODES

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
    version = VersionField()
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
    allocation = RadioField(_l("Places go"), choices=options(ALLOCATION_MODES),
                            default="first_come", validators=[InputRequired(CHOICE_MESSAGE)],
                            invalid_choice_message=CHOICE_MESSAGE)
    priority_1 = SelectField(_l("First priority"), choices=options(PRIORITY_GROUPS, blank="–"),
                             default="", invalid_choice_message=CHOICE_MESSAGE)
    priority_2 = SelectField(_l("Second priority"), choices=options(PRIORITY_GROUPS, blank="–"),
                             default="", invalid_choice_message=CHOICE_MESSAGE)
    priority_3 = SelectField(_l("Third priority"), choices=options(PRIORITY_GROUPS, blank="–"),
                             default="", invalid_choice_message=CHOICE_MESSAGE)
    waitlist_mode = RadioField(_l("When a place becomes free"),
                               choices=options(WAITLIST_MODES), default="offer",
                               validators=[InputRequired(CHOICE_MESSAGE)],
                               invalid_choice_message=CHOICE_MESSAGE)
    offer_hours = IntegerField(
        _l("Hours to accept an offer"), default=DEFAULT_OFFER_HOURS,
        validators=[InputRequired(_l("Please enter a whole number.")),
                    NumberRange(1, MAX_OFFER_HOURS, _l("Please enter 1 to 336 hours."))],
        render_kw={"min": 1, "max": MAX_OFFER_HOURS, "inputmode": "numeric"})

    def priority_groups(self) -> list[str]:
        return [field.data for field in (self.priority_1, self.priority_2, self.priority_3)
                if field.data]

    def quotas(self) -> dict[str, int]:
        return {code: self[f"quota_{code}"].data for code in INDUSTRY_CODES
                if self[f"quota_{code}"].data}

    def validate_priority_3(self, field) -> None:
        chosen = self.priority_groups()
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_l("Please choose each priority group once."))

    def validate_setup_time(self, field) -> None:
        if bool(self.setup_day.data) != bool(field.data):
            raise ValidationError(_l("Please enter both date and time, or neither."))

    def validate_teardown_time(self, field) -> None:
        if bool(self.teardown_day.data) != bool(field.data):
            raise ValidationError(_l("Please enter both date and time, or neither."))


for _code in INDUSTRY_CODES:
    setattr(FairSetupForm, f"quota_{_code}", IntegerField(
        _code, validators=[Optional(), NumberRange(
            1, MAX_CAPACITY, _l("Please enter a number of places from 1, or leave it empty."))],
        render_kw={"min": 1, "inputmode": "numeric"}))


class CategoryForm(BaseForm):
    """A booth category; size and price are typed as people write numbers."""

    version = VersionField()

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
    invoice_address = TextAreaField(
        _l("Invoice address"), validators=[Length(max=MAX_INVOICE_ADDRESS)],
        description=_l("If the invoice goes to another address than the company's."),
        render_kw={"rows": 3, "maxlength": MAX_INVOICE_ADDRESS, "autocomplete": "off"})
    order_number = StringField(_l("Your order number"),
                               validators=[Length(max=MAX_ORDER_NUMBER)],
                               description=_l("Printed on the invoice, if you need one."),
                               render_kw={"maxlength": MAX_ORDER_NUMBER})


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


class ConfirmForm(BaseForm):
    """A destructive step, asked twice: without ``confirmed`` the page asks first (the
    script sets it after a dialog, so the question is asked with and without JavaScript)."""

    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "1"


BULK_ACTIONS = {"approve": _l("Approve"), "reject": _l("Reject"),
                "move": _l("Move to another category"), "cancel": _l("Cancel")}
# These ask for confirmation first; reject and cancel need a reason.
DESTRUCTIVE = ("reject", "move", "cancel")


class BulkForm(ConfirmForm):
    """The organiser's action on the bookings ticked in the list, with one reason."""

    booking_ids = MultiCheckboxField(_l("Bookings"), coerce=int,
                                     validators=[InputRequired(_l("Please tick bookings."))])
    action = SelectField(_l("Action"), choices=options(BULK_ACTIONS, blank=PLEASE_CHOOSE),
                         validators=[InputRequired(CHOICE_MESSAGE)],
                         invalid_choice_message=CHOICE_MESSAGE)
    category_id = SelectField(_l("Move to"), coerce=lambda value: int(value) if value else None,
                              validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[Length(max=MAX_REASON)],
                           description=_l("The companies read it in their message, with your "
                                          "contact."),
                           render_kw={"rows": 3, "maxlength": MAX_REASON})

    def validate_reason(self, field) -> None:
        if self.action.data in ("reject", "cancel") and not (field.data or "").strip():
            raise ValidationError(_l(
                "Please give a reason; the companies read it in their message."))

    def validate_category_id(self, field) -> None:
        if self.action.data == "move" and field.data is None:
            raise ValidationError(_l("Please choose the category to move to."))


class StandsUploadForm(BaseForm):
    """A CSV file of stand numbers."""

    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Please choose a file.")),
        FileSize(MAX_CSV_BYTES, message=_l("The file is larger than 512 KB."))])


class MembersForm(BaseForm):
    """The companies an organiser counts as members of its network."""

    company_ids = MultiCheckboxField(_l("Members"), coerce=int)

