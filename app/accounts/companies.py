"""Member companies: their profile, and provisioning them in bulk (CSV import, API).

The rules live here once, so the profile page, the admin CSV import and
``POST /api/v1/companies`` accept and refuse exactly the same input. Reference data is
looked up by what people have at hand: a municipality by name or official key (AGS),
industries by code, occupations by name (or id, from the profile form).

The CSV import runs in two steps. ``parse_csv`` reads the upload defensively (size is
limited by ``MAX_CONTENT_LENGTH``; NUL bytes, a wrong encoding or a broken CSV become one
clear message) and checks every row; the preview shows each row's errors. The valid rows,
normalised, travel to the confirm step in a hidden field signed with the app's secret key
(``sign_rows``/``unsign_rows``, valid for an hour), so nothing is stored in between and
nothing the browser changed is accepted. ``import_rows`` checks every row again against
the database and creates all of them or none.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, or_, select

from app.accounts import services as accounts
from app.accounts.models import Company, Invitation, User
from app.errors import DomainError
from app.extensions import db
from app.reference.models import Industry, Municipality, Occupation
from app.text import multiline_error, normalise_line_endings, single_line_error
from app.versions import bump_if_changed, check_version

MAX_NAME = 200
MAX_WEBSITE = 500
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_DESCRIPTION = 5000
MAX_LIST = 60
MAX_ROWS = 2000
IMPORT_MAX_AGE = 3600  # seconds a preview may be confirmed
COLUMNS = ("name", "municipality", "industries", "occupations", "website", "contact_email",
           "contact_phone", "description", "user_email")
MULTILINE = {"description"}  # every other field is a single line (app.text)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()/ .-]{3,40}$")


class CompanyError(DomainError):
    """A company's data breaks a rule."""


class ImportFileError(DomainError):
    """The uploaded file cannot be read at all (one message for the whole file)."""


@dataclass
class CompanyInput:
    """A company as typed in a form, a CSV row or a JSON body (all plain strings)."""

    name: str = ""
    municipality: str = ""
    industries: list[str] = field(default_factory=list)
    occupations: list[str] = field(default_factory=list)
    website: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    description: str = ""
    user_email: str = ""


@dataclass
class Resolved:
    """A checked company input with its reference data looked up."""

    data: CompanyInput
    municipality: Municipality | None
    industries: list[Industry]
    occupations: list[Occupation]


def split_list(value: str) -> list[str]:
    """A ;-separated cell as a list without blanks or repeats."""
    return list(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))


def find_municipality(value: str) -> Municipality | None:
    value = value.strip()
    return db.session.execute(
        select(Municipality).where(or_(func.lower(Municipality.name) == value.lower(),
                                       Municipality.ags == value))
    ).scalars().first()


def _occupation(value: str) -> Occupation | None:
    if value.isdigit() and len(value) < 10:
        return db.session.get(Occupation, int(value))
    return db.session.execute(
        select(Occupation).where(func.lower(Occupation.name) == value.lower())
    ).scalar_one_or_none()


def _text_errors(data: CompanyInput) -> list[tuple[str, str]]:
    errors = []
    limits = {"name": MAX_NAME, "municipality": 120, "website": MAX_WEBSITE,
              "contact_email": MAX_EMAIL, "contact_phone": MAX_PHONE,
              "description": MAX_DESCRIPTION, "user_email": MAX_EMAIL}
    for name, limit in limits.items():
        value = getattr(data, name)
        check = multiline_error if name in MULTILINE else single_line_error
        if message := check(value):
            errors.append((name, str(message)))
        elif len(value) > limit:
            errors.append((name, str(_l("At most %(n)d characters, please.", n=limit))))
    return errors


def resolve(data: CompanyInput, *, company: Company | None = None,
            need_user: bool = False) -> Resolved:
    """Check ``data`` and look up its reference data; raise CompanyError with every problem.

    ``company`` is the company being edited (its own name is no duplicate); ``need_user``
    makes ``user_email`` required (the API always creates a user).
    """
    data = CompanyInput(**{
        key: ([item.strip() for item in value] if isinstance(value, list) else value.strip())
        for key, value in asdict(data).items()
    })
    data.description = normalise_line_endings(data.description)
    errors = _text_errors(data)
    bad = {name for name, _ in errors}
    if not data.name:
        errors.append(("name", str(_l("Please enter a name."))))
    elif "name" not in bad:
        existing = accounts.find_company(data.name)
        if existing is not None and existing is not company:
            errors.append(("name", str(_l("A company of this name exists already."))))
    municipality = None
    if data.municipality and "municipality" not in bad:
        municipality = find_municipality(data.municipality)
        if municipality is None:
            errors.append(("municipality", str(_l("Unknown municipality “%(value)s”.",
                                                  value=data.municipality[:80]))))
    industries: list[Industry] = []
    if len(data.industries) > MAX_LIST:
        errors.append(("industries", str(_l("Too many values."))))
    else:
        for code in dict.fromkeys(data.industries):
            industry = db.session.get(Industry, code) if len(code) <= 12 else None
            if industry is None:
                errors.append(("industries", str(_l("Unknown industry code “%(value)s”.",
                                                    value=code[:40]))))
            else:
                industries.append(industry)
    occupations: list[Occupation] = []
    if len(data.occupations) > MAX_LIST:
        errors.append(("occupations", str(_l("Too many values."))))
    else:
        for name in dict.fromkeys(data.occupations):
            occupation = _occupation(name) if len(name) <= 120 else None
            if occupation is None:
                errors.append(("occupations", str(_l("Unknown occupation “%(value)s”.",
                                                     value=name[:80]))))
            elif occupation not in occupations:
                occupations.append(occupation)
    if data.website and "website" not in bad and not re.match(
            r"^https?://[^\s/]+\.[^\s]+$", data.website):
        errors.append(("website", str(_l("Please enter an address starting with https://."))))
    for name in ("contact_email", "user_email"):
        value = getattr(data, name)
        if value and name not in bad and not _EMAIL.match(value):
            errors.append((name, str(_l("Please enter a valid e-mail address."))))
    if data.contact_phone and "contact_phone" not in bad and not _PHONE.match(
            data.contact_phone):
        errors.append(("contact_phone", str(_l("Please enter a telephone number."))))
    if need_user and not data.user_email:
        errors.append(("user_email", str(_l("Please enter the e-mail address of the "
                                            "company's user."))))
    if data.user_email and "user_email" not in bad and accounts.find_user(data.user_email):
        errors.append(("user_email", str(_l("A user with this e-mail address exists already."))))
    if errors:
        raise CompanyError(errors)
    return Resolved(data, municipality, industries, occupations)


def _apply(company: Company, resolved: Resolved, *, rename: bool) -> None:
    data = resolved.data
    if rename:
        company.name = data.name
    company.municipality = resolved.municipality
    company.industries = resolved.industries
    company.occupations = resolved.occupations
    company.website = data.website or None
    company.contact_email = accounts.normalise_email(data.contact_email) or None
    company.contact_phone = data.contact_phone or None
    company.description = data.description or None


def create_company(data: CompanyInput, *, need_user: bool = False
                   ) -> tuple[Company, User | None, str | None]:
    """Create a company (and its first user when ``user_email`` is given).

    Returns the company, the user and the user's generated password (shown once).
    """
    resolved = resolve(data, need_user=need_user)
    company = Company(name=resolved.data.name)
    _apply(company, resolved, rename=True)
    db.session.add(company)
    db.session.flush()
    user, password = None, None
    if resolved.data.user_email:
        try:
            user, password = accounts.create_user(resolved.data.user_email, "company",
                                                  company=company)
        except accounts.AccountError as error:
            raise CompanyError([("user_email", message) for _, message in error.errors]) \
                from error
    return company, user, password


def may_rename(user: User) -> bool:
    """Names are what the chambers' member lists say: admins and organisers change them."""
    return user.is_admin or user.is_organiser


def can_edit(user: User, company: Company) -> bool:
    """A company user edits only their own company; admins and organisers any."""
    if not user.is_authenticated or not user.active:
        return False
    return may_rename(user) or (user.role == "company" and user.company_id == company.id)


def update_company(company: Company, data: CompanyInput, actor: User, *,
                   version: int | None = None) -> Company:
    """Save a profile; a company user's ``name`` is ignored (they may not rename).
    ``version``: the one the user's copy had; a stale copy raises VersionConflict."""
    if not can_edit(actor, company):
        raise CompanyError([("", str(_l("You may not edit this company.")))])
    check_version(company, version)
    if not may_rename(actor):
        data.name = company.name
    data.user_email = ""
    resolved = resolve(data, company=company)
    _apply(company, resolved, rename=may_rename(actor))
    bump_if_changed(company)
    db.session.flush()
    return company


# --- CSV import --------------------------------------------------------------------------


@dataclass
class ImportRow:
    """One data row of an upload: its line number, what it said and what is wrong."""

    line: int
    data: CompanyInput
    errors: list[tuple[str, str]]

    @property
    def valid(self) -> bool:
        return not self.errors


def _decode(raw: bytes) -> str:
    if b"\x00" in raw:
        raise ImportFileError(_l("This is not a CSV text file (it contains binary data)."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(_l("The file is not UTF-8 text. Please save it as “CSV UTF-8” "
                                 "and upload it again.")) from error
    if not text.strip():
        raise ImportFileError(_l("The file is empty."))
    return text


def _delimiter(text: str) -> str:
    """``;`` or ``,``: whichever the header line has more of."""
    header = text.splitlines()[0] if text.splitlines() else ""
    return ";" if header.count(";") > header.count(",") else ","


def read_csv(raw: bytes) -> list[tuple[int, CompanyInput]]:
    """The rows of an upload as inputs (line number, input), without checking them."""
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
        if "name" not in header:
            raise ImportFileError(_l("The first line must name the columns; a column “name” "
                                     "is required."))
        unknown = [name for name in header if name and name not in COLUMNS]
        if unknown:
            raise ImportFileError(_l("Unknown column “%(name)s”. Known columns: %(known)s.",
                                     name=unknown[0][:40], known=", ".join(COLUMNS)))
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_l("At most %(n)d companies per file, please.",
                                         n=MAX_ROWS))
            values = dict(zip(header, cells, strict=False))
            data = CompanyInput(**{
                name: split_list(values.get(name, "")) if name in ("industries", "occupations")
                else values.get(name, "")
                for name in COLUMNS
            })
            rows.append((reader.line_num, data))
    except csv.Error as error:
        raise ImportFileError(_l("The file is not valid CSV (line %(line)d).",
                                 line=reader.line_num)) from error
    if not rows:
        raise ImportFileError(_l("The file has no companies below its header line."))
    return rows


def check_rows(rows: list[tuple[int, CompanyInput]]) -> list[ImportRow]:
    """Every row's problems, including names and user e-mails repeated within the file."""
    checked = []
    names: set[str] = set()
    emails: set[str] = set()
    for line, data in rows:
        errors: list[tuple[str, str]] = []
        try:
            resolve(data)
        except CompanyError as error:
            errors = list(error.errors)
        key = data.name.strip().lower()
        if key and key in names:
            errors.append(("name", str(_l("This name appears twice in the file."))))
        names.add(key)
        email = accounts.normalise_email(data.user_email)
        if email and email in emails:
            errors.append(("user_email",
                           str(_l("This e-mail address appears twice in the file."))))
        emails.add(email)
        checked.append(ImportRow(line, data, errors))
    return checked


def parse_csv(raw: bytes) -> list[ImportRow]:
    """Read and check an upload for the preview (raises ImportFileError)."""
    return check_rows(read_csv(raw))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="company-import")


def sign_rows(rows: list[ImportRow]) -> str:
    """The valid rows, normalised, for the confirm form's hidden field."""
    return _serializer().dumps([[row.line, asdict(row.data)] for row in rows if row.valid])


def unsign_rows(signed: str) -> list[tuple[int, CompanyInput]]:
    """Back from the hidden field; raise ImportFileError if it was changed or is too old."""
    try:
        payload = _serializer().loads(signed, max_age=IMPORT_MAX_AGE)
        return [(int(line), CompanyInput(**data)) for line, data in payload]
    except (BadSignature, TypeError, ValueError) as error:
        raise ImportFileError(_l("The preview has expired or was changed. Please upload "
                                 "the file again.")) from error


def import_rows(rows: list[tuple[int, CompanyInput]], actor: User, now: datetime
                ) -> tuple[list[Company], list[Invitation], list[ImportRow]]:
    """Create every row's company or, if any row fails now, none (the caller rolls back).
    A row's ``user_email`` is invited (nobody sees a password).

    Returns the companies, the invitations sent, and the failed rows (non-empty means:
    roll back, nothing was imported).
    """
    from app.accounts import onboarding

    checked = check_rows(rows)
    failed = [row for row in checked if not row.valid]
    if failed:
        return [], [], failed
    created, invitations = [], []
    for row in checked:
        try:
            company, _user, _password = create_company(replace(row.data, user_email=""))
            if row.data.user_email:
                invitations.append(onboarding.invite(
                    row.data.user_email, "company", actor, now, company=company,
                    provisioning=True))
        except (CompanyError, accounts.AccountError) as error:
            return [], [], [ImportRow(row.line, row.data, error.errors)]
        created.append(company)
    return created, invitations, []


# --- for the pages -----------------------------------------------------------------------


def all_occupations() -> list[Occupation]:
    return list(db.session.execute(select(Occupation).order_by(Occupation.name)).scalars())


def all_industries() -> list[Industry]:
    return list(db.session.execute(select(Industry).order_by(Industry.code)).scalars())


def all_municipalities() -> list[Municipality]:
    return list(db.session.execute(select(Municipality).order_by(Municipality.name)).scalars())
