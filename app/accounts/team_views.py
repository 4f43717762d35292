"""The team page (``/account/team``): an organisation's members or a company's users,
their pending invitations, and inviting colleagues.

Every organiser and every company user invites colleagues into their own organisation or
company; an organisation's admins also change roles, deactivate members and invite
further admins. The rules are those of ``accounts.onboarding`` and ``accounts.services``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import onboarding
from app.accounts import services as accounts
from app.accounts.forms import ConfirmForm, InviteForm, RoleForm
from app.accounts.links import LIFETIMES
from app.accounts.models import Invitation, User
from app.accounts.security import audit, user_target
from app.accounts.views import INVALID, bp
from app.extensions import db, limiter
from app.forms import put_errors
from app.reference.codes import ORGANISATION_ROLES
from app.security import client_address
from app.time import now_utc


def account_form_limit() -> str:
    from flask import current_app

    return current_app.config["ACCOUNT_FORM_RATE_LIMIT"]


def _place():
    """The viewer's organisation or company; admins manage users on the admin pages."""
    if current_user.is_organiser and current_user.organisation is not None:
        return {"organisation": current_user.organisation}
    if current_user.role == "company" and current_user.company is not None:
        return {"company": current_user.company}
    abort(404)


def _render(status: int = 200, form: InviteForm | None = None):
    place = _place()
    form = form or InviteForm(formdata=None)
    if not current_user.is_organisation_admin:
        del form.organisation_role
    return render_template(
        "accounts/team.html", place=next(iter(place.values())), members=accounts.members(**place),
        invitations=onboarding.pending_invitations(**place), form=form,
        confirm_form=ConfirmForm(formdata=None), role_form=RoleForm(formdata=None),
        organisation_roles=ORGANISATION_ROLES, now=now_utc(),
        may_manage=current_user.is_organisation_admin,
        days=LIFETIMES["invitation"].days), status


@bp.get("/account/team")
@login_required
def team():
    """Members (or company users), pending invitations and the invitation form."""
    if current_user.is_admin:
        return redirect(url_for("admin.users"))
    return _render()


@bp.post("/account/team/invite")
@login_required
@limiter.limit(account_form_limit, scope="account-forms")
def invite():
    place = _place()
    form = InviteForm()
    if not current_user.is_organisation_admin:
        del form.organisation_role
    if not form.validate_on_submit():
        return _render(INVALID, form)
    return send_invitation(
        form, lambda: _render(INVALID, form), url_for("accounts.team") + "#invitations",
        role="organiser" if "organisation" in place else "company", name=form.name.data,
        language=form.language.data,
        organisation_role=(form.organisation_role.data if "organisation_role" in form
                           else "member"), **place)


def send_invitation(form, invalid: Callable[[], ResponseReturnValue], back: str, *,
                    role: str, **details) -> ResponseReturnValue:
    """Invite ``form.email`` (``details``: name, language, organisation or company …),
    record it and go ``back``; or show the form again with the errors (shared with the
    admin pages)."""
    try:
        invitation = onboarding.invite(form.email.data, role, current_user, now_utc(),
                                       **details)
    except accounts.AccountError as error:
        db.session.rollback()
        put_errors(form, error)
        return invalid()
    audit("invitation.sent", current_user, f"invitation {invitation.email}",
          ip=client_address(), invitation_id=invitation.id, joins=invitation.joins,
          role=invitation.role)
    db.session.commit()
    flash(_("The invitation to %(email)s is on its way.", email=invitation.email), "success")
    return redirect(back)


def _own_invitation(invitation_id: int) -> Invitation:
    invitation = db.get_or_404(Invitation, invitation_id)
    if not onboarding.may_manage_invitation(current_user, invitation):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return invitation


def invitation_action(invitation: Invitation, action: str, back: str):
    """Send again or withdraw (shared with the admin pages)."""
    try:
        if action == "resent":
            onboarding.resend(invitation, current_user, now_utc())
        else:
            onboarding.withdraw(invitation, current_user, now_utc())
    except accounts.AccountError as error:
        db.session.rollback()
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(back)
    audit(f"invitation.{action}", current_user, f"invitation {invitation.email}",
          ip=client_address(), invitation_id=invitation.id, joins=invitation.joins)
    db.session.commit()
    if action == "resent":
        flash(_("The invitation to %(email)s has been sent again.", email=invitation.email),
              "success")
    else:
        flash(_("The invitation to %(email)s has been withdrawn.", email=invitation.email),
              "success")
    return redirect(back)


@bp.post("/account/team/invitations/<int:invitation_id>/resend")
@login_required
@limiter.limit(account_form_limit, scope="account-forms")
def resend_invitation(invitation_id: int):
    return invitation_action(_own_invitation(invitation_id), "resent",
                             url_for("accounts.team") + "#invitations")


@bp.post("/account/team/invitations/<int:invitation_id>/withdraw")
@login_required
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def withdraw_invitation(invitation_id: int):
    return invitation_action(_own_invitation(invitation_id), "withdrawn",
                             url_for("accounts.team") + "#invitations")


def _member(user_id: int) -> User:
    member = db.get_or_404(User, user_id)
    if not accounts.may_manage_members(current_user, member) or current_user.is_admin:
        abort(404)
    return member


@bp.post("/account/team/members/<int:user_id>/role")
@login_required
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def member_role(user_id: int):
    """An organisation admin makes a member admin, or an admin a member again."""
    member = _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    before = member.organisation_role
    try:
        accounts.set_organisation_role(member, form.organisation_role.data, current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(url_for("accounts.team"))
    audit("user.role_changed", current_user, user_target(member), ip=client_address(),
          changes={"organisation_role": [before, member.organisation_role]})
    db.session.commit()
    flash(_("%(email)s is now: %(role)s.", email=member.email,
            role=ORGANISATION_ROLES[member.organisation_role]), "success")
    return redirect(url_for("accounts.team"))


@bp.post("/account/team/members/<int:user_id>/active")
@login_required
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def member_active(user_id: int):
    """An organisation admin deactivates a member (every session ends) or activates."""
    member = _member(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return switch_active(member, url_for("accounts.team"))


def switch_active(user: User, back: str):
    """Activate or deactivate ``user`` as the form asks, record it and go ``back``
    (shared with the admin pages)."""
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(user, active, current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(back)
    audit("user.activated" if active else "user.deactivated", current_user,
          user_target(user), ip=client_address())
    db.session.commit()
    if active:
        flash(_("%(email)s can log in again.", email=user.email), "success")
    else:
        flash(_("%(email)s is deactivated.", email=user.email), "success")
    return redirect(back)
