"""Bulk provisioning of member companies: CSV upload → preview with per-row errors →
confirm, which imports every valid row in one transaction or nothing.

Admins and organisers may import (the chambers keep their member lists elsewhere). The
rows travel from the preview to the confirm step signed, not stored (see
``app.accounts.companies``).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.accounts import companies
from app.accounts.security import audit, user_target
from app.admin.views import INVALID, bp
from app.extensions import db
from app.forms import BaseForm
from app.security import client_address


class ImportUploadForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a CSV file."))])


class ImportConfirmForm(BaseForm):
    rows = HiddenField(validators=[DataRequired()])


def _render(status: int = 200, **context):
    context.setdefault("form", ImportUploadForm(formdata=None))
    context.setdefault("rows", None)
    context.setdefault("confirm_form", None)
    context.setdefault("file_error", None)
    context.setdefault("imported", None)
    context.setdefault("failed", None)
    return render_template("admin/company_import.html", columns=companies.COLUMNS,
                           max_rows=companies.MAX_ROWS, **context), status


@bp.route("/companies/import", methods=["GET", "POST"])
def import_companies():
    """Upload a CSV and see, row by row, what would be imported and what is wrong."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render(INVALID if form.is_submitted() else 200, form=form)
    raw = form.file.data.read()
    try:
        rows = companies.parse_csv(raw)
    except companies.ImportFileError as error:
        return _render(INVALID, form=form, file_error=str(error.args[0]))
    valid = [row for row in rows if row.valid]
    confirm_form = None
    if valid:
        confirm_form = ImportConfirmForm(formdata=None, rows=companies.sign_rows(rows))
    return _render(200, form=form, rows=rows, confirm_form=confirm_form)


@bp.post("/companies/import/confirm")
def confirm_company_import():
    """Import the previewed valid rows: all of them in one transaction, or none."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        return _render(INVALID, file_error=_("The preview has expired or was changed. "
                                             "Please upload the file again."))
    try:
        rows = companies.unsign_rows(form.rows.data)
    except companies.ImportFileError as error:
        return _render(INVALID, file_error=str(error.args[0]))
    created, users, failed = companies.import_rows(rows)
    if failed:
        db.session.rollback()
        return _render(INVALID, failed=failed)
    for user, _password in users:
        audit("user.created", current_user, user_target(user), ip=client_address(),
              role="company", company=user.company.name, via="csv import")
    db.session.commit()
    return _render(200, imported=created, users=users)
