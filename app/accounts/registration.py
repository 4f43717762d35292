"""Companies ask for access (``/register/company``): the request counts once its e-mail
address is confirmed by a link, and then waits for a decision.

Who approves: the calendar's admins, not the organisations of the member networks. A
company belongs to no organisation here (it exhibits at the fairs of every organiser, and
many firms are members of several chambers and networks, or of none), so approving it is
a decision for the whole region that no single network should take for the others; the
admins see every company and every request, which is what keeps one firm from ending up
with two accounts. The volume (some hundreds of companies at the start, a few a week
later) is small enough for them.

On approval the company exists and the contact person gets an invitation to choose a
password; a rejection gives its reason by mail. Addresses that already have an account
get a mail saying so instead of a confirmation link, and the page answers the same.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts import companies, links, onboarding
from app.accounts import services as accounts
from app.accounts.models import Company, CompanyRequest, Invitation, User
from app.extensions import db
from app.reference.models import Industry, Municipality

MAX_REASON = 2000
# Legal forms and filler words that say nothing about which firm it is.
_LEGAL_FORMS = re.compile(
    r"\b(gmbh|mbh|ag|kg|ohg|gbr|ug|e\.?\s?k|e\.?\s?v|co|und|&|haftungsbeschränkt|"
    r"inh|inhaber|beispiel)\b\.?", re.IGNORECASE)
SIMILARITY = 0.75


@dataclass
class RequestInput:
    company_name: str = ""
    municipality_id: int | None = None
    industries: list[str] = field(default_factory=list)
    contact_name: str = ""
    email: str = ""
    language: str = "de"


def _check(data: RequestInput) -> tuple[Municipality | None, list[str]]:
    errors: list[tuple[str, str]] = []
    if not data.company_name.strip():
        errors.append(("company_name", str(_l("Please enter the company's name."))))
    if not data.contact_name.strip():
        errors.append(("contact_name", str(_l("Please enter a contact person."))))
    if not accounts.looks_like_email(accounts.normalise_email(data.email)):
        errors.append(("email", str(_l("Please enter a valid e-mail address."))))
    municipality = (db.session.get(Municipality, data.municipality_id)
                    if data.municipality_id is not None else None)
    if municipality is None:
        errors.append(("municipality", str(_l("Please choose the municipality."))))
    known = set(db.session.execute(select(Industry.code)).scalars())
    industries = [code for code in dict.fromkeys(data.industries) if code in known]
    if len(industries) != len(set(data.industries)):
        errors.append(("industries", str(_l("Please choose only offered values."))))
    if errors:
        raise accounts.AccountError(errors)
    return municipality, industries


def submit(data: RequestInput, now: datetime) -> CompanyRequest | None:
    """Record a request and mail the confirmation link (24 hours). An address with an
    account gets a mail saying so and no request is made; the page cannot tell."""
    municipality, industries = _check(data)
    email = accounts.normalise_email(data.email)
    language = data.language if data.language in ("de", "en") else "de"
    existing = accounts.find_user(email)
    if existing is not None:
        links.send_mail("company_request_has_account", email, existing.language,
                        f"request-has-account:{existing.id}:{now.isoformat()}", now,
                        user=existing, login_url=links.absolute_url("/login"),
                        reset_url=links.absolute_url("/login/reset"))
        return None
    request = CompanyRequest(
        company_name=" ".join(data.company_name.split()), municipality=municipality,
        industries=industries, contact_name=" ".join(data.contact_name.split()),
        email=email, language=language, status="unconfirmed", created_at=now)
    db.session.add(request)
    db.session.flush()
    token = links.issue("company_request", now, company_request=request)
    links.send_mail("company_request_confirm", email, language, f"request:{request.id}:confirm",
                    now, request=request, url=links.link_url("/register/company/confirm", token))
    return request


def confirm(token: str, now: datetime) -> CompanyRequest:
    """The address is confirmed: the request now waits for the admins, who are told."""
    link = links.check("company_request", token, now)
    request = link.company_request
    if request is None or request.status != "unconfirmed":
        raise links.LinkError("used")
    links.use(link, now)
    request.status, request.confirmed_at = "pending", now
    admins = db.session.execute(
        select(User).where(User.role == "admin", User.active.is_(True))).scalars()
    for admin in admins:
        links.send_mail("company_request_new", admin.email, admin.language,
                        f"request:{request.id}:admin{admin.id}", now, request=request,
                        url=links.absolute_url(f"/admin/requests/{request.id}"))
    db.session.flush()
    return request


def _core(name: str) -> str:
    """A name without legal form, punctuation and case: "Müller GmbH & Co. KG" → "müller"."""
    return " ".join(_LEGAL_FORMS.sub(" ", re.sub(r"[^\w&]+", " ", name.lower())).split())


def similar_companies(request: CompanyRequest) -> list[Company]:
    """Companies that may be the same firm: a similar name in the same municipality, or
    the same core name anywhere (the reviewer decides)."""
    wanted = _core(request.company_name)
    candidates = db.session.execute(select(Company).order_by(Company.name)).scalars()
    found = []
    for company in candidates:
        core = _core(company.name)
        same_place = company.municipality_id == request.municipality_id
        ratio = difflib.SequenceMatcher(None, wanted, core).ratio()
        if core == wanted or (same_place and (ratio >= SIMILARITY or wanted in core
                                              or core in wanted)):
            found.append(company)
    return found


def similar_requests(request: CompanyRequest) -> list[CompanyRequest]:
    """Other open requests for what may be the same firm (sent twice, or by two people)."""
    others = db.session.execute(select(CompanyRequest).where(
        CompanyRequest.id != request.id, CompanyRequest.status == "pending")).scalars()
    wanted = _core(request.company_name)
    return [other for other in others if _core(other.company_name) == wanted
            or other.email == request.email]


def pending_requests():
    return select(CompanyRequest).where(CompanyRequest.status == "pending").order_by(
        CompanyRequest.confirmed_at, CompanyRequest.id)


def approve(request: CompanyRequest, actor: User, now: datetime) -> Invitation:
    """Create the company and invite the contact person (the approval mail carries the
    invitation link)."""
    if request.status != "pending":
        raise accounts.AccountError([("", str(_l("This request has been decided already.")))])
    data = companies.CompanyInput(
        name=request.company_name,
        municipality=request.municipality.ags if request.municipality else "",
        industries=list(request.industries or []), contact_email=request.email)
    try:
        company, _user, _password = companies.create_company(data)
    except companies.CompanyError as error:
        raise accounts.AccountError(error.errors) from error
    invitation = onboarding.invite(
        request.email, "company", actor, now, company=company, name=request.contact_name,
        language=request.language, template="company_request_approved")
    request.status, request.decided_at, request.decided_by = "approved", now, actor
    request.company = company
    db.session.flush()
    return invitation


def reject(request: CompanyRequest, actor: User, reason: str, now: datetime) -> None:
    """Turn a request down with a reason the company is told."""
    reason = (reason or "").strip()
    if request.status != "pending":
        raise accounts.AccountError([("", str(_l("This request has been decided already.")))])
    if not reason:
        raise accounts.AccountError([("reason", str(_l("Please give a reason.")))])
    if len(reason) > MAX_REASON:
        raise accounts.AccountError([("reason", str(_l("At most %(n)d characters, please.",
                                                       n=MAX_REASON)))])
    request.status, request.decided_at, request.decided_by = "rejected", now, actor
    request.rejection_reason = reason
    links.send_mail("company_request_rejected", request.email, request.language,
                    f"request:{request.id}:rejected", now, request=request,
                    contact_url=links.absolute_url("/kontakt"))
    db.session.flush()


def count_pending() -> int:
    return db.session.execute(select(func.count()).select_from(CompanyRequest).where(
        CompanyRequest.status == "pending")).scalar_one()
