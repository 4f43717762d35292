"""Who is asking: session users for pages, bearer tokens for the API."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import contains_eager

from app.accounts.models import ApiToken, User
from app.extensions import db
from app.time import as_utc, now_utc

# How exact "last used" is kept: an API client may send many requests a second, and a
# write on each would put every request into a writing transaction (on SQLite, behind
# the database's one write lock). One write per token and hour is enough to tell a
# token in use from a forgotten one.
LAST_USED_PRECISION = timedelta(hours=1)


# Built once (SQLAlchemy keeps its cache key): every API request runs it.
_TOKEN = (select(ApiToken).join(ApiToken.user)
          .where(ApiToken.token_hash == bindparam("token_hash"))
          .options(contains_eager(ApiToken.user).joinedload(User.company)))


def load_user(session_id: str) -> User | None:
    """The user of a session or remember cookie, if it is still theirs: the id carries the
    session version (``User.get_id``), so a cookie issued before the version was raised,
    or one of a deactivated user, logs nobody in."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def user_for_token(token: str, now: datetime | None = None) -> User | None:
    """The active user behind an unrevoked token (with its company loaded), or None.

    One query; it writes only when the token's ``last_used_at`` is older than
    ``LAST_USED_PRECISION`` (returns the user either way; see ``token_touched``)."""
    if not token or len(token) > 200:
        return None
    api_token = db.session.execute(
        _TOKEN, {"token_hash": ApiToken.hash(token)}).unique().scalar_one_or_none()
    if api_token is None or not api_token.active or not api_token.user.active:
        return None
    now = now or now_utc()
    if stale(api_token.last_used_at, now):
        touched = db.session.execute(
            update(ApiToken).where(ApiToken.id == api_token.id, or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at < now - LAST_USED_PRECISION))
            .values(last_used_at=now).execution_options(synchronize_session=False)
        ).rowcount
        db.session.info["token_touched"] = bool(touched)
    return api_token.user


def stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or as_utc(last_used_at) < now - LAST_USED_PRECISION


def token_touched() -> bool:
    """Whether the last ``user_for_token`` wrote ``last_used_at`` (the caller commits)."""
    return db.session.info.pop("token_touched", False)


@login_required
def require_organiser() -> None:
    """A blueprint's guard for organisers' pages: organisers and admins come in, anonymous
    visitors are sent to log in first, everyone else gets 403."""
    if not (current_user.is_organiser or current_user.is_admin):
        abort(403)
