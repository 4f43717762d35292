"""Provisioning member companies through the API (admins only).

``POST /api/v1/companies`` takes the same fields as a line of the admin CSV import and
applies the same rules (``app.accounts.companies``); it creates the company, its first
user and an API token for that user, which is in this response only.
"""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields
from marshmallow.validate import Length

from app.accounts import companies
from app.accounts import services as accounts
from app.accounts.security import audit, user_target
from app.api.access import in_english
from app.api.auth import TOKEN, protect, token_user
from app.api.errors import api_abort, documented_errors
from app.api.schemas import Line, RefSchema, Text
from app.extensions import db
from app.security import client_address

blp = Blueprint(
    "companies", __name__, url_prefix="/api/v1/companies",
    description="Member companies: admins provision a company with its first user.",
)
protect(blp)


class IndustryRefSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class MunicipalityRefSchema(ma.Schema):
    ags = fields.String(required=True)
    name = fields.String(required=True)


class CompanySchema(ma.Schema):
    """A company as its admins see it (contact details included)."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True, allow_none=True)
    industries = fields.List(fields.Nested(IndustryRefSchema), required=True)
    occupations = fields.List(fields.Nested(RefSchema), required=True)
    website = fields.String(required=True, allow_none=True)
    contact_email = fields.String(required=True, allow_none=True)
    contact_phone = fields.String(required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True)

    @ma.pre_dump
    def _plain(self, company, **kwargs):
        return {
            "id": company.id, "name": company.name,
            "municipality": None if company.municipality is None else {
                "ags": company.municipality.ags, "name": company.municipality.name},
            "industries": [{"code": i.code, "name": i.name_en} for i in company.industries],
            "occupations": company.occupations, "website": company.website,
            "contact_email": company.contact_email, "contact_phone": company.contact_phone,
            "description": company.description,
        }


class CreatedUserSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    token = fields.String(required=True, metadata={
        "description": "An API token for this user. Shown only in this response."})


class CompanyCreatedSchema(ma.Schema):
    company = fields.Nested(CompanySchema, required=True)
    user = fields.Nested(CreatedUserSchema, required=True)


class CompanyCreateSchema(ma.Schema):
    """A new company. Unknown fields are refused."""

    name = Line(required=True, validate=Length(1, companies.MAX_NAME))
    municipality = Line(load_default="", validate=Length(max=120), metadata={
        "description": "Name (`Lüdenscheid`) or official key, AGS (`05962032`)."})
    industries = fields.List(Line(validate=Length(max=12)), load_default=list,
                             validate=Length(max=companies.MAX_LIST),
                             metadata={"description": "Industry codes, e.g. `METALL`."})
    occupations = fields.List(Line(validate=Length(max=120)), load_default=list,
                              validate=Length(max=companies.MAX_LIST), metadata={
                                  "description": "Apprenticeship occupations by name."})
    website = Line(load_default="", validate=Length(max=companies.MAX_WEBSITE))
    contact_email = Line(load_default="", validate=Length(max=companies.MAX_EMAIL))
    contact_phone = Line(load_default="", validate=Length(max=companies.MAX_PHONE))
    description = Text(load_default="", validate=Length(max=companies.MAX_DESCRIPTION))
    user_email = Line(required=True, validate=Length(1, companies.MAX_EMAIL), metadata={
        "description": "E-mail address of the company's first user (a login)."})


@blp.post("")
@blp.arguments(CompanyCreateSchema())
@blp.response(201, CompanyCreatedSchema)
@documented_errors(blp, 400, 401, 403, 413, 415, 422)
@blp.doc(security=TOKEN)
@in_english
def create_company(body: dict):
    """Create a member company, its first user and an API token for that user (admins).

    The token is returned once and stored only as a hash. 422 names every invalid field
    (unknown municipality, industry code or occupation, name or user taken, bad e-mail).
    """
    admin = token_user()
    if admin is None:
        api_abort(401)
    if not admin.is_admin:
        api_abort(403, "forbidden", "Only admins provision companies.")
    company, user, _ = companies.create_company(companies.CompanyInput(**body), need_user=True)
    token = accounts.issue_token(user, "Provisioned")
    audit("user.created", admin, user_target(user), ip=client_address(), role="company",
          company=company.name, via="api")
    db.session.commit()
    return {"company": company, "user": {"id": user.id, "email": user.email, "token": token}}
