"""Company requests on the admin pages: the queue, one request with the companies of
similar names in the same municipality, approve or reject with a reason."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.accounts import registration
from app.accounts import services as accounts
from app.accounts.models import CompanyRequest
from app.accounts.security import audit
from app.accounts.team_views import account_form_limit
from app.admin.forms import ConfirmForm
from app.admin.views import INVALID, bp
from app.extensions import db, limiter
from app.forms import BaseForm
from app.reference.models import Industry
from app.security import client_address
from app.time import now_utc


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Reason (the company is told)"),
        validators=[DataRequired(_l("Please give a reason.")),
                    Length(max=registration.MAX_REASON)],
        render_kw={"rows": 3, "maxlength": registration.MAX_REASON})


@bp.get("/requests")
def company_requests():
    """Requests waiting for a decision (confirmed addresses only), and the latest decided."""
    pending = db.session.execute(registration.pending_requests()).scalars().all()
    decided = db.session.execute(
        select(CompanyRequest).where(CompanyRequest.status.in_(("approved", "rejected")))
        .order_by(CompanyRequest.decided_at.desc()).limit(20)).scalars().all()
    return render_template("admin/requests.html", pending=pending, decided=decided)


def _render(found: CompanyRequest, status: int = 200, reject_form: RejectForm | None = None):
    industries = {i.code: i.label for i in db.session.execute(select(Industry)).scalars()}
    return render_template(
        "admin/request.html", request_=found, industries=industries,
        similar=registration.similar_companies(found),
        similar_requests=registration.similar_requests(found),
        confirm_form=ConfirmForm(formdata=None),
        reject_form=reject_form or RejectForm(formdata=None)), status


@bp.get("/requests/<int:request_id>")
def company_request(request_id: int):
    found = db.get_or_404(CompanyRequest, request_id)
    if found.status == "unconfirmed":
        abort(404)  # not a request until its address is confirmed
    return _render(found)


@bp.post("/requests/<int:request_id>/approve")
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def approve_request(request_id: int):
    """Create the company and invite its contact person."""
    found = db.get_or_404(CompanyRequest, request_id)
    if found.status == "unconfirmed":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitation = registration.approve(found, current_user, now_utc())
    except accounts.AccountError as error:
        db.session.rollback()
        for _field, message in error.errors:
            flash(message, "error")
        return redirect(url_for("admin.company_request", request_id=request_id))
    audit("company_request.approved", current_user, f"request {found.company_name}",
          ip=client_address(), request_id=found.id, company_id=found.company_id,
          invitation_id=invitation.id)
    db.session.commit()
    flash(_("“%(name)s” is approved; %(email)s has been invited.", name=found.company_name,
            email=found.email), "success")
    return redirect(url_for("admin.company_requests"))


@bp.post("/requests/<int:request_id>/reject")
@limiter.limit(account_form_limit, methods=["POST"], scope="account-forms")
def reject_request(request_id: int):
    found = db.get_or_404(CompanyRequest, request_id)
    if found.status == "unconfirmed":
        abort(404)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render(found, INVALID, form)
    try:
        registration.reject(found, current_user, form.reason.data, now_utc())
    except accounts.AccountError as error:
        db.session.rollback()
        form.form_errors.extend(message for _field, message in error.errors)
        return _render(found, INVALID, form)
    audit("company_request.rejected", current_user, f"request {found.company_name}",
          ip=client_address(), request_id=found.id, reason=found.rejection_reason[:200])
    db.session.commit()
    flash(_("The request of “%(name)s” is rejected; the reason has been sent.",
            name=found.company_name), "success")
    return redirect(url_for("admin.company_requests"))


@bp.app_context_processor
def pending_count() -> dict:
    """The number of waiting requests, for the admin navigation."""
    def count() -> int:
        return registration.count_pending() if request.blueprint == "admin" else 0

    return {"pending_company_requests": count}
