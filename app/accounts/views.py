"""Login, logout and the user's own account page (language, password, API tokens)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import onboarding
from app.accounts import services as accounts
from app.accounts.forms import (
    ConfirmForm,
    EmailChangeForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    TokenForm,
)
from app.accounts.models import User
from app.accounts.security import (
    audit,
    begin_login_attempt,
    clear_login_failures,
    login_attempt_failed,
    login_attempt_passed,
    user_target,
)
from app.extensions import db, limiter
from app.forms import put_errors
from app.redirects import is_safe_next
from app.security import client_address, login_rate_limit
from app.time import now_utc

bp = Blueprint("accounts", __name__)


INVALID = 422


def home_for(user: User) -> str:
    """Where a user lands after logging in: their own work."""
    if user.is_admin:
        return url_for("admin.index")
    if user.is_organiser:
        return url_for("editing.index")
    if user.role == "company" and "booths.my_bookings" in current_app.view_functions:
        return url_for("booths.my_bookings")
    return url_for("accounts.account")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    """Log in with e-mail and password; one generic message for any wrong combination.

    Repeated failures lock the e-mail address and the client address for a while (see
    ``app.accounts.security``); the lock message is the same whether the account exists.
    """
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        wanted = request.args.get("next", "")
        form.next.data = wanted if is_safe_next(wanted) else ""
    status = 200
    if form.validate_on_submit():
        ip = client_address()
        attempt = begin_login_attempt(form.email.data, ip)
        if attempt.refused:
            form.form_errors.append(ngettext(
                "Too many failed logins. For your security, logging in is paused for "
                "%(num)d minute. Please try again later.",
                "Too many failed logins. For your security, logging in is paused for "
                "%(num)d minutes. Please try again later.",
                max(1, round(current_app.config["LOGIN_LOCKOUT"] / 60)),
            ))
            retry = int((attempt.locked_until - now_utc()).total_seconds()) + 1
            return render_template("accounts/login.html", form=form), 429, {
                "Retry-After": str(max(retry, 1))}
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            email = accounts.normalise_email(form.email.data)
            locked = login_attempt_failed(attempt)
            audit("login.failure", None, email, ip=ip)
            if locked:
                audit("login.locked", None, email, ip=ip, scopes=locked)
            db.session.commit()
            form.form_errors.append(_("E-mail address or password is wrong."))
            status = 401
        elif not user.active:
            login_attempt_passed(attempt)
            db.session.commit()
            form.form_errors.append(
                _("This account is deactivated. Please contact the calendar's administrators.")
            )
            status = 403
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            clear_login_failures(user.email)
            audit("login.success", user, user_target(user), ip=ip)
            db.session.commit()
            flash(_("You are logged in."), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else home_for(user))
    elif request.method == "POST":
        status = INVALID
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Log out (POST with CSRF token, so a link on another site cannot log anyone out)."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        accounts.end_sessions(current_user)
        audit("logout", current_user, user_target(current_user), ip=client_address())
        db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("calendar.index"))


@bp.post("/account/sessions/end")
@login_required
def end_all_sessions():
    """Log out on all devices: every session and remember cookie of the user ends."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    accounts.end_sessions(current_user)
    audit("logout.everywhere", current_user, user_target(current_user), ip=client_address())
    db.session.commit()
    logout_user()
    flash(_("You are logged out on all devices."), "info")
    return redirect(url_for("accounts.login"))


def stay_logged_in(user: User) -> None:
    """Log this browser in again after the user's sessions were ended by their own action
    (a password change): with a remember cookie again if it had one."""
    had_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in \
        request.cookies
    login_user(user, remember=had_cookie)


def _render_account(status: int = 200, **forms):
    forms.setdefault("language_form", LanguageForm(formdata=None, language=current_user.language))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("token_form", TokenForm(formdata=None))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("new_token", None)
    forms.setdefault("new_token_label", None)
    return render_template(
        "accounts/account.html", user=current_user, tokens=accounts.user_tokens(current_user),
        revoke_form=ConfirmForm(formdata=None), **forms,
    ), status


@bp.get("/account")
@login_required
def account():
    """The user's own account: who they are, language, password, API tokens."""
    return _render_account()


@bp.post("/account/language")
@login_required
def account_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return _render_account(INVALID, language_form=form)
    accounts.set_language(current_user, form.language.data)
    session["lang"] = form.language.data
    db.session.commit()
    flash(_("Your language preference is saved."), "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/password")
@login_required
def account_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            onboarding.password_changed(current_user, now_utc())
            audit("password.changed", current_user, user_target(current_user),
                  ip=client_address())
            db.session.commit()
            stay_logged_in(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(INVALID, password_form=form)


@bp.post("/account/email")
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_FORM_RATE_LIMIT"], scope="account-forms")
def account_email():
    """Ask to change the address: a link goes to the new address, the old one is told."""
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            onboarding.request_email_change(current_user, form.new_email.data,
                                            form.current_password.data, now_utc())
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            audit("email.change_requested", current_user, user_target(current_user),
                  ip=client_address())
            db.session.commit()
            flash(_("Please confirm the new address with the link we have sent to %(email)s. "
                    "Until then your current address stays valid.",
                    email=accounts.normalise_email(form.new_email.data)), "success")
            return redirect(url_for("accounts.account"))
    return _render_account(INVALID, email_form=form)


@bp.post("/account/tokens")
@login_required
def create_token():
    """Issue an API token and show it on this response only (only its hash is stored)."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_account(INVALID, token_form=form)
    token = accounts.issue_token(current_user, form.label.data)
    audit("token.created", current_user, user_target(current_user), ip=client_address(),
          label=form.label.data)
    db.session.commit()
    flash(_("Your new API token is shown below. Copy it now: it will not be shown again."),
          "success")
    return _render_account(200, new_token=token, new_token_label=form.label.data)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's own tokens; anyone else's token id is a 404."""
    token = accounts.own_token(current_user, token_id)
    if token is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.revoke_token(token)
    audit("token.revoked", current_user, user_target(current_user), ip=client_address(),
          label=token.label, token_id=token.id)
    db.session.commit()
    flash(_("The token “%(label)s” has been revoked.", label=token.label), "success")
    return redirect(url_for("accounts.account"))

