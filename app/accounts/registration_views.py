"""The public page where a company asks for access (``/register/company``) and the page
behind the confirmation link. The rules are in ``accounts.registration``."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts import companies, links, registration
from app.accounts import services as accounts
from app.accounts.link_views import _limit, link_failed, private, submitted_address
from app.accounts.security import audit
from app.accounts.views import INVALID, bp
from app.extensions import db, limiter
from app.forms import BaseForm, MultiCheckboxField, options, put_errors
from app.i18n import current_language
from app.security import client_address
from app.time import now_utc


class CompanyRequestForm(BaseForm):
    company_name = StringField(
        _l("Company name"), validators=[DataRequired(_l("Please enter the company's name.")),
                                        Length(max=companies.MAX_NAME)],
        description=_l("As in the commercial register, e.g. “Muster Metallbau GmbH”."),
        render_kw={"maxlength": companies.MAX_NAME, "autocomplete": "organization"})
    municipality = SelectField(_l("Municipality"),
                               invalid_choice_message=_l("Please choose only offered values."))
    industries = MultiCheckboxField(_l("Industries"))
    contact_name = StringField(
        _l("Contact person"), validators=[DataRequired(_l("Please enter a contact person.")),
                                          Length(max=120)],
        render_kw={"maxlength": 120, "autocomplete": "name"})
    email = StringField(
        _l("E-mail address"), validators=[DataRequired(_l("Please enter an e-mail address.")),
                                          Length(max=254)],
        description=_l("You get a link to confirm it; later you log in with it."),
        render_kw={"maxlength": 254, "inputmode": "email", "autocomplete": "email"})

    def fill_choices(self) -> None:
        self.municipality.choices = options(
            [(m.id, m.name) for m in companies.all_municipalities()], blank=_l("– please choose –"))
        self.industries.choices = options(
            [(i.code, i.label) for i in companies.all_industries()])


@bp.route("/register/company", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER_RATE_LIMIT"), methods=["POST"], scope="register-client")
@limiter.limit(_limit("REGISTER_RATE_LIMIT"), methods=["POST"], scope="register-address",
               key_func=submitted_address)
def register_company():
    """A company asks for access; the answer is the same for every address."""
    form = CompanyRequestForm()
    form.fill_choices()
    if not form.validate_on_submit():
        status = INVALID if request.method == "POST" else 200
        return render_template("accounts/register_company.html", form=form, sent=False), status
    data = registration.RequestInput(
        company_name=form.company_name.data, contact_name=form.contact_name.data,
        municipality_id=int(form.municipality.data) if form.municipality.data else None,
        industries=list(form.industries.data or []), email=form.email.data,
        language=current_language())
    try:
        created = registration.submit(data, now_utc())
    except accounts.AccountError as error:
        db.session.rollback()
        put_errors(form, error)
        return render_template("accounts/register_company.html", form=form,
                               sent=False), INVALID
    if created is not None:
        audit("company_request.submitted", None, f"request {created.company_name}",
              ip=client_address(), request_id=created.id, email=created.email)
    db.session.commit()
    return render_template("accounts/register_company.html", form=form, sent=True)


@bp.route("/register/company/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], scope="links")
def confirm_company_request(token: str):
    """Confirm the address with a button (mail scanners that open links confirm nothing)."""
    now = now_utc()
    try:
        link = links.check("company_request", token, now)
    except links.LinkError as error:
        return link_failed(error, "company_request")
    confirmed = None
    if request.method == "POST":
        from app.accounts.forms import ConfirmForm

        if not ConfirmForm().validate_on_submit():
            return link_failed(links.LinkError("unknown"), "company_request")
        try:
            confirmed = registration.confirm(token, now)
        except links.LinkError as error:
            db.session.rollback()
            return link_failed(error, "company_request")
        audit("company_request.confirmed", None, f"request {confirmed.company_name}",
              ip=client_address(), request_id=confirmed.id)
        db.session.commit()
    return private(current_app.make_response(render_template(
        "accounts/confirm_company_request.html", request_=confirmed or link.company_request,
        confirmed=confirmed is not None)))
