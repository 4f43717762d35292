"""Form helpers shared by every area: a base form that cleans text input, checkbox lists."""

from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    DateTimeField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.errors import DomainError
from app.text import multiline_error, normalise_line_endings, single_line_error
from app.time import EARLIEST_YEAR, LATEST_YEAR, in_date_range
from app.versions import MAX_VERSION

CHOICE_MESSAGE = _l("Please choose one of the offered values.")
PLEASE_CHOOSE = _l("– please choose –")


# WTForms' own messages that its German catalogue lacks ("Not a valid time value."): ours
# has them, and FormTranslations asks ours first.
WTFORMS_MESSAGES_MISSING_IN_GERMAN = (
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
)


class FormTranslations:
    """WTForms' messages in the visitor's language: our catalogue first, then WTForms'."""

    def gettext(self, string: str) -> str:
        ours = get_translations().ugettext(string)
        return ours if ours != string else wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_translations.ngettext(singular, plural, n)


def web_address(form, field) -> None:
    """Only http(s) links: a ``javascript:`` URL on the event page would be an attack."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(_l("Please enter a web address starting with https:// or http://."))


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def normalise_lines(value):
    return normalise_line_endings(value) if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    """Refuse NUL and other control characters (PostgreSQL rejects NUL in text); TAB and
    line breaks are fine (passwords, multi-line text)."""
    if isinstance(field.data, str) and (message := multiline_error(field.data)):
        raise ValidationError(message)


def one_line(form, field) -> None:
    """Refuse line breaks, TAB and other control characters in a single-line field."""
    if isinstance(field.data, str) and (message := single_line_error(field.data)):
        raise ValidationError(message)


def within_date_range(form, field) -> None:
    """Every date and time field: within the service's one date range (``app.time``)."""
    if hasattr(field.data, "year") and not in_date_range(field.data):  # not a TimeField
        raise ValidationError(_l("Please enter a date between %(first)d and %(last)d.",
                                 first=EARLIEST_YEAR, last=LATEST_YEAR))


def options(pairs, blank=None, optgroup: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {code: label} mapping.

    ``blank`` puts a "please choose" option with the value "" first.
    """
    items = pairs.items() if isinstance(pairs, dict) else pairs
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(str(value), label, optgroup=optgroup)
                     for value, label in items]


class BaseForm(FlaskForm):
    """A CSRF-protected form whose text fields are stripped and checked: a text area's line
    endings are normalised, any other text field that people type is a single line
    (``app.text``); every date field stays within the service's date range.

    Each field reports one problem at a time (the first its validators find): a bad web
    address is not also "not a valid URL", a word in a number field not also out of range.
    Inputs carry no ``maxlength``, which would cut a pasted text without a word; the limit
    is checked on the server and shown while typing (``data-maxlength``, site.js).
    """

    class Meta:
        def get_translations(self, form):
            return FormTranslations()

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, DateTimeField):  # dates, months, local date-times
                validators = [*unbound_field.kwargs.get("validators", ()), within_date_range]
                return unbound_field.bind(form=form, validators=validators, **options)
            if not issubclass(field_class, StringField):
                return unbound_field.bind(form=form, **options)
            filters = list(unbound_field.kwargs.get("filters", ()))
            if not issubclass(field_class, PasswordField):
                filters.insert(0, strip_text)
            if issubclass(field_class, TextAreaField):
                filters.insert(0, normalise_lines)
                check = no_control_characters
            elif issubclass(field_class, PasswordField | HiddenField):
                check = no_control_characters  # nobody types these into one line
            else:
                check = one_line
            validators = [*unbound_field.kwargs.get("validators", ()), check]
            return unbound_field.bind(form=form, filters=filters, validators=validators,
                                      **options)

        def render_field(self, field, render_kw):
            """The CSRF field without an id (several forms on one page would repeat it);
            ``maxlength`` becomes ``data-maxlength`` for the counter."""
            render_kw = {**(field.render_kw or {}), **render_kw}
            if field.type == "CSRFTokenField":
                render_kw["id"] = False
            if "maxlength" in render_kw:
                render_kw["data-maxlength"] = render_kw.pop("maxlength")
            return field.widget(field, **render_kw)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.errors, list):
                del field.errors[1:]
        return valid


class VersionField(HiddenField):
    """The version of the record the form was filled from (``app.versions``): a save
    made on a copy someone else has changed meanwhile is refused. Empty: no check."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "HiddenField"  # its problems are listed as the form's, not a field's

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            return
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_VERSION:
            raise ValueError(_l("This form is damaged. Please open the page again."))
        self.data = int(raw)

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; unknown posted values are refused with a fixed message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", _l("Please choose only offered values."))
        super().__init__(*args, **kwargs)


def invalid_fields(form) -> list:
    """The fields with errors that a person can correct, in form order, the fields of
    nested forms (a FieldList of FormFields: one class per row) included."""
    found = []
    for field in form:
        if field.type in ("FieldList", "FormField"):
            found += invalid_fields(field)
        elif field.errors and field.type not in ("CSRFTokenField", "HiddenField"):
            found.append(field)
    return found


def put_errors(form, error: DomainError, renames: dict[str, str] | None = None) -> None:
    """Show a domain error on the form: each (field, message) pair on its field, the rest
    at the top of the form. ``renames`` maps a service's field name to the form's."""
    for name, message in error.errors:
        field = form._fields.get((renames or {}).get(name, name)) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
