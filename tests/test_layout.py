"""What every page's layout gives: the compact header with its menus, hyphenation of long
words in narrow cells."""

from __future__ import annotations

import re

from app.templating import hyphenate
from tests.conftest import login

SHY = "\u00ad"


def test_long_german_words_get_soft_hyphens_at_syllables(app):
    with app.test_request_context():
        text = hyphenate("Ausbildungsmesse Olpe <script>")
    assert text.replace(SHY, "") == "Ausbildungsmesse Olpe <script>"
    assert f"dungs{SHY}mes{SHY}se" in text  # breaks at syllables, never "Ausbildungsmess e"
    assert "Olpe" in text  # short words stay whole
    assert hyphenate(None) == ""


def test_month_grid_titles_are_hyphenated_and_escaped(client, make_event):
    event = make_event("Ausbildungsmesse <Siegen>")
    month = (event.starts_at.strftime("%Y-%m"))
    html = client.get(f"/?view=month&month={month}").get_data(as_text=True)
    title = re.search(r'<span class="day-event__title">([^<]*)</span>', html).group(1)
    assert SHY in title and title.replace(SHY, "") == "Ausbildungsmesse &lt;Siegen&gt;"


def test_logged_in_header_keeps_account_and_logout_in_one_menu(client, organiser_a):
    login(client, organiser_a)
    html = client.get("/").get_data(as_text=True)
    header = html[html.index("<header"):html.index("</header>")]
    menu = header[header.index('<details class="account-menu">'):header.index("</details>")]
    assert "a@ihk-siegen.example" in menu  # the whole address, not cut, in the menu
    assert 'action="/logout"' in menu and 'href="/account"' in menu
    assert "IHK Siegen" in menu
    # The phone's menu button is added by site.js; without it everything stays visible.
    assert re.search(r'<button type="button" class="site-menu-toggle"[^>]*hidden>', header)
    assert 'aria-controls="site-menu"' in header


def test_anonymous_header_offers_login_and_language(client):
    html = client.get("/").get_data(as_text=True)
    header = html[html.index("<header"):html.index("</header>")]
    assert 'class="site-login" href="/login"' in header
    assert "account-menu" not in header
    assert header.count('name="lang"') == 2
