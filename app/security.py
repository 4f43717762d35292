"""Security headers for every response.

The Content-Security-Policy allows only this site's own scripts, styles, fonts and
images: pages load nothing from third-party servers and carry no inline script or style
(so an injected ``<script>`` would not run even if escaping ever failed).

Rate limits (Flask-Limiter): the API counts reads and writes per token (or per client
address without one); the login form's POST is limited per client address in
``app.accounts.views``. Behind a reverse proxy the client address is only right when
``PROXY_COUNT`` is set (see ``create_app``).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable

from flask import Flask, Response, current_app, request, session
from flask_limiter import ApplicationLimit
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The one page other sites may show in an iframe (``allow_framing``): any site may frame
# it, everything else about the policy stays.
FRAMEABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")
_FRAMEABLE_VIEWS: set = set()


def allow_framing(view):
    """Mark a view whose pages other sites may frame (``/embed`` only, by design)."""
    _FRAMEABLE_VIEWS.add(view)
    return view


def _frameable() -> bool:
    return current_app.view_functions.get(request.endpoint or "") in _FRAMEABLE_VIEWS


HSTS_MAX_AGE = 31536000  # one year


class TrustedProxyFix:
    """werkzeug's ProxyFix for requests from a trusted proxy only; from anyone else the
    forwarded headers are ignored. The peer's own address stays in the environ
    (``messekalender.peer``) so that logs can show both."""

    def __init__(self, wsgi_app, proxies: int, trusted: Iterable[str]) -> None:
        self.wsgi_app = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=proxies, x_proto=proxies)
        self.trusted = [ipaddress.ip_network(network, strict=False) for network in trusted]

    def is_trusted(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        environ["messekalender.peer"] = peer
        if self.is_trusted(peer):
            return self.fixed(environ, start_response)
        return self.wsgi_app(environ, start_response)


def client_address() -> str:
    """The client's address (after ProxyFix, the one the proxy saw)."""
    return request.remote_addr or "unknown"


def api_client() -> str:
    """Whom an API request counts against: its bearer token (hashed: the storage may be
    shared), else the client address."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "ip:" + client_address()


def _not_api() -> bool:
    return not request.path.startswith("/api/")


API_LIMITS = [
    ApplicationLimit(lambda: current_app.config["API_READ_RATE_LIMIT"], key_function=api_client,
                     scope="api-read", methods=["GET", "HEAD"], exempt_when=_not_api),
    ApplicationLimit(lambda: current_app.config["API_WRITE_RATE_LIMIT"], key_function=api_client,
                     scope="api-write", methods=["POST", "PUT", "PATCH", "DELETE"],
                     exempt_when=_not_api),
]


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# Areas whose pages and answers are personal or not public, whoever asks.
PRIVATE_PREFIXES = ("/account", "/booths", "/manage", "/admin", "/clashes", "/api/v1/bookings",
                    "/api/v1/clashes", "/feeds/company/")


def is_private(response: Response) -> bool:
    """Whether the answer may hold personal or non-public data: it was asked with
    credentials (a session or remember-me cookie, a bearer token), it sets a cookie (a
    changed session is saved after this: its forms hold the session's CSRF token), or it
    belongs to a private area. Static files are the same for everybody."""
    if request.endpoint == "static":
        return False
    credentials = request.headers.get("Authorization") or any(
        name in request.cookies for name in (current_app.config["SESSION_COOKIE_NAME"],
                                             current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                    "remember_token")))
    sets_cookie = "Set-Cookie" in response.headers or getattr(session, "modified", False)
    return bool(credentials or sets_cookie or request.path.startswith(PRIVATE_PREFIXES))


def register(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        if is_private(response):
            # Nothing personal in a shared cache or in the browser's cache on disk; a
            # view that knows better (the public feeds) has set its own.
            headers.setdefault("Cache-Control", "private, no-store")
        if _frameable():
            headers.setdefault("Content-Security-Policy", FRAMEABLE_POLICY)
        else:
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if app.config.get("PRODUCTION"):
            hsts = f"max-age={HSTS_MAX_AGE}"
            if app.config.get("HSTS_INCLUDE_SUBDOMAINS"):
                hsts += "; includeSubDomains"
            headers.setdefault("Strict-Transport-Security", hsts)
        return response
