"""The user's own data: download it as JSON, delete the account (``/account/data``)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from app.accounts import services as accounts
from app.accounts.security import audit
from app.accounts.team_views import account_form_limit
from app.extensions import db, limiter
from app.forms import BaseForm, put_errors
from app.privacy import services
from app.security import client_address
from app.time import now_utc

bp = Blueprint("privacy", __name__)


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"),
                             validators=[DataRequired(_l("Please enter your password.")),
                                         Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    understood = BooleanField(
        _l("I understand that my account cannot be restored."),
        validators=[DataRequired(_l("Please confirm that you want to delete your account."))])


def _render(form: DeleteAccountForm, status: int = 200):
    response = Response(render_template("privacy/data.html", form=form), status)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/account/data")
@login_required
def data():
    """What happens to your data, the download and the deletion form."""
    return _render(DeleteAccountForm(formdata=None))


@bp.get("/account/data/export.json")
@login_required
def export():
    """Everything we hold about the user, as a JSON download (never cached)."""
    body = json.dumps(services.export_user_data(current_user), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="messekalender-daten.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/account/data/delete")
@login_required
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def delete():
    """Delete (anonymise) the account; every session ends."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    user = current_user._get_current_object()
    try:
        target = services.delete_account(user, form.password.data, now_utc())
    except accounts.AccountError as error:
        db.session.rollback()
        put_errors(form, error)
        return _render(form, 422)
    audit("account.deleted", user, target, ip=client_address())
    db.session.commit()
    logout_user()
    flash(_("Your account has been deleted."), "info")
    return redirect(url_for("calendar.index"))

