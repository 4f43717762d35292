"""Admin forms: organisations and users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import EmailField, SelectField, StringField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from app.accounts.models import Company, Organisation
from app.extensions import db
from app.forms import CHOICE_MESSAGE, BaseForm, options, web_address
from app.reference.codes import LANGUAGES, ORGANISATION_KINDS, ORGANISATION_ROLES, ROLES


class OrganisationForm(BaseForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)],
        render_kw={"maxlength": 200},
    )
    kind = SelectField(_l("Kind"), choices=options(ORGANISATION_KINDS),
                       invalid_choice_message=CHOICE_MESSAGE)
    website = URLField(
        _l("Website"),
        validators=[Optional(), Length(max=500), web_address,
                    URL(message=_l("Please enter a valid web address."))],
        render_kw={"maxlength": 500},
    )
    email = EmailField(
        _l("Contact e-mail address"),
        validators=[DataRequired(_l("Please enter the organisation's contact address.")),
                    Length(max=254), Email(_l("Please enter a valid e-mail address."))],
        description=_l("Clash mails go here as well as to the organisation's organisers."),
        render_kw={"maxlength": 254},
    )


class UserForm(BaseForm):
    """Invite a user: the invited person chooses their password with the mail's link."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Please enter an e-mail address.")), Length(max=254),
                    Email(_l("Please enter a valid e-mail address."))],
        render_kw={"maxlength": 254},
    )
    name = StringField(_l("Name"), validators=[Length(max=120)], render_kw={"maxlength": 120})
    role = SelectField(_l("Role"), choices=options(ROLES),
                       invalid_choice_message=CHOICE_MESSAGE)
    organisation = SelectField(
        _l("Organisation (for organisers)"), default="", invalid_choice_message=CHOICE_MESSAGE
    )
    company = SelectField(_l("Company (for company users)"), default="",
                          invalid_choice_message=CHOICE_MESSAGE)
    organisation_role = SelectField(_l("Role in the organisation"),
                                    choices=options(ORGANISATION_ROLES), default="member",
                                    invalid_choice_message=CHOICE_MESSAGE)
    language = SelectField(_l("Language"), choices=options(LANGUAGES), default="de",
                           invalid_choice_message=CHOICE_MESSAGE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = db.session.execute(select(Organisation).order_by(Organisation.name))
        self.organisation.choices = options(
            ((org.id, org.name) for org in organisations.scalars()), blank=_l("– none –")
        )
        companies = db.session.execute(select(Company).order_by(Company.name))
        self.company.choices = options(
            ((company.id, company.name) for company in companies.scalars()),
            blank=_l("– none –"),
        )


class ConfirmForm(BaseForm):
    """A button that changes something: only the CSRF token."""
