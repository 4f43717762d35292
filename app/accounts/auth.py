"""Who is asking: session users for pages, bearer tokens for the API."""

from __future__ import annotations

from app.accounts.models import ApiToken, User
from app.extensions import db
from app.time import now_utc


def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def user_for_token(token: str) -> User | None:
    """The active user behind an unrevoked token, or None; records when it was last used."""
    if not token or len(token) > 200:
        return None
    api_token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token))
    ).scalar_one_or_none()
    if api_token is None or not api_token.active or not api_token.user.active:
        return None
    api_token.last_used_at = now_utc()
    return api_token.user
