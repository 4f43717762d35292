"""Admin page of the mail outbox: the messages given up on, with their errors; retry or
discard each (nothing is dropped silently: a discarded message stays in the table, and
both actions are in the audit log)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.security import audit
from app.admin.forms import ConfirmForm
from app.admin.views import require_admin
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.models import OutboxMessage
from app.routing import page_number
from app.security import client_address
from app.time import now_utc

bp = Blueprint("admin_outbox", __name__, url_prefix="/admin")
bp.before_request(require_admin)  # admins only: messages name their recipients

PAGE_SIZE = 50


@bp.get("/outbox")
def failed_mail():
    """The failed messages, newest first: recipient, subject, attempts and the error."""
    page = db.paginate(outbox.failed_messages(), page=page_number(), per_page=PAGE_SIZE,
                       max_per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/outbox.html", page=page, counts=outbox.outbox_counts(),
                           confirm_form=ConfirmForm(formdata=None))


def _act(message_id: int, action, audit_action: str, done: str):
    message = db.get_or_404(OutboxMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(message, now_utc())
    except outbox.NotFailed:
        db.session.rollback()
        flash(_("This message has been dealt with already."), "info")
        return redirect(url_for("admin_outbox.failed_mail"))
    audit(audit_action, current_user, f"mail {message.id} to {message.recipient}",
          ip=client_address(), subject=message.subject)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin_outbox.failed_mail"))


@bp.post("/outbox/<int:message_id>/retry")
def retry_mail(message_id: int):
    """Send a failed message again with the next delivery run."""
    return _act(message_id, outbox.retry_message, "mail.retried",
                _("The message will be sent again with the next delivery run."))


@bp.post("/outbox/<int:message_id>/discard")
def discard_mail(message_id: int):
    """Give a failed message up (it is kept, marked discarded)."""
    return _act(message_id, outbox.discard_message, "mail.discarded",
                _("The message has been discarded."))
