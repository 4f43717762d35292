"""Logging: no secret reaches any log line, and a database outage is one traceback.

Redaction happens where every log record of the process is made (``logging``'s record
factory), so it holds for every logger and handler — the app's, werkzeug's, gunicorn's
access and error logs, the scheduler's — whatever configures them. A record's message and
its traceback are rendered once and cleaned of

- the secrets of the request being served: a token in the URL (``<token>`` arguments),
  the bearer token of the ``Authorization`` header, its cookies (session, remember-me),
  password and token fields of the form, ``token`` query arguments;
- secrets recognisable by their place: private feed and reset addresses
  (``/feeds/company/…``, ``…/reset/…``), ``Bearer …``, ``password=…``/``token=…``/
  ``session=…`` pairs,
  the password in ``scheme://user:password@host`` URLs, and long random-looking strings
  (40+ URL-safe characters: our tokens are 43).

A database outage makes every request fail the same way: the first failure is logged
with its traceback, the others of the same outage (failures less than
``OUTAGE_GAP`` apart) as one line each — per worker process.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable

from flask import has_request_context, request

REDACTED = "[redacted]"
# Paths whose last part is a secret (a private feed, a password reset or confirmation).
_SECRET_PATH = re.compile(r"(/feeds/company/|/reset/|/confirm/)[^/\s?#\"'<>]+")
_BEARER = re.compile(r"(\bBearer\s+)[^\s\"',;]+", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"(\b\w*(?:password|passwort|token|secret|api_key|session)\w*['\"]?\s*[=:]\s*['\"]?)"
    r"(?!\s|\[redacted\])([^\s&\"',;)}\]]+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+(@)", re.IGNORECASE)
_RANDOM = re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])"
                     r"[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])")
# Names of form fields, query and URL arguments that hold secrets.
_SECRET_NAME = re.compile(r"password|passwort|token|secret|key", re.IGNORECASE)
_MIN_SECRET = 6  # shorter "secrets" (a test's "x") would blank out ordinary words

OUTAGE_GAP = 60.0  # seconds without a database error that end an outage


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secrets and without anything that looks like one."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len,
                         reverse=True):
        text = text.replace(secret, REDACTED)
    text = _SECRET_PATH.sub(lambda match: match.group(1) + "…", text)
    text = _BEARER.sub(lambda match: match.group(1) + REDACTED, text)
    text = _URL_PASSWORD.sub(lambda match: match.group(1) + REDACTED + match.group(2), text)
    text = _SECRET_PAIR.sub(lambda match: match.group(1) + REDACTED, text)
    return _RANDOM.sub(REDACTED, text)


def request_secrets() -> list[str]:
    """The secrets the current request carries (none outside a request)."""
    if not has_request_context():
        return []
    found = [str(value) for name, value in (request.view_args or {}).items()
             if _SECRET_NAME.search(name)]
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if credentials.strip():
        found.append(credentials.strip())
    found += request.cookies.values()  # the session and remember-me cookies
    form = request.__dict__.get("form")  # only if the view read it: never parse here
    for values in (form, request.args):
        found += [value for name, value in (values.items(multi=True) if values else ())
                  if _SECRET_NAME.search(name)]
    return found


_installed = False
_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Clean every log record of this process as it is made (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def redacting_record(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            try:
                secrets = request_secrets()
                record.msg, record.args = redact(record.getMessage(), secrets), ()
                if record.exc_info and record.exc_info[0] is not None:
                    record.exc_text = redact(
                        logging.Formatter().formatException(record.exc_info), secrets)
                if record.stack_info:
                    record.stack_info = redact(record.stack_info, secrets)
            except Exception:  # noqa: BLE001 - never lose a log line to the cleaning
                record.msg, record.args = "(log message withheld: it could not be cleaned)", ()
                record.exc_info = record.exc_text = None
            return record

        logging.setLogRecordFactory(redacting_record)
        _installed = True


class OutageLog:
    """Logs database failures: a traceback for the first of an outage, then one line."""

    def __init__(self, gap: float = OUTAGE_GAP) -> None:
        self.gap = gap
        self.last_failure: float | None = None
        self.started = 0.0
        self.failures = 0
        self._lock = threading.Lock()

    def failure(self, logger: logging.Logger, description: str,
                now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            new = self.last_failure is None or now - self.last_failure > self.gap
            if new:
                self.started, self.failures = now, 0
            self.last_failure = now
            self.failures += 1
            failures, since = self.failures, now - self.started
        if new:
            logger.exception("database unavailable: %s (first failure of an outage; "
                             "further ones are logged as one line each)", description)
        else:
            logger.error("database unavailable: %s (failure %d of this outage, for %.0f s)",
                         description, failures, since)
