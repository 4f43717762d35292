"""Member companies on the admin pages: bulk provisioning by CSV, and the company list
with each company's profile and users.

The import: CSV upload → preview with per-row errors → confirm, which imports every
valid row in one transaction or nothing. Admins and organisers may import (the chambers
keep their member lists elsewhere). The rows travel from the preview to the confirm step
signed, not stored (see ``app.accounts.companies``).

The list, the profile and adding users are for admins only: companies belong to no
organisation, and their profiles hold contact data that organisers see only for the
exhibitors of their own fairs. The rules are those of ``app.accounts.companies`` and
``app.accounts.services``, shared with the company's own profile page, the import and
the API.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.accounts import companies, onboarding
from app.accounts import services as accounts
from app.accounts.forms import CompanyProfileForm
from app.accounts.models import Company, User
from app.accounts.security import audit
from app.admin.views import labels
from app.extensions import db
from app.forms import CHOICE_MESSAGE, BaseForm, options, put_errors
from app.reference.codes import LANGUAGES
from app.reference.models import Industry, Municipality
from app.routing import page_number
from app.security import client_address
from app.time import now_utc
from app.versions import VersionConflict, differing_fields

bp = Blueprint("admin_companies", __name__, url_prefix="/admin")
bp.context_processor(labels)

INVALID = 422
# Pages that organisers may use too (the company import provisions their exhibitors).
ORGANISER_ENDPOINTS = frozenset({"admin_companies.import_companies",
                                 "admin_companies.confirm_company_import"})


@bp.before_request
@login_required
def require_admin():
    """Admins; organisers only for the import. Anonymous visitors are sent to log in."""
    if not current_user.is_admin and not (
            current_user.is_organiser and request.endpoint in ORGANISER_ENDPOINTS):
        abort(403)


class ImportUploadForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a CSV file."))])


class ImportConfirmForm(BaseForm):
    rows = HiddenField(validators=[DataRequired()])


def _render(status: int = 200, **context):
    context.setdefault("form", ImportUploadForm(formdata=None))
    context.setdefault("rows", None)
    context.setdefault("confirm_form", None)
    context.setdefault("file_error", None)
    context.setdefault("imported", None)
    context.setdefault("failed", None)
    return render_template("admin/company_import.html", columns=companies.COLUMNS,
                           max_rows=companies.MAX_ROWS, **context), status


@bp.route("/companies/import", methods=["GET", "POST"])
def import_companies():
    """Upload a CSV and see, row by row, what would be imported and what is wrong."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render(INVALID if form.is_submitted() else 200, form=form)
    raw = form.file.data.read()
    try:
        rows = companies.parse_csv(raw)
    except companies.ImportFileError as error:
        return _render(INVALID, form=form, file_error=str(error.args[0]))
    valid = [row for row in rows if row.valid]
    confirm_form = None
    if valid:
        confirm_form = ImportConfirmForm(formdata=None, rows=companies.sign_rows(rows))
    return _render(200, form=form, rows=rows, confirm_form=confirm_form)


@bp.post("/companies/import/confirm")
def confirm_company_import():
    """Import the previewed valid rows: all of them in one transaction, or none."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        return _render(INVALID, file_error=_("The preview has expired or was changed. "
                                             "Please upload the file again."))
    try:
        rows = companies.unsign_rows(form.rows.data)
    except companies.ImportFileError as error:
        return _render(INVALID, file_error=str(error.args[0]))
    created, invitations, failed = companies.import_rows(rows, current_user, now_utc())
    if failed:
        db.session.rollback()
        return _render(INVALID, failed=failed)
    for invitation in invitations:
        audit("invitation.sent", current_user, f"invitation {invitation.email}",
              ip=client_address(), invitation_id=invitation.id, joins=invitation.joins,
              role="company", via="csv import")
    db.session.commit()
    return _render(200, imported=created, invitations=invitations)


# --- the company list, a company's profile and its users ---------------------------------

COMPANY_PAGE_SIZE = 25
MAX_SEARCH = 100


class AdminCompanyForm(CompanyProfileForm):
    """The company profile as the company sees it, plus the name (admins may rename)."""

    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")),
                                Length(max=companies.MAX_NAME)],
        render_kw={"maxlength": companies.MAX_NAME},
    )


class CompanyUserForm(BaseForm):
    """Invite a further user of a company (they choose their password with the link)."""

    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Please enter an e-mail address.")), Length(max=254),
                    Email(_l("Please enter a valid e-mail address."))],
        render_kw={"maxlength": 254, "autocomplete": "off"},
    )
    name = StringField(_l("Name"), validators=[Length(max=120)], render_kw={"maxlength": 120},
                       id="user-name")  # the company form above has a "name" too
    language = SelectField(_l("Language"), choices=options(LANGUAGES), default="de",
                           invalid_choice_message=CHOICE_MESSAGE)


def company_list_query(search: str = "", municipality_id: int | None = None,
                       industry: str = ""):
    """Companies by name (case-insensitive), optionally by part of the name, municipality
    and industry, as a ``Select`` to paginate."""
    query = select(Company).options(
        selectinload(Company.municipality), selectinload(Company.industries),
        selectinload(Company.users),
    )
    if search:
        query = query.where(func.lower(Company.name).contains(search.lower(), autoescape=True))
    if municipality_id is not None:
        query = query.where(Company.municipality_id == municipality_id)
    if industry:
        query = query.where(Company.industries.any(Industry.code == industry))
    return query.order_by(func.lower(Company.name), Company.id)


@bp.get("/companies")
def companies_list():
    """All member companies, searchable by name and filtered by municipality and industry."""
    municipalities = companies.all_municipalities()
    industries = companies.all_industries()
    search = request.args.get("q", "").strip()[:MAX_SEARCH]
    municipality = request.args.get("municipality", "")
    municipality_id = next((m.id for m in municipalities if str(m.id) == municipality), None)
    industry = request.args.get("industry", "")
    industry = industry if industry in {i.code for i in industries} else ""
    page = db.paginate(company_list_query(search, municipality_id, industry),
                       page=page_number(), per_page=COMPANY_PAGE_SIZE,
                       max_per_page=COMPANY_PAGE_SIZE, error_out=False)
    filters = {"q": search or None, "municipality": municipality_id,
               "industry": industry or None}
    return render_template(
        "admin/companies.html", page=page, filters=filters, municipalities=municipalities,
        industries=industries, filtered=any(filters.values()))


def _render_company(company: Company, status: int = 200, *, form=None, user_form=None,
                    conflicts: list | None = None):
    users = db.session.execute(
        select(User).where(User.company_id == company.id).order_by(User.email)
    ).scalars().all()
    return render_template(
        "admin/company.html", company=company, users=users,
        form=form or AdminCompanyForm.of(company),
        user_form=user_form or CompanyUserForm(formdata=None),
        invitations=onboarding.pending_invitations(company=company),
        conflicts=conflicts), status


def _company_fields(company: Company) -> dict[str, str]:
    """What the audit log records of a change (long texts shortened)."""
    description = company.description or ""
    return {
        "name": company.name,
        "municipality": company.municipality.name if company.municipality else "",
        "industries": ", ".join(sorted(i.code for i in company.industries)),
        "occupations": ", ".join(sorted(o.name for o in company.occupations)),
        "website": company.website or "", "contact_email": company.contact_email or "",
        "contact_phone": company.contact_phone or "",
        "description": description[:60] + ("…" if len(description) > 60 else ""),
    }


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
def company(company_id: int):
    """A company's profile (editable, name included) and its users."""
    found = db.get_or_404(Company, company_id)
    if request.method == "GET":
        return _render_company(found)
    form = AdminCompanyForm()
    form.fill_choices()
    if form.validate_on_submit():
        municipality = (db.session.get(Municipality, int(form.municipality.data))
                        if form.municipality.data else None)
        data = companies.CompanyInput(
            name=form.name.data, municipality=municipality.ags if municipality else "",
            industries=list(form.industries.data or []),
            occupations=list(form.occupations.data or []),
            website=form.website.data or "", contact_email=form.contact_email.data or "",
            contact_phone=form.contact_phone.data or "",
            description=form.description.data or "",
        )
        before = _company_fields(found)
        try:
            companies.update_company(found, data, current_user, version=form.version.data)
        except VersionConflict:
            db.session.rollback()
            conflicts = differing_fields(form, AdminCompanyForm.of(found).data)
            form.version.data = found.version
            return _render_company(found, 409, form=form, conflicts=conflicts)
        except companies.CompanyError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            after = _company_fields(found)
            changes = {key: [before[key], after[key]] for key in after
                       if before[key] != after[key]}
            if changes:
                audit("company.changed", current_user, f"company {found.name}",
                      ip=client_address(), company_id=found.id, changes=changes)
            db.session.commit()
            flash(_("The company “%(name)s” has been saved.", name=found.name), "success")
            return redirect(url_for("admin_companies.company", company_id=found.id))
    return _render_company(found, INVALID, form=form)


@bp.post("/companies/<int:company_id>/users")
def add_company_user(company_id: int):
    """Invite a further user of the company."""
    found = db.get_or_404(Company, company_id)
    form = CompanyUserForm()
    if not form.validate_on_submit():
        return _render_company(found, INVALID, user_form=form)
    try:
        invitation = onboarding.invite(
            form.email.data, "company", current_user, now_utc(), company=found,
            name=form.name.data or None, language=form.language.data)
    except accounts.AccountError as error:
        db.session.rollback()
        put_errors(form, error)
        return _render_company(found, INVALID, user_form=form)
    audit("invitation.sent", current_user, f"invitation {invitation.email}",
          ip=client_address(), invitation_id=invitation.id, joins=found.name, role="company")
    db.session.commit()
    flash(_("The invitation to %(email)s is on its way.", email=invitation.email), "success")
    return redirect(url_for("admin_companies.company", company_id=found.id) + "#users")
