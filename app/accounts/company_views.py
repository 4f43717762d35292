"""The company profile page (/account/company): a company user edits their own company.

The name comes from the chambers' member lists, so only admins and organisers change it
(CSV import, API); company users see it read-only. The rules are in
``app.accounts.companies``; contact details on this page are never shown publicly.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import companies
from app.accounts.forms import CompanyProfileForm
from app.accounts.models import Company
from app.extensions import db
from app.forms import put_errors
from app.versions import VersionConflict, differing_fields

bp = Blueprint("company_account", __name__)

INVALID = 422


def own_company() -> Company:
    """The company of the logged-in company user; anyone else has no company page."""
    if current_user.role != "company" or current_user.company is None:
        abort(404)
    return current_user.company


def render_profile(company: Company, form: CompanyProfileForm, status: int = 200,
                   conflicts: list | None = None):
    return render_template("accounts/company.html", company=company, form=form,
                           conflicts=conflicts), status


def render_conflict(company: Company, form: CompanyProfileForm):
    """Someone saved the profile since this form was opened: nothing is kept; both values
    of each field that differs, and the form (now of the new version) with the user's."""
    db.session.rollback()
    conflicts = differing_fields(form, CompanyProfileForm.of(company).data)
    form.version.data = company.version
    return render_profile(company, form, 409, conflicts)


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
            companies.update_company(company, data, current_user,
                                     version=form.version.data)
        except VersionConflict:
            return render_conflict(company, form)
        except companies.CompanyError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your company profile is saved."), "success")
            return redirect(url_for("company_account.company_profile"))
    return render_profile(company, form, INVALID)
