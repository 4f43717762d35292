"""Admin pages: organisations and users."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import onboarding
from app.accounts import services as accounts
from app.accounts.models import Company, Invitation, Organisation, User
from app.accounts.security import ACTIONS, audit, audit_entries, describe, user_target
from app.accounts.team_views import invitation_action, send_invitation, switch_active
from app.admin.forms import ConfirmForm, OrganisationForm, UserForm
from app.calendar.models import Event
from app.extensions import db
from app.forms import put_errors
from app.public.legal import pages_with_gaps
from app.reference.codes import LANGUAGES, ORGANISATION_KINDS, ORGANISATION_ROLES, STATUSES
from app.routing import page_number
from app.security import client_address
from app.time import now_utc

bp = Blueprint("admin", __name__, url_prefix="/admin")

INVALID = 422


@bp.before_request
@login_required
def require_admin():
    """Admins only; anonymous visitors are sent to the login page first."""
    if not current_user.is_admin:
        abort(403)


@bp.context_processor
def labels() -> dict:
    return {"kinds": ORGANISATION_KINDS, "languages": LANGUAGES, "statuses": STATUSES}


def _count(query) -> int:
    return db.session.execute(query).scalar_one()


@bp.get("/")
def index():
    """What the calendar holds, at a glance."""
    by_status = dict(db.session.execute(
        select(Event.status, func.count()).group_by(Event.status)
    ).all())
    counts = {
        "organisations": _count(select(func.count()).select_from(Organisation)),
        "companies": _count(select(func.count()).select_from(Company)),
        "users": _count(select(func.count()).select_from(User)),
        "inactive_users": _count(select(func.count()).select_from(User)
                                 .where(User.active.is_(False))),
    }
    without_contact = accounts.organisations_without_contact()
    return render_template("admin/index.html", counts=counts,
                           events={status: by_status.get(status, 0) for status in STATUSES},
                           unreachable=accounts.unreachable_organisations(),
                           without_contact=without_contact,
                           legal_gaps=pages_with_gaps())


def _organisations() -> list[Organisation]:
    return list(db.session.execute(
        select(Organisation).options(selectinload(Organisation.users))
        .order_by(Organisation.name)
    ).scalars())


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    """All organisations, and a form to add one."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = accounts.create_organisation(
                form.name.data, form.kind.data,
                website=form.website.data or None, email=form.email.data or None,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            audit("organisation.created", current_user, f"organisation {organisation.name}",
                  ip=client_address(), organisation_id=organisation.id,
                  kind=organisation.kind)
            db.session.commit()
            flash(_("The organisation “%(name)s” has been created.", name=organisation.name),
                  "success")
            return redirect(url_for("admin.organisations"))
    status = INVALID if request.method == "POST" else 200
    return render_template("admin/organisations.html", organisations=_organisations(),
                           form=form), status


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def edit_organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation if request.method == "GET" else None)
    if form.validate_on_submit():
        before = _organisation_fields(organisation)
        try:
            accounts.update_organisation(
                organisation, form.name.data, form.kind.data,
                website=form.website.data, email=form.email.data,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            put_errors(form, error)
        else:
            after = _organisation_fields(organisation)
            changes = {key: [before[key], after[key]] for key in after
                       if before[key] != after[key]}
            audit("organisation.changed", current_user, f"organisation {organisation.name}",
                  ip=client_address(), organisation_id=organisation.id, changes=changes)
            db.session.commit()
            flash(_("The organisation “%(name)s” has been saved.", name=organisation.name),
                  "success")
            return redirect(url_for("admin.organisations"))
    status = INVALID if request.method == "POST" else 200
    return render_template("admin/organisation_form.html", organisation=organisation,
                           form=form), status


def _organisation_fields(organisation: Organisation) -> dict:
    return {"name": organisation.name, "kind": organisation.kind,
            "website": organisation.website, "email": organisation.email}


def _render_users(form: UserForm, status: int = 200):
    users = db.session.execute(
        select(User).options(selectinload(User.organisation), selectinload(User.company))
        .order_by(User.role, User.email)
    ).scalars().all()
    return render_template("admin/users.html", users=users, form=form,
                           confirm_form=ConfirmForm(formdata=None),
                           invitations=onboarding.pending_invitations(), now=now_utc(),
                           organisation_roles=ORGANISATION_ROLES), status


@bp.route("/users", methods=["GET", "POST"])
def users():
    """All users and pending invitations, and a form to invite someone (nobody ever
    sees a password: the invited person chooses it with the link in the mail)."""
    form = UserForm()
    if not form.validate_on_submit():
        return _render_users(form, INVALID if request.method == "POST" else 200)
    organisation = (db.session.get(Organisation, int(form.organisation.data))
                    if form.organisation.data else None)
    company = db.session.get(Company, int(form.company.data)) if form.company.data else None
    return send_invitation(
        form, lambda: _render_users(form, INVALID), url_for("admin.users") + "#invitations",
        role=form.role.data, organisation=organisation, company=company,
        name=form.name.data or None, organisation_role=form.organisation_role.data,
        language=form.language.data)


def _invitation(invitation_id: int) -> Invitation:
    invitation = db.get_or_404(Invitation, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return invitation


@bp.post("/invitations/<int:invitation_id>/resend")
def resend_invitation(invitation_id: int):
    return invitation_action(_invitation(invitation_id), "resent",
                             url_for("admin.users") + "#invitations")


@bp.post("/invitations/<int:invitation_id>/withdraw")
def withdraw_invitation(invitation_id: int):
    return invitation_action(_invitation(invitation_id), "withdrawn",
                             url_for("admin.users") + "#invitations")


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    """Activate or deactivate a user (a deactivated user can neither log in nor use tokens;
    every session of theirs ends at once)."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return switch_active(user, url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    """Send the user a link to set a new password (the admin never sees a password)."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("%(email)s is deactivated; activate the account first.", email=user.email),
              "error")
        return redirect(url_for("admin.users"))
    onboarding.request_password_reset(user.email, now_utc())
    audit("password.reset_requested", current_user, user_target(user), ip=client_address())
    db.session.commit()
    flash(_("%(email)s has been sent a link to set a new password.", email=user.email),
          "success")
    return redirect(url_for("admin.users"))


AUDIT_PAGE_SIZE = 50


@bp.get("/audit")
def audit_log():
    """The security audit log, newest first, filtered by action and user."""
    action = request.args.get("action", "")
    action = action if action in ACTIONS else ""
    user = request.args.get("user", "").strip()[:254]
    page = db.paginate(audit_entries(action or None, user or None), page=page_number(),
                       per_page=AUDIT_PAGE_SIZE, max_per_page=AUDIT_PAGE_SIZE, error_out=False)
    return render_template("admin/audit.html", page=page, actions=ACTIONS,
                           action=action, user=user, describe=describe)


JOB_HISTORY = 5


@bp.get("/jobs")
def jobs():
    """The scheduler: its heartbeat, the next run of every job and its last runs."""
    from app import jobs as registry
    from app.ops import runs

    now = now_utc()
    history = runs.latest_runs(per_job=JOB_HISTORY)
    rows = [{"job": job, "next_run": registry.next_run_time(job, current_app, now),
             "runs": history.get(job.id, [])} for job in registry.JOBS]
    outcomes = {"running": _("Running"), "ok": _("OK"), "error": _("Error"),
                "skipped": _("Skipped")}
    return render_template("admin/jobs.html", rows=rows, outcomes=outcomes,
                           heartbeat=runs.heartbeat_status(now))

