"""Login throttling and the security audit log.

Both live in the database, not in process memory, so that they hold across several web
workers and hosts: a failed login recorded by one worker counts in every other.

Throttling: after ``LOGIN_FAILURE_LIMIT`` failed logins within ``LOGIN_FAILURE_WINDOW``
for one e-mail address (whether an account exists or not, so nobody learns that), or from
one client address, that address is locked for ``LOGIN_LOCKOUT`` — even the right password
is refused then. A successful login clears the account's failures.

Counting and checking are one atomic step (``begin_login_attempt``): an attempt is
counted *before* its password is checked, under a lock per e-mail and client address
(``app.locks``), so however many arrive at once — from many addresses, at many workers —
at most ``LOGIN_FAILURE_LIMIT`` passwords are checked per window; the others are refused
as locked without a check.

Audit log: one row per security-relevant action (who, what, on whom, from where), written
by ``audit()`` in the same transaction as the action itself, so a rolled-back action
leaves no entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, delete, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.locks import serialise
from app.time import now_utc
from app.types import UTCDateTime

# --- models ----------------------------------------------------------------------------


class LoginFailure(db.Model):
    """A failed login: the address that was tried and the client it came from."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(45))


class LoginLock(db.Model):
    """A lock-out of an e-mail address (scope ``account``) or a client (scope ``ip``)."""

    __tablename__ = "login_locks"
    __table_args__ = (Index("ix_login_locks_scope_key_until", "scope", "key", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(254))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """One security-relevant action. ``target`` is readable text ("user a@b.example")."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


# --- audit log -------------------------------------------------------------------------

# The actions the log knows, with a label for the admin page. The codes are stable.
ACTIONS = {
    "login.success": _l("Login"),
    "login.failure": _l("Failed login"),
    "login.locked": _l("Login locked"),
    "logout": _l("Logout"),
    "logout.everywhere": _l("Logged out on all devices"),
    "password.changed": _l("Password changed"),
    "password.reset": _l("Password reset"),
    "password.reset_requested": _l("Password reset link requested"),
    "invitation.sent": _l("Invitation sent"),
    "invitation.resent": _l("Invitation sent again"),
    "invitation.withdrawn": _l("Invitation withdrawn"),
    "invitation.accepted": _l("Invitation accepted"),
    "company_request.submitted": _l("Company asked for access"),
    "company_request.confirmed": _l("Company request confirmed"),
    "company_request.approved": _l("Company request approved"),
    "company_request.rejected": _l("Company request rejected"),
    "email.change_requested": _l("E-mail change requested"),
    "email.changed": _l("E-mail address changed"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "feed.created": _l("Calendar subscription created"),
    "feed.revoked": _l("Calendar subscription revoked"),
    "user.created": _l("User created"),
    "account.deleted": _l("Account deleted"),
    "user.activated": _l("User activated"),
    "user.deactivated": _l("User deactivated"),
    "user.role_changed": _l("Role in the organisation changed"),
    "organisation.created": _l("Organisation created"),
    "organisation.changed": _l("Organisation changed"),
    "company.changed": _l("Company changed"),
    "legal.changed": _l("Legal page changed"),
    "mail.retried": _l("Undeliverable e-mail sent again"),
    "mail.discarded": _l("Undeliverable e-mail discarded"),
}


def audit(action: str, actor: User | None, target: str | None = None, *,
          ip: str | None = None, **details) -> AuditEntry:
    """Record ``action`` by ``actor``; the caller commits with the action itself."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(action=action, actor_id=actor.id if actor is not None else None,
                       target=(target or "")[:300] or None,
                       ip=(ip or "")[:45] or None, details=details, at=now_utc())
    db.session.add(entry)
    db.session.flush()
    return entry


def describe(details: dict) -> list[str]:
    """An entry's details as short lines for the admin page ("name: old → new")."""
    lines = []
    for key, value in sorted((details or {}).items()):
        if key == "changes" and isinstance(value, dict):
            lines += [f"{name}: {old or '–'} → {new or '–'}"
                      for name, (old, new) in sorted(value.items())]
        elif value not in (None, "", [], {}):
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            lines.append(f"{key}: {shown}")
    return lines


def user_target(user: User) -> str:
    return f"user {user.email}"


def audit_entries(action: str | None = None, user: str | None = None):
    """The log, newest first, as a ``Select`` to paginate; ``user`` matches the actor's
    e-mail or the target text (case-insensitive, part of it is enough)."""
    query = select(AuditEntry).outerjoin(AuditEntry.actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if user:
        pattern = f"%{user.strip().lower()}%"
        query = query.where(or_(func.lower(User.email).like(pattern),
                                func.lower(AuditEntry.target).like(pattern)))
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


# --- login throttling ------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    limit: int
    window: timedelta
    lockout: timedelta


def throttle_settings() -> Throttle:
    config = current_app.config
    return Throttle(
        limit=config.get("LOGIN_FAILURE_LIMIT", 5),
        window=timedelta(seconds=config.get("LOGIN_FAILURE_WINDOW", 15 * 60)),
        lockout=timedelta(seconds=config.get("LOGIN_LOCKOUT", 15 * 60)),
    )


def _keys(email: str, ip: str) -> list[tuple[str, str]]:
    return [("account", email.strip().lower()[:254]), ("ip", (ip or "unknown")[:45])]


def login_locked_until(email: str, ip: str, now: datetime | None = None) -> datetime | None:
    """When the lock on this e-mail address or client ends; None when neither is locked."""
    now = now or now_utc()
    until = None
    for scope, key in _keys(email, ip):
        found = db.session.execute(
            select(func.max(LoginLock.until))
            .where(LoginLock.scope == scope, LoginLock.key == key, LoginLock.until > now)
        ).scalar_one_or_none()
        if found is not None and (until is None or found > until):
            until = found
    return until


def _failures(email_key: str, ip_key: str, now: datetime, settings: Throttle
              ) -> dict[str, int]:
    """Failures per scope in the window, counting afresh after a lock (failures up to a
    lock do not lock again)."""
    counts = {}
    for scope, key, column in (("account", email_key, LoginFailure.email),
                               ("ip", ip_key, LoginFailure.ip)):
        since = now - settings.window
        last_lock = db.session.execute(
            select(func.max(LoginLock.locked_at))
            .where(LoginLock.scope == scope, LoginLock.key == key)
        ).scalar_one_or_none()
        if last_lock is not None and last_lock >= since:
            since = last_lock
        counts[scope] = db.session.execute(
            select(func.count()).select_from(LoginFailure)
            .where(column == key, LoginFailure.at > since)
        ).scalar_one()
    return counts


def _lock(counts: dict[str, int], email_key: str, ip_key: str, now: datetime,
          settings: Throttle) -> list[str]:
    keys = {"account": email_key, "ip": ip_key}
    locked = [scope for scope, count in counts.items() if count >= settings.limit]
    for scope in locked:
        db.session.add(LoginLock(scope=scope, key=keys[scope], locked_at=now,
                                 until=now + settings.lockout))
    db.session.flush()
    return locked


def record_login_failure(email: str, ip: str, now: datetime | None = None) -> list[str]:
    """Count a failed login; return the scopes ("account", "ip") that it has just locked."""
    now = now or now_utc()
    settings = throttle_settings()
    (_, email_key), (_, ip_key) = _keys(email, ip)
    db.session.add(LoginFailure(email=email_key, ip=ip_key, at=now))
    db.session.flush()
    return _lock(_failures(email_key, ip_key, now, settings), email_key, ip_key, now,
                 settings)


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt counted before its password is checked. ``refused``: over the
    limit (or locked) — check no password, answer "paused" until ``locked_until``."""

    email_key: str
    ip_key: str
    counts: dict[str, int]
    failure_id: int | None = None
    locked_until: datetime | None = None

    @property
    def refused(self) -> bool:
        return self.failure_id is None


def begin_login_attempt(email: str, ip: str, now: datetime | None = None) -> LoginAttempt:
    """Count this attempt and decide, in one serialised step, whether its password may be
    checked. Commits: the count must be seen by every other attempt at once."""
    now = now or now_utc()
    settings = throttle_settings()
    keys = _keys(email, ip)
    (_, email_key), (_, ip_key) = keys
    db.session.commit()
    serialise(*(f"login:{scope}:{key}" for scope, key in keys))
    failure = LoginFailure(email=email_key, ip=ip_key, at=now)
    db.session.add(failure)
    db.session.flush()
    counts = _failures(email_key, ip_key, now, settings)
    # Locks are read after the failures: a lock is written after its password check,
    # outside the serialised step, and counting starts afresh after it. Had the lock
    # appeared between the two reads (PostgreSQL takes a new snapshot per statement),
    # the count would have restarted without the lock being seen.
    locked_until = login_locked_until(email, ip, now)
    if locked_until is not None or max(counts.values()) > settings.limit:
        # Locked, or as many attempts as allowed are being checked right now.
        db.session.delete(failure)
        db.session.commit()
        return LoginAttempt(email_key, ip_key, counts,
                            locked_until=locked_until or now + settings.lockout)
    db.session.commit()
    return LoginAttempt(email_key, ip_key, counts, failure_id=failure.id)


def login_attempt_failed(attempt: LoginAttempt, now: datetime | None = None) -> list[str]:
    """The password was wrong: the attempt stays counted, and the one that reached the
    limit locks; returns the scopes it has just locked."""
    now = now or now_utc()
    return _lock(attempt.counts, attempt.email_key, attempt.ip_key, now, throttle_settings())


def login_attempt_passed(attempt: LoginAttempt) -> None:
    """The password was right (the account may still be deactivated): not a failure."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.failure_id))
    db.session.flush()


def clear_login_failures(email: str) -> None:
    """A successful login: the account's failed attempts no longer count."""
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.email == email.strip().lower()[:254])
    )
    db.session.flush()


def purge_login_records(now: datetime | None = None) -> int:
    """Delete failures and locks that no longer matter (for a periodic job)."""
    now = now or now_utc()
    settings = throttle_settings()
    removed = db.session.execute(
        delete(LoginFailure).where(LoginFailure.at < now - settings.window)
    ).rowcount
    removed += db.session.execute(
        delete(LoginLock).where(LoginLock.until < now - settings.window)
    ).rowcount
    db.session.flush()
    return removed
