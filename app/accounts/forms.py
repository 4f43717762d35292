"""Forms of the login and the user's own account page."""

from __future__ import annotations

from typing import Self

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from app.accounts import companies
from app.accounts.models import Company
from app.forms import BaseForm, MultiCheckboxField, VersionField, options
from app.reference.codes import LANGUAGES, ORGANISATION_ROLES

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


class NewPasswordForm(BaseForm):
    """A new password, twice (password reset, accepting an invitation, a change)."""

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


class PasswordChangeForm(NewPasswordForm):
    """The new password twice, and the current one to prove it is the owner."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class TokenForm(BaseForm):
    label = StringField(
        _l("Label"), validators=[DataRequired(_l("Please give the token a name.")),
                                 Length(max=80)],
        description=_l("E.g. the system that uses it: “school website”."),
    )


class ConfirmForm(BaseForm):
    """A button that changes something (revoke a token): only the CSRF token."""


class CompanyProfileForm(BaseForm):
    municipality = SelectField(_l("Municipality"),
                               invalid_choice_message=_l("Please choose only offered values."))
    industries = MultiCheckboxField(_l("Industries"))
    occupations = MultiCheckboxField(
        _l("Apprenticeship occupations offered"),
        description=_l("Schools can find fairs by the occupations their exhibitors offer."))
    website = StringField(_l("Website"), validators=[Length(max=companies.MAX_WEBSITE)])
    contact_email = StringField(
        _l("Contact e-mail address"), validators=[Length(max=companies.MAX_EMAIL)],
        description=_l("For the organisers only; never shown publicly."))
    contact_phone = StringField(
        _l("Contact telephone"), validators=[Length(max=companies.MAX_PHONE)],
        description=_l("For the organisers only; never shown publicly."))
    description = TextAreaField(_l("About the company"),
                                validators=[Length(max=companies.MAX_DESCRIPTION)])
    version = VersionField()

    @classmethod
    def of(cls, company: Company) -> Self:
        """The form showing ``company``'s profile (and its name, where the form has one)."""
        form = cls(formdata=None, data={
            "name": company.name,
            "municipality": str(company.municipality_id or ""),
            "industries": [i.code for i in company.industries],
            "occupations": [str(o.id) for o in company.occupations],
            "website": company.website or "", "contact_email": company.contact_email or "",
            "contact_phone": company.contact_phone or "",
            "description": company.description or "", "version": company.version,
        })
        form.fill_choices()
        return form

    def fill_choices(self) -> None:
        self.municipality.choices = options(
            [(m.id, m.name) for m in companies.all_municipalities()], blank=_l("– none –"))
        self.industries.choices = options(
            [(i.code, i.label) for i in companies.all_industries()])
        self.occupations.choices = options(
            [(o.id, o.name) for o in companies.all_occupations()])
class ResetRequestForm(BaseForm):
    email = StringField(
        _l("E-mail address"), validators=[DataRequired(_l("Please enter your e-mail address.")),
                                          Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email", "maxlength": 254},
    )


class AcceptInvitationForm(NewPasswordForm):
    name = StringField(_l("Your name"), validators=[Length(max=120)],
                       render_kw={"maxlength": 120, "autocomplete": "name"})


class InviteForm(BaseForm):
    """Invite a colleague into one's own organisation or company."""

    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Please enter an e-mail address.")), Length(max=254)],
        render_kw={"maxlength": 254, "inputmode": "email", "autocomplete": "off"},
    )
    name = StringField(_l("Name"), validators=[Length(max=120)],
                       render_kw={"maxlength": 120})
    language = SelectField(_l("Language of the invitation"), choices=options(LANGUAGES),
                           default="de", invalid_choice_message=_l("Unknown language."))
    organisation_role = SelectField(_l("Role in the organisation"),
                                    choices=options(ORGANISATION_ROLES), default="member",
                                    invalid_choice_message=_l("Unknown role."))


class RoleForm(BaseForm):
    organisation_role = SelectField(_l("Role in the organisation"),
                                    choices=options(ORGANISATION_ROLES),
                                    invalid_choice_message=_l("Unknown role."))


class EmailChangeForm(BaseForm):
    new_email = StringField(
        _l("New e-mail address"),
        validators=[DataRequired(_l("Please enter an e-mail address.")), Length(max=254)],
        render_kw={"maxlength": 254, "inputmode": "email", "autocomplete": "email"},
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")),
                    Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
        id="email-current-password",  # the password form on the same page has its own
    )
