"""Form helpers shared by every area: a base form that cleans text input, checkbox lists."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.errors import DomainError

CHOICE_MESSAGE = _l("Please choose one of the offered values.")
PLEASE_CHOOSE = _l("– please choose –")


def web_address(form, field) -> None:
    """Only http(s) links: a ``javascript:`` URL on the event page would be an attack."""
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(_l("Please enter a web address starting with https:// or http://."))


def strip_text(value):
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    """Refuse NUL and other control characters (PostgreSQL rejects NUL in text)."""
    value = field.data if isinstance(field.data, str) else ""
    if any(ord(char) < 32 and char not in "\t\r\n" for char in value):
        raise ValidationError(_l("This field contains characters that are not allowed."))


def options(pairs, blank=None, optgroup: str | None = None) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {code: label} mapping.

    ``blank`` puts a "please choose" option with the value "" first.
    """
    items = pairs.items() if isinstance(pairs, dict) else pairs
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(str(value), label, optgroup=optgroup)
                     for value, label in items]


class BaseForm(FlaskForm):
    """A CSRF-protected form whose text fields are stripped and checked for control chars."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if not issubclass(field_class, StringField):
                return unbound_field.bind(form=form, **options)
            filters = list(unbound_field.kwargs.get("filters", ()))
            if not issubclass(field_class, PasswordField):
                filters.insert(0, strip_text)
            validators = [*unbound_field.kwargs.get("validators", ()), no_control_characters]
            return unbound_field.bind(form=form, filters=filters, validators=validators,
                                      **options)

        def render_field(self, field, render_kw):
            """The CSRF field without an id: several forms on one page would repeat it."""
            if field.type == "CSRFTokenField":
                render_kw = {**render_kw, "id": False}
            return super().render_field(field, render_kw)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; unknown posted values are refused with a fixed message."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_choice_message", _l("Please choose only offered values."))
        super().__init__(*args, **kwargs)


def put_errors(form, error: DomainError, renames: dict[str, str] | None = None) -> None:
    """Show a domain error on the form: each (field, message) pair on its field, the rest
    at the top of the form. ``renames`` maps a service's field name to the form's."""
    for name, message in error.errors:
        field = form._fields.get((renames or {}).get(name, name)) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
