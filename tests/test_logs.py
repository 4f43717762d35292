"""No token, password, reset link or session reaches any log line (app.logs), and a
database outage is logged with one traceback, then one line per request."""

from __future__ import annotations

import functools
import logging
import re

import pytest
from flask import request
from werkzeug.routing import AnyConverter, IntegerConverter

from app.logs import OutageLog, redact
from tests.conftest import login

FEED_TOKEN = "Zs8Kq3vN0pLmW7xYb2Rt5uH9jD4fG6aE1cVnB0qP4sT"
BEARER = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3"
PASSWORD = "correct-horse-battery-42"
NEW_PASSWORD = "new-secret-horse-77"
RESET = "rst-9Yq2Lm7Kx4Pw1Zb8Nc5Vd3Hf6Jg0Tr2Ws5Ae8Qu1"
QUERY_TOKEN = "qry-7Hj3Kl9Mn2Bv5Cx8Zq1Wr4Ty6Ui0Op3As6Df9Gh2"
SECRETS = [FEED_TOKEN, BEARER, PASSWORD, NEW_PASSWORD, RESET, QUERY_TOKEN]


class Collect(logging.Handler):
    """Every log line as a handler would write it, traceback included."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def logs():
    handler = Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def path_for(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif "token" in name or "key" in name:
            values[name] = RESET if "reset" in rule.rule else FEED_TOKEN
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def failing(view):
    """The view reads its input as real views do, then fails with an error whose text
    carries everything the request holds (as a careless exception message or a database
    error's parameters would)."""

    @functools.wraps(view)
    def fail(**kwargs):
        carried = [repr(kwargs), request.url, str(request.headers), repr(request.form.to_dict()),
                   repr(request.args.to_dict())]
        logging.getLogger("app.test").warning("serving %s with %s", request.url, kwargs)
        raise RuntimeError("failed while serving: " + " | ".join(carried))

    return fail


def test_errors_on_every_route_leak_no_secret(app, client, logs, make_user):
    """Every route (so every token-bearing one, and those added later) fails with the
    request's secrets in the exception: the 500 is logged, the secrets are not."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, make_user("admin@example.org", "admin"))
    session_cookie = client.get_cookie("session").value
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = failing(view)
    requests = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = path_for(rule)
        body = {"password": PASSWORD, "new_password": NEW_PASSWORD,
                "current_password": PASSWORD, "token": QUERY_TOKEN, "note": "x"}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            sent = {"json": body} if path.startswith("/api/") else {"data": body}
            response = client.open(
                path, method=method, query_string={"token": QUERY_TOKEN},
                headers={"Authorization": f"Bearer {BEARER}"}, **sent)
            requests += 1
            assert response.status_code in (401, 403, 404, 500), (method, path)
    text = logs.text
    assert text.count("Traceback") >= 50, text[:2000]
    assert "/feeds/company/…" in text
    for secret in [*SECRETS, session_cookie]:
        assert secret not in text, re.findall(rf".{{0,80}}{re.escape(secret)}.{{0,20}}", text)[:3]
    print(f"{requests} requests on {len(list(app.url_map.iter_rules())) - 1} routes, "
          f"{text.count('Traceback')} tracebacks logged, no secret in {len(logs.lines)} lines")


def test_secrets_are_recognised_outside_a_request(logs):
    """Scheduler and gunicorn lines have no request to ask: the shapes are enough."""
    log = logging.getLogger("app.jobs")
    log.error("SMTP login failed for smtp://mailer:%s@mail.example.org:587", PASSWORD)
    log.warning('"GET /feeds/company/%s.ics HTTP/1.1" 200', FEED_TOKEN)
    log.warning("GET /login/reset/%s", RESET)
    log.info("Authorization: Bearer %s", BEARER)
    log.info("form: password=%s&email=a@example.org", NEW_PASSWORD)
    log.info("issued %s", QUERY_TOKEN)
    try:
        raise ValueError(f"token={QUERY_TOKEN}")
    except ValueError:
        log.exception("failed")
    for secret in SECRETS:
        assert secret not in logs.text
    assert "a@example.org" in logs.text and "mail.example.org" in logs.text
    assert "/login/reset/…" in logs.text


@pytest.mark.parametrize("text", [
    "Event 6fadd7bc-c8f2-4480-954e-31de32451507@messekalender-suedwestfalen.de saved",
    "deliver-outbox: 3 sent, 0 failed",
    "GET /feeds/district/HSK.ics 200",
    "Running upgrade 99a32e333a6f -> f69f35581d60",
])
def test_ordinary_lines_stay_readable(text):
    assert redact(text) == text


def test_outage_log_one_traceback_per_outage(logs):
    outages = OutageLog(gap=60)
    log = logging.getLogger("app.outage")
    for second in (0, 1, 2, 30, 89):  # one outage: each failure within 60 s of the last
        try:
            raise ConnectionError("connection refused")
        except ConnectionError:
            outages.failure(log, f"GET /events/{second}", now=float(second))
    assert logs.text.count("Traceback") == 1
    assert len(logs.lines) == 5
    assert "failure 5 of this outage, for 89 s" in logs.lines[-1]
    try:
        raise ConnectionError("connection refused")
    except ConnectionError:
        outages.failure(log, "GET /", now=200.0)  # a new outage
    assert logs.text.count("Traceback") == 2
