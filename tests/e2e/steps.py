"""Steps several browser journeys share, as a person takes them."""

from __future__ import annotations

from playwright.sync_api import expect


def open_account_menu(page) -> None:
    """Open the header's account menu (on a phone, the site menu first), as a person would."""
    toggle = page.locator(".site-menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    menu = page.locator("details.account-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()


def log_out(page) -> None:
    """Log out with the button in the account menu."""
    open_account_menu(page)
    page.locator("form[action='/logout'] button[type=submit]").click()
    expect(page.locator("form[action='/logout']")).to_have_count(0)
