"""What we hold about a user (Art. 15/20 GDPR) and deleting an account (Art. 17).

Deleting anonymises instead of removing the row. Decision: bookings belong to the
company and an event's history to its organisation; both are records others rely on (the
fair's exhibitor list, who changed a date), so they stay, and their link to the person
now shows "gelöschtes Konto". What identifies the person goes at once: e-mail address,
name, password, sessions and API tokens, open links, failed logins and queued or sent
mails to the address, the address in audit-log targets, company requests from it. A
company whose last user is deleted keeps its bookings and its contact address.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from app.accounts import services as accounts
from app.accounts.models import ApiToken, CompanyRequest, Invitation, LinkToken, User
from app.accounts.security import AuditEntry, LoginFailure, user_target
from app.booths.models import Booking
from app.calendar.models import EventChange
from app.clashes.models import ClashAction
from app.extensions import db
from app.outbox.models import OutboxMessage

DELETED_NAME = "gelöschtes Konto"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict:
    """Everything stored about ``user``, as plain JSON-ready data (no secrets: no
    password hash, no token hashes)."""
    target = user_target(user)
    audit_rows = db.session.execute(
        select(AuditEntry).where(or_(AuditEntry.actor_id == user.id,
                                     AuditEntry.target == target))
        .order_by(AuditEntry.at)).scalars()
    changes = db.session.execute(
        select(EventChange).where(EventChange.user_id == user.id)
        .order_by(EventChange.at)).scalars()
    bookings = db.session.execute(
        select(Booking).where(or_(Booking.created_by_id == user.id,
                                  Booking.decided_by_id == user.id,
                                  Booking.cancelled_by_id == user.id))
        .order_by(Booking.created_at)).scalars()
    clash_notes = db.session.execute(
        select(ClashAction).where(ClashAction.user_id == user.id)
        .order_by(ClashAction.at)).scalars()
    return {
        "account": {
            "email": user.email, "name": user.name, "role": user.role,
            "language": user.language, "active": user.active,
            "organisation": user.organisation.name if user.organisation else None,
            "organisation_role": user.organisation_role if user.is_organiser else None,
            "company": user.company.name if user.company else None,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        },
        "api_tokens": [{"label": token.label, "created_at": _iso(token.created_at),
                        "last_used_at": _iso(token.last_used_at),
                        "revoked_at": _iso(token.revoked_at)}
                       for token in db.session.execute(select(ApiToken).where(
                           ApiToken.user_id == user.id)).scalars()],
        "invitations_sent": [
            {"email": invitation.email, "into": invitation.joins,
             "sent_at": _iso(invitation.sent_at), "accepted_at": _iso(invitation.accepted_at),
             "withdrawn_at": _iso(invitation.withdrawn_at)}
            for invitation in db.session.execute(select(Invitation).where(
                Invitation.invited_by_id == user.id)).scalars()],
        "security_log": [{"at": _iso(entry.at), "action": entry.action,
                          "target": entry.target, "ip": entry.ip, "details": entry.details}
                         for entry in audit_rows],
        "failed_logins": [{"at": _iso(failure.at), "ip": failure.ip}
                          for failure in db.session.execute(select(LoginFailure).where(
                              LoginFailure.email == user.email)).scalars()],
        "event_changes": [{"event_id": change.event_id, "event": change.event.title,
                           "at": _iso(change.at), "action": change.action, "via": change.via,
                           "changes": change.changes} for change in changes],
        "bookings": [{"event": booking.event.title, "category": booking.category.name,
                      "status": booking.status, "created_at": _iso(booking.created_at),
                      "booked_by_you": booking.created_by_id == user.id,
                      "staff_count": booking.staff_count, "remarks": booking.remarks}
                     for booking in bookings],
        "clash_notes": [{"clash_id": action.clash_id, "action": action.action,
                         "at": _iso(action.at), "note": action.note}
                        for action in clash_notes],
        "mails": [{"created_at": _iso(message.created_at), "subject": message.subject,
                   "sent_at": _iso(message.sent_at)}
                  for message in db.session.execute(select(OutboxMessage).where(
                      OutboxMessage.recipient == user.email)
                      .order_by(OutboxMessage.id)).scalars()],
    }


def _last_admin(user: User) -> bool:
    if user.is_admin:
        admins = db.session.execute(select(func.count()).select_from(User).where(
            User.role == "admin", User.active.is_(True))).scalar_one()
        return admins <= 1
    if user.is_organisation_admin and user.active:
        others = db.session.execute(select(User.organisation_role).where(
            User.organisation_id == user.organisation_id, User.id != user.id,
            User.active.is_(True), User.role == "organiser")).scalars().all()
        return bool(others) and "admin" not in others
    return False


def delete_account(user: User, password: str, now: datetime) -> str:
    """Anonymise ``user`` (see the module's docstring); returns the new audit target."""
    if not user.check_password(password):
        raise accounts.AccountError([("password", str(_l("The password is wrong.")))])
    if _last_admin(user):
        raise accounts.AccountError([("", str(_l(
            "You are the last admin here. Make someone else admin first, so that somebody "
            "can still look after the members.")))])
    old_email, old_target = user.email, user_target(user)
    new_target = f"user #{user.id} (deleted)"
    db.session.execute(update(AuditEntry).where(AuditEntry.target == old_target)
                       .values(target=new_target))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == old_email))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == old_email))
    db.session.execute(delete(CompanyRequest).where(CompanyRequest.email == old_email))
    db.session.execute(delete(LinkToken).where(LinkToken.user_id == user.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = DELETED_NAME
    user.set_password(secrets.token_urlsafe(32))
    user.active = False
    accounts.end_sessions(user)
    db.session.flush()
    return new_target
