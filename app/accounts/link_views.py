"""The pages behind the links in mails: forgotten password (``/login/reset``) and
accepting an invitation (``/invitation/<token>``).

A link that is unknown (or tampered with), expired or used leads to one clear page that
offers a new link, with a 404 or 410; nothing changes. The pages carrying a token are
never cached and send no referrer, so the token stays out of other sites' logs.
"""

from __future__ import annotations

import hashlib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import links, onboarding
from app.accounts import services as accounts
from app.accounts.forms import (
    AcceptInvitationForm,
    ConfirmForm,
    NewPasswordForm,
    ResetRequestForm,
)
from app.accounts.security import audit, user_target
from app.accounts.views import INVALID, bp, home_for
from app.extensions import db, limiter
from app.forms import put_errors
from app.security import client_address
from app.time import now_utc

LINK_STATUS = {"unknown": 404, "expired": 410, "used": 410}


def submitted_address() -> str:
    """Rate-limit key: the e-mail address in the form, hashed (the counters may live in a
    shared store), so a flood of requests for one address is stopped whoever sends it."""
    email = accounts.normalise_email(request.form.get("email", ""))[:254]
    return "address:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _limit(setting: str):
    return lambda: current_app.config[setting]


def private(response):
    """Token pages: not cached, no referrer."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_failed(error: links.LinkError, purpose: str):
    """The page for a link that cannot be used, offering the way to a new one."""
    response = current_app.make_response((render_template(
        "accounts/link_invalid.html", reason=error.reason, purpose=purpose),
        LINK_STATUS[error.reason]))
    return private(response)


@bp.route("/login/reset", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT"), methods=["POST"], scope="reset-client")
@limiter.limit(_limit("RESET_ADDRESS_RATE_LIMIT"), methods=["POST"], scope="reset-address",
               key_func=submitted_address)
def reset_request():
    """Ask for a reset link; the answer is the same whether the address has an account."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        status = INVALID if request.method == "POST" else 200
        return render_template("accounts/reset_request.html", form=form, sent=False), status
    now = now_utc()
    user = onboarding.request_password_reset(form.email.data, now)
    if user is not None:
        audit("password.reset_requested", user, user_target(user), ip=client_address())
    db.session.commit()
    return render_template("accounts/reset_request.html", form=form, sent=True)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], scope="links")
def reset_password(token: str):
    """Set a new password with the link from the mail; then logged in, everywhere else out."""
    now = now_utc()
    try:
        link = links.check("password_reset", token, now)
    except links.LinkError as error:
        return link_failed(error, "password_reset")
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = onboarding.reset_password_with_link(token, form.new_password.data, now)
        except links.LinkError as error:
            db.session.rollback()
            return link_failed(error, "password_reset")
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
            status = INVALID
        else:
            audit("password.reset", user, user_target(user), ip=client_address(), via="link")
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            flash(_("Your new password is saved. You are logged in; every other session "
                    "of your account has ended."), "success")
            return redirect(home_for(user))
    elif request.method == "POST":
        status = INVALID
    return private(current_app.make_response((render_template(
        "accounts/reset_password.html", form=form, email=link.user.email), status)))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], scope="links")
def accept_invitation(token: str):
    """Join with the invitation's link: choose a password, and be logged in."""
    now = now_utc()
    try:
        invitation = onboarding.open_invitation(token, now)
    except links.LinkError as error:
        return link_failed(error, "invitation")
    form = AcceptInvitationForm()
    if request.method == "GET" and invitation.name:
        form.name.data = invitation.name
    status = 200
    if form.validate_on_submit():
        try:
            user = onboarding.accept_invitation(token, form.new_password.data,
                                                form.name.data, now)
        except links.LinkError as error:
            db.session.rollback()
            return link_failed(error, "invitation")
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
            status = INVALID
        else:
            audit("invitation.accepted", user, user_target(user), ip=client_address(),
                  invitation_id=invitation.id, joins=invitation.joins)
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            flash(_("Welcome! Your account is ready and you are logged in."), "success")
            return redirect(home_for(user))
    elif request.method == "POST":
        status = INVALID
    return private(current_app.make_response((render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation), status)))


@bp.route("/account/email/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LINK_RATE_LIMIT"), methods=["POST"], scope="links")
def confirm_email(token: str):
    """Confirm a new e-mail address with a button (mail scanners confirm nothing)."""
    now = now_utc()
    try:
        link = onboarding.open_email_change(token, now)
    except links.LinkError as error:
        return link_failed(error, "email_change")
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user, old = onboarding.confirm_email_change(token, now)
        except links.LinkError as error:
            db.session.rollback()
            return link_failed(error, "email_change")
        except accounts.AccountError as error:
            db.session.rollback()
            form.form_errors.extend(message for _field, message in error.errors)
        else:
            audit("email.changed", user, user_target(user), ip=client_address(),
                  changes={"email": [old, user.email]})
            db.session.commit()
            flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.account") if current_user.is_authenticated
                            else url_for("accounts.login"))
    return private(current_app.make_response((render_template(
        "accounts/confirm_email.html", form=form, new_email=link.email),
        INVALID if form.form_errors else 200)))
