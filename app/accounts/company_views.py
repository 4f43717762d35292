"""The company profile page (/account/company): a company user edits their own company.

The name comes from the chambers' member lists, so only admins and organisers change it
(CSV import, API); company users see it read-only. The rules are in
``app.accounts.companies``; contact details on this page are never shown publicly.
"""

from __future__ import annotations

from typing import Self

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from app.accounts import companies
from app.accounts.models import Company
from app.accounts.views import INVALID, bp
from app.extensions import db
from app.forms import BaseForm, MultiCheckboxField, options, put_errors


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
            "description": company.description or "",
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


def own_company() -> Company:
    """The company of the logged-in company user; anyone else has no company page."""
    if current_user.role != "company" or current_user.company is None:
        abort(404)
    return current_user.company


def render_profile(company: Company, form: CompanyProfileForm, status: int = 200):
    return render_template("accounts/company.html", company=company, form=form), status


@bp.route("/account/company", methods=["GET", "POST"])
@login_required
def company_profile():
    """The company's own profile; failed forms come back with what was typed."""
    company = own_company()
    if request.method == "GET":
        return render_profile(company, CompanyProfileForm.of(company))
    form = CompanyProfileForm()
    form.fill_choices()
    if form.validate_on_submit():
        municipality = next((m.name for m in companies.all_municipalities()
                             if str(m.id) == form.municipality.data), "")
        data = companies.CompanyInput(
            name=company.name, municipality=municipality,
            industries=list(form.industries.data or []),
            occupations=list(form.occupations.data or []),
            website=form.website.data or "", contact_email=form.contact_email.data or "",
            contact_phone=form.contact_phone.data or "",
            description=form.description.data or "",
        )
        try:
            companies.update_company(company, data, current_user)
        except companies.CompanyError as error:
            db.session.rollback()
            form.form_errors.extend(put_errors(form, error.errors))
        else:
            db.session.commit()
            flash(_("Your company profile is saved."), "success")
            return redirect(url_for("accounts.company_profile"))
    return render_profile(company, form, INVALID)
