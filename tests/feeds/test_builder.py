"""The feed builder page /feeds: filters → addresses, QR code, preview; hostile input."""

import html
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, gettext

from app.calendar import services as calendar
from app.extensions import db
from app.feeds.qr import qr_svg
from app.time import local_today, now_utc


def de(msgid: str, **values) -> str:
    """The German text the page shows (the tests do not pin the translator's wording)."""
    with force_locale("de"):
        return gettext(msgid, **values)


def field_value(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}" value="([^"]*)"', page)
    assert match, f"no input #{field_id}"
    return html.unescape(match[1])


def preview_titles(page: str) -> list[str]:
    return [html.unescape(title) for title in
            re.findall(r'class="feed-preview__title" href="[^"]+">([^<]+)</a>', page)]


def get_page(client, query: str = "", status: int = 200) -> str:
    response = client.get("/feeds" + query)
    assert response.status_code == status, response.data[:500]
    return response.data.decode()


UNKNOWN_DISTRICT = "Unknown district. Please choose districts from the list."


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("", "/feeds/all.ics"),
        ("?district=SI", "/feeds/district/SI.ics"),
        ("?industry=METALL", "/feeds/industry/METALL.ics"),
        ("?district=HSK&district=SO", "/feeds/all.ics?district=HSK&district=SO"),
        ("?district=SI&audience=pupils", "/feeds/all.ics?district=SI&audience=pupils"),
        ("?district=SI&industry=METALL", "/feeds/all.ics?district=SI&industry=METALL"),
        ("?type=job_fair&type=open_day", "/feeds/all.ics?type=job_fair&type=open_day"),
        # A date range makes no sense for a subscription: it is left out.
        ("?district=OE&from=2027-01-01", "/feeds/district/OE.ics"),
    ],
)
def test_filters_give_the_feed_addresses(client, query, path):
    page = get_page(client, query)
    assert field_value(page, "feed-url") == "http://localhost" + path
    assert field_value(page, "feed-webcal") == "webcal://localhost" + path
    assert f'href="{html.escape("webcal://localhost" + path)}"' in page
    # The address works: the same filters give a calendar.
    feed = client.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"


def test_chosen_filters_stay_ticked(client):
    page = get_page(client, "?district=SO&audience=teachers&type=info_evening")
    for box in ("fb-district-SO", "fb-audience-teachers", "fb-type-info_evening"):
        assert re.search(rf'id="{box}" checked', page), box
    assert not re.search(r'id="fb-district-SI" checked', page)
    assert "Messekalender Südwestfalen: Kreis Soest · für Lehrkräfte" in html.unescape(page)


def test_qr_code_is_inline_svg_of_the_https_address(client, app):
    page = get_page(client, "?district=HSK&district=MK")
    url = "http://localhost/feeds/all.ics?district=HSK&district=MK"
    svg = re.search(r"<svg [^>]*class=\"qr-code\".*?</svg>", page, re.S)
    assert svg and 'role="img"' in svg[0] and "<title>" in svg[0]
    # segno cannot decode, but it is deterministic: the page's modules are those of the URL.
    modules = re.search(r'class="qr-code__modules"[^>]* d="([^"]+)"', svg[0])[1]
    expected = re.search(r'class="qr-code__modules"[^>]* d="([^"]+)"', str(qr_svg(url)))[1]
    assert modules == expected
    other = re.search(r'class="qr-code__modules"[^>]* d="([^"]+)"',
                      str(qr_svg("http://localhost/feeds/all.ics")))[1]
    assert modules != other
    assert html.escape(url) in page
    assert "<script>" not in page and ' style="' not in page


def test_preview_lists_exactly_the_feeds_next_events(client, make_event):
    soon = local_today() + timedelta(days=10)
    make_event("Siegen später", town="Siegen", day=soon + timedelta(days=5))
    make_event("Siegen bald", town="Siegen", day=soon)
    make_event("Meschede", town="Meschede", venue="Berufskolleg", day=soon)
    make_event("Siegen Entwurf", town="Siegen", day=soon, status="draft")
    make_event("Siegen reserviert", town="Siegen", day=soon, status="planned")
    make_event("Siegen vorbei", town="Siegen", day=local_today() - timedelta(days=3))
    make_event("Siegen abgesagt", town="Siegen", day=soon + timedelta(days=1),
               status="cancelled")
    page = get_page(client, "?district=SI")
    assert preview_titles(page) == ["Siegen bald", "Siegen abgesagt", "Siegen später"]
    cancelled = page[page.index("Siegen abgesagt"):][:300]
    assert "badge--cancelled" in cancelled
    assert "Siegen · Kreis Siegen-Wittgenstein" in page
    everything = get_page(client)
    assert set(preview_titles(everything)) == {"Siegen bald", "Siegen abgesagt",
                                               "Siegen später", "Meschede"}
    empty = html.unescape(get_page(client, "?district=OE"))
    assert preview_titles(empty) == [] and "feed-preview--empty" in empty
    assert de("No upcoming events match this choice yet. You can subscribe anyway: new events "
              "appear in your calendar as soon as they are published.") in empty


def test_preview_shows_ten_and_says_there_are_more(client, make_event):
    first = local_today() + timedelta(days=3)
    for n in range(12):
        make_event(f"Messe {n:02d}", day=first + timedelta(days=n))
    titles = preview_titles(get_page(client))
    assert titles == [f"Messe {n:02d}" for n in range(10)]
    more = de("The feed holds more events; these are the next %(count)s.", count=10)
    assert more in html.unescape(get_page(client))


def test_a_cancellation_older_than_30_days_leaves_the_preview(client, make_event):
    event = make_event("Abgesagt lange her", day=local_today() + timedelta(days=60),
                       status="cancelled")
    assert preview_titles(get_page(client)) == ["Abgesagt lange her"]
    event.cancelled_at = now_utc() - timedelta(days=31)
    db.session.commit()
    assert preview_titles(get_page(client)) == []


def test_instructions_for_every_app_with_refresh_notes(client):
    page = html.unescape(get_page(client))
    assert f"<h1>{de('Subscribe to the calendar')}</h1>" in page
    for app_name in ("Google Calendar", "Outlook on the web and Outlook.com",
                     "Outlook for Windows", "Apple Calendar", "iPhone and iPad", "Thunderbird"):
        assert de(app_name) in page, app_name
    assert page.count(de("How often it updates:")) == 5
    notes = [
        de("typically every 8 to 24 hours; this cannot be changed, so a change may take up "
           "to a day to appear."),
        de("typically about every 3 hours, sometimes only once a day."),
        de("typically as often as the feed suggests (every %(hours)s hours for this feed); "
           "otherwise about once a day.", hours=6),
        de("as often as you choose on the Mac (“Auto-refresh”), typically every 5 or 15 "
           "minutes, every hour, day or week."),
        de("as often as set in the calendar’s properties (“Refresh calendar”), typically "
           "every 30 minutes."),
    ]
    for note, figure in zip(notes, ("8 bis 24", "3 Stunden", "6 Stunden", "15 Minuten",
                                    "30 Minuten"), strict=True):
        assert note in page and figure in note, note


def test_english_page(client):
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = html.unescape(get_page(client, "?district=SI"))
    assert "<h1>Subscribe to the calendar</h1>" in page
    assert "typically every 8 to 24 hours" in page
    assert "Feed address" in page


def test_header_and_event_page_link_to_the_builder(client, make_event):
    event = make_event("Messe in Olpe", town="Olpe", venue="Stadthalle Olpe")
    page = client.get(f"/events/{event.id}").data.decode()
    assert 'href="/feeds"' in page  # the header's "Subscribe"
    link = re.search(r'<a href="(/feeds\?district=OE)">([^<]+)</a>', page)
    assert link and html.unescape(link[2]) == de("Subscribe to all events in %(district)s",
                                                 district="Kreis Olpe")
    builder = get_page(client, link[1].removeprefix("/feeds"))
    assert field_value(builder, "feed-url").endswith("/feeds/district/OE.ics")


def test_copy_buttons_need_javascript_and_no_inline_script(client):
    page = get_page(client)
    buttons = re.findall(r'<button type="button" class="button" data-copy="([^"]+)" hidden>',
                         page)
    assert buttons == ["feed-url", "feed-webcal", "embed-code"]
    assert '<script src="/static/js/feeds.js"></script>' in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?district=XX", UNKNOWN_DISTRICT),
        ("?industry=BANKEN", "Unknown industry. Please choose industries from the list."),
        ("?audience=" + "x" * 5000, "Unknown audience. Please choose audiences from the list."),
        ("?type=%00%ff", "Unknown event type. Please choose event types from the list."),
        ("?" + "&".join(["district=HSK"] * 50), UNKNOWN_DISTRICT),
        ("?district=HSK%0D%0ASet-Cookie:%20x=1", UNKNOWN_DISTRICT),
        ("?district=<script>alert(1)</script>", UNKNOWN_DISTRICT),
    ],
)
def test_hostile_query_strings_get_a_clear_message(client, query, message):
    response = client.get("/feeds" + query)
    assert response.status_code == 400
    page = html.unescape(response.data.decode())
    assert de(message) in page and de(message) != message
    assert "<script>alert(1)</script>" not in response.data.decode()
    assert not any("x=1" in value for value in response.headers.getlist("Set-Cookie"))
    # The page still works: it offers the feed of everything.
    assert field_value(response.data.decode(), "feed-url") == "http://localhost/feeds/all.ics"


@pytest.mark.parametrize(
    "query",
    ["?from=2027-02-30", "?to=nonsense", "?unknown=1&district=", "?district=&industry=%20",
     "?page=-1", "?district"],
)
def test_irrelevant_or_empty_parameters_are_ignored(client, query):
    page = get_page(client, query)
    assert field_value(page, "feed-url") == "http://localhost/feeds/all.ics"


def test_an_unknown_district_in_the_feed_route_is_a_plain_404(client):
    response = client.get("/feeds/district/XY.ics")
    assert response.status_code == 404
    assert "Bekannte Kreise: HSK, OE, SI, SO, MK" in response.get_data(as_text=True)


def test_only_the_feeds_of_whole_days_events_are_dates(client, make_event):
    """The preview shows a whole-day fair by its dates, as the feed does."""
    make_event("Zweitägige Messe", day=date(local_today().year + 1, 9, 10),
               all_day_until=date(local_today().year + 1, 9, 11))
    page = html.unescape(get_page(client))
    entry = page[page.index("Zweitägige Messe"):][:400]
    assert "10." in entry and "11." in entry and "Uhr" not in entry


def test_preview_follows_an_update(client, make_event):
    event = make_event("Alter Titel")
    data = calendar.EventData(
        title="Neuer Titel", event_type=event.event_type, venue=event.venue,
        all_day=False, starts_at=event.starts_at, ends_at=event.ends_at,
        audiences=event.audience_codes, industries=event.industry_codes,
    )
    calendar.update_event(event, None, data, now=now_utc())
    db.session.commit()
    assert preview_titles(get_page(client)) == ["Neuer Titel"]
