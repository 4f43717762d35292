"""How people get into their accounts without anyone passing on a password: invitations,
forgotten passwords and e-mail changes, each by a single-use link in a mail.

No answer and no page tells whether an address has an account: a reset request for an
unknown address gets the same page (and a mail that says there is no account, so the
work done is the same), and an invitation to an address that has an account already is
sent like any other; accepting it then says so, to the invited person only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts import links
from app.accounts import services as accounts
from app.accounts.models import Company, Invitation, Organisation, User
from app.extensions import db
from app.reference.codes import LANGUAGES, ORGANISATION_ROLES

AccountError = accounts.AccountError


def _address_key(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


# --- forgotten password ---------------------------------------------------------------


def request_password_reset(email: str, now: datetime) -> User | None:
    """Mail a reset link to the account with this address (an hour, single use; a newer
    link kills older ones). Unknown and deactivated addresses get a mail saying why there
    is no link. Returns the user (for the audit log), never for the page to tell."""
    email = accounts.normalise_email(email)
    user = accounts.find_user(email) if len(email) <= 254 else None
    stamp = now.isoformat()
    if user is None:
        links.send_mail("password_reset_unknown", email, "de",
                        f"reset-unknown:{_address_key(email)}:{stamp}", now,
                        register_url=links.absolute_url("/register/company"))
        return None
    if not user.active:
        links.send_mail("password_reset_inactive", user.email, user.language,
                        f"reset-inactive:{user.id}:{stamp}", now, user=user)
        return user
    token = links.issue("password_reset", now, user=user)
    links.send_mail("password_reset", user.email, user.language, f"reset:{user.id}:{stamp}",
                    now, user=user, url=links.link_url("/login/reset", token),
                    hours=int(links.LIFETIMES["password_reset"].total_seconds() // 3600))
    return user


def reset_password_with_link(token: str, password: str, now: datetime) -> User:
    """Set the password of the link's user; the link and every other open reset link of
    the user die, and every session of the user ends."""
    link = links.check("password_reset", token, now)
    user = link.user
    if user is None or not user.active:
        raise links.LinkError("unknown")
    accounts.check_new_password(password)
    links.use(link, now)
    accounts.set_password(user, password)
    password_changed(user, now)
    return user


def password_changed(user: User, now: datetime) -> None:
    """After any password change: open reset links die and the user is told by mail."""
    links.revoke("password_reset", now, user=user)
    links.send_mail("password_changed", user.email, user.language,
                    f"password-changed:{user.id}:{now.isoformat()}", now, user=user,
                    reset_url=links.absolute_url("/login/reset"))


# --- invitations ------------------------------------------------------------------------


def may_invite(actor: User, role: str, organisation: Organisation | None,
               company: Company | None, organisation_role: str = "member") -> bool:
    """Admins invite anyone; organisers colleagues into their own organisation (only its
    admins invite further admins); company users colleagues into their own company."""
    if not actor.is_authenticated or not actor.active:
        return False
    if actor.is_admin:
        return True
    if actor.is_organiser:
        return (role == "organiser" and organisation is not None
                and organisation.id == actor.organisation_id
                and (organisation_role == "member" or actor.is_organisation_admin))
    if actor.role == "company":
        return role == "company" and company is not None and company.id == actor.company_id
    return False


def _send_invitation(invitation: Invitation, now: datetime,
                     template: str = "invitation") -> None:
    token = links.issue("invitation", now, invitation=invitation)
    invitation.sent_at = now
    invitation.expires_at = now + links.LIFETIMES["invitation"]
    inviter = invitation.invited_by
    links.send_mail(template, invitation.email, invitation.language,
                    f"invitation:{invitation.id}:{now.isoformat()}", now,
                    invitation=invitation, url=links.link_url("/invitation", token),
                    inviter=(inviter.name or inviter.email) if inviter else None,
                    days=links.LIFETIMES["invitation"].days)
    db.session.flush()


def invite(email: str, role: str, actor: User | None, now: datetime, *,
           organisation: Organisation | None = None, company: Company | None = None,
           organisation_role: str = "member", name: str | None = None,
           language: str = "de", provisioning: bool = False,
           template: str = "invitation") -> Invitation:
    """Invite someone (``actor`` None: the command line). An open invitation of the same
    address into the same place is sent again instead of a second one. ``provisioning``:
    a company's first user from an import, which organisers may do for any company."""
    email = accounts.normalise_email(email)
    errors: list[tuple[str, str]] = []
    if not accounts.looks_like_email(email):
        errors.append(("email", str(_l("Please enter a valid e-mail address."))))
    elif (actor is None or actor.is_admin or provisioning) and accounts.find_user(email):
        # Only admins (and the command line) learn that an address has an account.
        errors.append(("email", str(_l("A user with this e-mail address exists already."))))
    errors += accounts.role_errors(role, organisation, company)
    if organisation_role not in ORGANISATION_ROLES:
        errors.append(("organisation_role", str(_l("Unknown role."))))
    if errors:
        raise AccountError(errors)
    organisation = organisation if role == "organiser" else None
    company = company if role == "company" else None
    if actor is not None and not provisioning and not may_invite(
            actor, role, organisation, company, organisation_role):
        raise AccountError([("", str(_l("You may not invite into this place.")))])
    same_place = [
        Invitation.organisation_id.is_(None) if organisation is None
        else Invitation.organisation_id == organisation.id,
        Invitation.company_id.is_(None) if company is None
        else Invitation.company_id == company.id,
    ]
    invitation = db.session.execute(
        select(Invitation).where(Invitation.email == email, Invitation.role == role,
                                 Invitation.accepted_at.is_(None),
                                 Invitation.withdrawn_at.is_(None), *same_place)
    ).scalars().first()
    if invitation is None:
        invitation = Invitation(email=email, role=role, organisation=organisation,
                                company=company, created_at=now, expires_at=now)
        db.session.add(invitation)
    invitation.name = (name or "").strip() or None
    invitation.organisation_role = organisation_role if role == "organiser" else "member"
    invitation.language = language if language in LANGUAGES else "de"
    invitation.invited_by_id = actor.id if actor is not None else None
    db.session.flush()
    _send_invitation(invitation, now, template)
    return invitation


def may_manage_invitation(actor: User, invitation: Invitation) -> bool:
    """Who may send again or withdraw: admins, and whoever may invite into that place."""
    return may_invite(actor, invitation.role, invitation.organisation, invitation.company,
                      invitation.organisation_role)


def resend(invitation: Invitation, actor: User, now: datetime) -> None:
    """A new link (the old one dies) and seven more days."""
    if not invitation.pending:
        raise AccountError([("", str(_l("This invitation is no longer open.")))])
    _send_invitation(invitation, now)


def withdraw(invitation: Invitation, actor: User, now: datetime) -> None:
    if not invitation.pending:
        raise AccountError([("", str(_l("This invitation is no longer open.")))])
    invitation.withdrawn_at = now
    links.revoke("invitation", now, invitation=invitation)
    db.session.flush()


def open_invitation(token: str, now: datetime) -> Invitation:
    """The pending invitation behind a link, or LinkError."""
    link = links.check("invitation", token, now)
    invitation = link.invitation
    if invitation is None or not invitation.pending:
        raise links.LinkError("used")
    return invitation


def accept_invitation(token: str, password: str, name: str | None, now: datetime) -> User:
    """Create the invited account with the chosen password (the link is used up)."""
    link = links.check("invitation", token, now)
    invitation = link.invitation
    if invitation is None or not invitation.pending:
        raise links.LinkError("used")
    if accounts.find_user(invitation.email):
        raise AccountError([("", str(_l(
            "There is an account with this e-mail address already. Please log in, or use "
            "“Forgot your password?” on the login page.")))])
    accounts.check_new_password(password)
    links.use(link, now)
    user, _ = accounts.create_user(
        invitation.email, invitation.role, password, organisation=invitation.organisation,
        company=invitation.company, name=(name or "").strip() or invitation.name,
        language=invitation.language)
    if invitation.organisation_role == "admin":
        user.organisation_role = "admin"
    invitation.accepted_at = now
    invitation.user_id = user.id
    accounts.record_login(user)
    db.session.flush()
    return user


def pending_invitations(*, organisation: Organisation | None = None,
                        company: Company | None = None) -> list[Invitation]:
    """Open invitations (expired ones too: they can be sent again), newest first; all of
    them without a place given."""
    query = select(Invitation).where(Invitation.accepted_at.is_(None),
                                     Invitation.withdrawn_at.is_(None))
    if organisation is not None:
        query = query.where(Invitation.organisation_id == organisation.id)
    if company is not None:
        query = query.where(Invitation.company_id == company.id)
    return list(db.session.execute(
        query.order_by(Invitation.sent_at.desc(), Invitation.id.desc())).scalars())


# --- changing the e-mail address --------------------------------------------------------


def request_email_change(user: User, new_email: str, password: str, now: datetime) -> None:
    """Send a confirmation link to the new address (24 hours) and tell the old one. An
    address that has an account gets a mail saying so instead; the page cannot tell."""
    new_email = accounts.normalise_email(new_email)
    if not user.check_password(password):
        raise AccountError([("current_password", str(_l("The current password is wrong.")))])
    if not accounts.looks_like_email(new_email):
        raise AccountError([("new_email", str(_l("Please enter a valid e-mail address.")))])
    if new_email == user.email:
        raise AccountError([("new_email", str(_l("This is your current address.")))])
    stamp = now.isoformat()
    if accounts.find_user(new_email) is not None:
        links.send_mail("email_change_taken", new_email, user.language,
                        f"email-taken:{_address_key(new_email)}:{stamp}", now)
    else:
        token = links.issue("email_change", now, user=user, email=new_email)
        links.send_mail("email_change_confirm", new_email, user.language,
                        f"email-confirm:{user.id}:{stamp}", now, user=user, new_email=new_email,
                        url=links.link_url("/account/email", token))
    links.send_mail("email_change_requested", user.email, user.language,
                    f"email-requested:{user.id}:{stamp}", now, user=user, new_email=new_email,
                    reset_url=links.absolute_url("/login/reset"))


def open_email_change(token: str, now: datetime):
    """The open e-mail change link, or LinkError."""
    link = links.check("email_change", token, now)
    if link.user is None or not link.user.active or not link.email:
        raise links.LinkError("unknown")
    return link


def confirm_email_change(token: str, now: datetime) -> tuple[User, str]:
    """Switch to the confirmed address; the old address is told. Returns the user and the
    old address."""
    link = open_email_change(token, now)
    user = link.user
    if accounts.find_user(link.email) is not None:
        raise AccountError([("", str(_l("This address has been taken in the meantime.")))])
    links.use(link, now)
    old = user.email
    user.email = link.email
    links.revoke("email_change", now, user=user)
    links.send_mail("email_changed", old, user.language, f"email-changed:{user.id}:{now}",
                    now, user=user, old_email=old)
    db.session.flush()
    return user, old
