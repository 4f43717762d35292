"""Where a form may send the visitor back to: this site only (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_safe_next(target: str | None) -> bool:
    """Only a relative path on this site: no scheme, no host, no ``//`` or ``\\`` tricks."""
    if not target or len(target) > 500 or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 32 or char.isspace() for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
