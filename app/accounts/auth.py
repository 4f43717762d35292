"""Who is asking: session users for pages, bearer tokens for the API."""

from __future__ import annotations

from datetime import timedelta

from flask import abort
from flask_login import current_user, login_required

from app.accounts.models import ApiToken, User
from app.extensions import db
from app.time import now_utc

TOKEN_USE_PRECISION = timedelta(minutes=1)


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


def user_for_token(token: str) -> User | None:
    """The active user behind an unrevoked token, or None; records when it was last used."""
    if not token or len(token) > 200:
        return None
    api_token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token))
    ).scalar_one_or_none()
    if api_token is None or not api_token.active or not api_token.user.active:
        return None
    now = now_utc()
    # To the minute: a write (and on SQLite a sync to disk) on every API call would cost
    # more than the call itself.
    if api_token.last_used_at is None or now - api_token.last_used_at >= TOKEN_USE_PRECISION:
        api_token.last_used_at = now
    return api_token.user


@login_required
def require_organiser() -> None:
    """A blueprint's guard for organisers' pages: organisers and admins come in, anonymous
    visitors are sent to log in first, everyone else gets 403."""
    if not (current_user.is_organiser or current_user.is_admin):
        abort(403)
