"""Browser end-to-end tests: the real app on a local port, driven by headless Chromium.

Every test here is marked ``e2e``. Without a Chromium binary the folder is skipped, except
on CI (environment variable ``CI`` set), where a missing browser is an error: CI installs
it, so a skip there would hide a broken setup.

The served app uses the same database as the ``app`` fixture (so ``make_event`` and
friends seed what the browser sees, and the per-test cleanup applies) but with CSRF
protection on, as in production. After each test the page must have logged no console
errors (this is where Content-Security-Policy violations show up), no request may have
failed or gone to any host but the local server, and the server must not have raised.
A screenshot of the final page is kept in ``test-artifacts/e2e/`` for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import project_root

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"
ARTIFACTS = project_root() / "test-artifacts" / "e2e"
# Playwright's default of 30 s hides a hang for too long; pages here answer in milliseconds.
TIMEOUT_MS = 10_000


def _chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of this folder e2e; skip them without a browser (not on CI)."""
    reason = _chromium_missing()
    for item in items:
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason and not os.environ.get("CI"):
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# --- the live server ----------------------------------------------------------------------


@dataclass
class LiveServer:
    """The served app and where it listens; ``url('/path')`` gives a full address."""

    app: Flask
    base_url: str
    exceptions: list[BaseException] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return self.base_url + path


@pytest.fixture
def live_server(app: Flask, test_config: dict) -> Iterator[LiveServer]:
    """The app, CSRF on, served on a free local port in a thread for one test.

    Depends on ``app`` so that the schema exists, factories write to the same database
    and the tables are emptied after the test (after this server has stopped).
    """
    served = create_app(test_config | {"WTF_CSRF_ENABLED": True})
    server = make_server(LOCAL_HOST, 0, served, threaded=True)
    live = LiveServer(served, f"http://{LOCAL_HOST}:{server.server_port}")

    def record(sender: Flask, exception: BaseException, **extra: object) -> None:
        live.exceptions.append(exception)

    got_request_exception.connect(record, served)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(record, served)
        with served.app_context():
            db.engine.dispose()
    assert not live.exceptions, f"the server raised: {live.exceptions!r}"


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (starting it is the slow part)."""
    if reason := _chromium_missing():
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserLog:
    """What went wrong in the browser during one test.

    A test that provokes an error page on purpose calls ``allow(...)`` with a pattern of
    the console message it expects (Chromium logs "Failed to load resource: the server
    responded with a status of 404" for an error page).
    """

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)

    def allow(self, status: int) -> None:
        """Expect a page answered with ``status`` (e.g. 404) and its console message."""
        self.allowed_statuses.add(status)
        self.allowed.append(re.compile(rf"status of {status}\b"))

    def unexpected_console_errors(self) -> list[str]:
        return [text for text in self.console_errors
                if not any(pattern.search(text) for pattern in self.allowed)]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser, live_server: LiveServer, browser_log: BrowserLog,
         request: pytest.FixtureRequest):
    """A fresh browser context and page for one test, pointed at the live server.

    German locale and Berlin time, like most visitors; relative ``page.goto('/')`` works.
    """
    context = browser.new_context(
        base_url=live_server.base_url, locale="de-DE", timezone_id="Europe/Berlin",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)

    def only_local(sent) -> None:
        # Listening (not routing every request through Python) keeps navigations fast.
        if urlsplit(sent.url).scheme in ("http", "https", "ws", "wss") and (
            urlsplit(sent.url).hostname != LOCAL_HOST
        ):
            browser_log.foreign_requests.append(sent.url)

    context.on("request", only_local)
    page = context.new_page()

    def on_console(message) -> None:
        if message.type == "error":
            browser_log.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_response(response) -> None:
        status = response.status
        if status >= 500 or (
            status >= 400
            and not (response.request.is_navigation_request()
                     and status in browser_log.allowed_statuses)
        ):
            browser_log.failed_requests.append(f"{status} {response.url}")

    def on_request_failed(failed) -> None:
        # ERR_ABORTED: the browser cancelled the request itself because the page moved on
        # (e.g. the favicon of a page that was left at once), not a failure of the server.
        if urlsplit(failed.url).hostname == LOCAL_HOST and failed.failure != "net::ERR_ABORTED":
            browser_log.failed_requests.append(f"{failed.failure} {failed.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_log.console_errors.append(f"uncaught: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        finally:
            context.close()
    assert not browser_log.unexpected_console_errors(), (
        f"console errors: {browser_log.unexpected_console_errors()}"
    )
    assert not browser_log.foreign_requests, (
        f"requests to other hosts: {browser_log.foreign_requests}"
    )
    assert not browser_log.failed_requests, f"failed requests: {browser_log.failed_requests}"


# --- steps several journeys share ---------------------------------------------------------


@pytest.fixture
def log_in(page):
    """Log in through the real form (CSRF and all); lands on the user's home page."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    def step(email: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        form = page.locator("main form[action='/login']")
        form.locator("#email").fill(email)
        form.locator("#password").fill(password)
        form.locator("button[type=submit]").click()
        expect(page.locator("form[action='/logout']")).to_have_count(1)

    return step


@pytest.fixture
def switch_language(page):
    """Press the language switch in the header, as a visitor would."""
    from playwright.sync_api import expect

    def step(language: str) -> None:
        page.locator(f".language-switch button[name=lang][value={language}]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)

    return step
