"""Forms of change notices: the subscription (e-mail address and language; the selection
comes as the feed filters' own parameters) and the button that confirms it. Unsubscribing
needs no form: the link's token is the proof (RFC 8058 one-click POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField
from wtforms.validators import DataRequired, Email, Length

from app.forms import BaseForm, options
from app.i18n import current_language
from app.reference.codes import LANGUAGES


class SubscribeForm(BaseForm):
    email = EmailField(
        _l("Your e-mail address"),
        validators=[DataRequired(_l("Please enter your e-mail address.")), Length(max=254),
                    Email(_l("Please enter a valid e-mail address."))],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false"},
    )
    language = RadioField(
        _l("Language of the mails"), choices=options(LANGUAGES), default=current_language,
        validators=[DataRequired(_l("Please choose German or English."))],
        invalid_choice_message=_l("Please choose German or English."),
    )


class ConfirmForm(BaseForm):
    """Only the CSRF token: confirming is a button, so a link scanner that opens the
    link does not subscribe anybody."""
