"""Organisations, users and API tokens: the rules the admin pages, API and CLI share."""

from __future__ import annotations

import secrets
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import ApiToken, Company, Organisation, User
from app.errors import DomainError
from app.extensions import db
from app.reference.codes import LANGUAGES, ORGANISATION_KINDS, ORGANISATION_ROLES, ROLES
from app.text import single_line_error
from app.time import now_utc

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError):
    """An account rule was broken (password, e-mail address, role)."""


def single_line_errors(**values: str | None) -> list[tuple[str, str]]:
    """(field, message) for each value that is not one clean line (names, addresses):
    the CLI and the API reach these services without a form."""
    return [(name, str(message)) for name, value in values.items()
            if (message := single_line_error(value))]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    """Enough of a check for an address we are about to send a link to."""
    local, at, domain = email.partition("@")
    return (bool(at and local and "." in domain.strip(".")) and len(email) <= 254
            and not any(char.isspace() or ord(char) < 32 for char in email))


def find_user(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def find_organisation(name: str) -> Organisation | None:
    return db.session.execute(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    ).scalar_one_or_none()


def find_company(name: str) -> Company | None:
    return db.session.execute(
        select(Company).where(func.lower(Company.name) == name.strip().lower())
    ).scalar_one_or_none()


def create_organisation(name: str, kind: str = "other", **details: str | None) -> Organisation:
    name = name.strip()
    if not name:
        raise AccountError([("name", str(_l("Please enter a name.")))])
    if errors := single_line_errors(name=name, **details):
        raise AccountError(errors)
    if kind not in ORGANISATION_KINDS:
        raise AccountError([("kind", str(_l("Unknown kind of organisation.")))])
    if find_organisation(name):
        raise AccountError([("name", str(_l("An organisation of this name exists already.")))])
    organisation = Organisation(name=name, kind=kind, **details)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def check_password_rules(password: str) -> list[tuple[str, str]]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [("password", str(_l("The password needs at least %(n)d characters.",
                                    n=MIN_PASSWORD_LENGTH)))]
    if password.isdigit() or password.isalpha():
        return [("password", str(_l("Use letters and digits or other characters.")))]
    return []


def check_new_password(password: str) -> None:
    """Raise AccountError (field ``new_password``) if ``password`` breaks the rules."""
    errors = check_password_rules(password)
    if errors:
        raise AccountError([("new_password", message) for _, message in errors])


def generate_password() -> str:
    """A random password that passes our own rules (a random one may be all letters)."""
    while check_password_rules(password := secrets.token_urlsafe(12)):
        pass
    return password


def role_errors(role: str, organisation: Organisation | None,
                company: Company | None) -> list[tuple[str, str]]:
    """A role exists, and organisers and company users belong somewhere."""
    errors = []
    if role not in ROLES:
        errors.append(("role", str(_l("Unknown role."))))
    if role == "organiser" and organisation is None:
        errors.append(("organisation", str(_l("An organiser belongs to an organisation."))))
    if role == "company" and company is None:
        errors.append(("company", str(_l("A company user belongs to a company."))))
    return errors


def create_user(
    email: str,
    role: str,
    password: str | None = None,
    *,
    organisation: Organisation | None = None,
    company: Company | None = None,
    name: str | None = None,
    language: str = "de",
) -> tuple[User, str | None]:
    """Create a user; without a password one is generated and returned once."""
    errors = single_line_errors(name=name)
    email = normalise_email(email)
    if not looks_like_email(email) or single_line_error(email):
        errors.append(("email", str(_l("Please enter a valid e-mail address."))))
    elif find_user(email):
        errors.append(("email", str(_l("A user with this e-mail address exists already."))))
    errors += role_errors(role, organisation, company)
    generated = None
    if password is None:
        password = generated = generate_password()
    errors += check_password_rules(password)
    if errors:
        raise AccountError(errors)
    # The first organiser of an organisation looks after the others.
    first_organiser = role == "organiser" and not _has_admin(organisation)
    user = User(
        email=email,
        role=role,
        name=name,
        organisation=organisation if role == "organiser" else None,
        company=company if role == "company" else None,
        language=language if language in ("de", "en") else "de",
    )
    user.set_password(password)
    if first_organiser:
        user.organisation_role = "admin"
    db.session.add(user)
    db.session.flush()
    return user, generated


def _has_admin(organisation: Organisation) -> bool:
    return db.session.execute(
        select(func.count()).select_from(User).where(
            User.organisation_id == organisation.id, User.role == "organiser",
            User.organisation_role == "admin", User.active.is_(True))).scalar_one() > 0


def issue_token(user: User, label: str = "API") -> str:
    """A new API token for ``user``; only its hash is stored, so show it now or never."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=ApiToken.hash(token), label=label[:80]))
    db.session.flush()
    return token


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        db.session.flush()


# A hash to check against when no user matches, so that a login takes as long for an
# unknown address as for a wrong password (no account enumeration by timing).
@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The user with this e-mail and password, active or not; None otherwise."""
    user = find_user(email) if len(email) <= 254 else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if user.check_password(password) else None


def record_login(user: User) -> None:
    user.last_login_at = now_utc()
    db.session.flush()


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise AccountError([("language", str(_l("Unknown language.")))])
    user.language = language
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Let a user change their own password; the current one proves it is them."""
    if not user.check_password(current):
        raise AccountError([("current_password", str(_l("The current password is wrong.")))])
    set_password(user, new)


def set_password(user: User, password: str) -> None:
    """Set a password that follows the rules; every session of the user ends (the caller
    logs the acting browser in again where it should stay logged in)."""
    check_new_password(password)
    user.set_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session and remember cookie of ``user`` at once (see ``User.get_id``)."""
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def reset_password(user: User) -> str:
    """Give ``user`` a generated password and return it (shown once to the admin)."""
    password = generate_password()
    user.set_password(password)
    end_sessions(user)
    return password


def may_manage_members(actor: User, user: User) -> bool:
    """Admins manage every user; an organisation's admins the members of their own."""
    return actor.is_admin or (actor.is_organisation_admin and actor.active
                              and user.role == "organiser"
                              and user.organisation_id == actor.organisation_id)


def set_active(user: User, active: bool, actor: User) -> None:
    """(De)activate a user; nobody can lock themselves out."""
    if not may_manage_members(actor, user):
        raise AccountError([("active", str(_l("You may not change this user.")))])
    if user.id == actor.id and not active:
        raise AccountError([("active", str(_l("You cannot deactivate your own account.")))])
    user.active = active
    if not active:
        end_sessions(user)
    db.session.flush()


def set_organisation_role(user: User, role: str, actor: User) -> None:
    """Make a member an organisation admin or back; an organisation keeps at least one
    active admin (so that someone can always invite and manage its members)."""
    if role not in ORGANISATION_ROLES:
        raise AccountError([("organisation_role", str(_l("Unknown role.")))])
    if not may_manage_members(actor, user):
        raise AccountError([("organisation_role", str(_l("You may not change this user.")))])
    if user.organisation_role == "admin" and role != "admin" and user.active:
        admins = db.session.execute(
            select(func.count()).select_from(User).where(
                User.organisation_id == user.organisation_id, User.active.is_(True),
                User.organisation_role == "admin", User.role == "organiser")).scalar_one()
        if admins <= 1:
            raise AccountError([("organisation_role", str(_l(
                "An organisation needs at least one admin. Make someone else admin first.")))])
    user.organisation_role = role
    db.session.flush()


def members(organisation: Organisation | None = None,
            company: Company | None = None) -> list[User]:
    """The users of an organisation or a company, active ones first, by e-mail."""
    query = select(User)
    if organisation is not None:
        query = query.where(User.organisation_id == organisation.id, User.role == "organiser")
    else:
        query = query.where(User.company_id == company.id, User.role == "company")
    return list(db.session.execute(
        query.order_by(User.active.desc(), User.email)).scalars())


def organisations_without_contact() -> list[Organisation]:
    """Organisations without a contact address (required: clash mails go there too),
    first those that no mail reaches at all (no active organiser either)."""
    active_member = select(User.id).where(
        User.organisation_id == Organisation.id, User.role == "organiser",
        User.active.is_(True)).exists()
    found = db.session.execute(
        select(Organisation, active_member).where(
            or_(Organisation.email.is_(None), Organisation.email == ""))
        .order_by(Organisation.name)).all()
    return [organisation for organisation, _ in sorted(found, key=lambda row: row[1])]


def unreachable_organisations() -> list[Organisation]:
    """Organisations no mail reaches: no active organiser and no contact address."""
    return [organisation for organisation in organisations_without_contact()
            if not any(user.active and user.role == "organiser"
                       for user in organisation.users)]


def update_organisation(organisation: Organisation, name: str, kind: str,
                        **details: str | None) -> None:
    """Rename or re-describe an organisation; names stay unique (case-insensitive)."""
    name = name.strip()
    errors = single_line_errors(name=name, **details)
    if not name:
        errors.append(("name", str(_l("Please enter a name."))))
    elif not errors:
        existing = find_organisation(name)
        if existing is not None and existing.id != organisation.id:
            errors.append(("name", str(_l("An organisation of this name exists already."))))
    if kind not in ORGANISATION_KINDS:
        errors.append(("kind", str(_l("Unknown kind of organisation."))))
    if errors:
        raise AccountError(errors)
    organisation.name, organisation.kind = name, kind
    for attribute, value in details.items():
        setattr(organisation, attribute, value or None)
    db.session.flush()


def user_tokens(user: User) -> list[ApiToken]:
    """The user's own tokens, newest first."""
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars())


def own_token(user: User, token_id: int) -> ApiToken | None:
    """A token of ``user`` by id; another user's token is None (as if it did not exist)."""
    return db.session.execute(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    ).scalar_one_or_none()
