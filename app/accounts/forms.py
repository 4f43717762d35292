"""Forms of the login and the user's own account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.forms import BaseForm, options
from app.reference.codes import LANGUAGES

MAX_PASSWORD_LENGTH = 200


class LoginForm(BaseForm):
    email = StringField(
        _l("E-mail address"), validators=[DataRequired(_l("Please enter your e-mail address.")),
                                          Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please enter your password.")),
                                    Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Stay logged in on this device"))
    next = HiddenField(validators=[Length(max=500)])


class LogoutForm(BaseForm):
    """Only the CSRF token: logging out is a POST, so no other site can log anyone out."""


class LanguageForm(BaseForm):
    language = SelectField(
        _l("Language"), choices=options(LANGUAGES),
        invalid_choice_message=_l("Unknown language."),
    )


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please enter a new password.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        description=_l("At least 10 characters, not only letters or only digits."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", _l("The two passwords do not match.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(BaseForm):
    label = StringField(
        _l("Label"), validators=[DataRequired(_l("Please give the token a name.")),
                                 Length(max=80)],
        description=_l("E.g. the system that uses it: “school website”."),
    )


class ConfirmForm(BaseForm):
    """A button that changes something (revoke a token): only the CSRF token."""
