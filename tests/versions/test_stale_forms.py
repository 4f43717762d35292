"""Two people open the same record's form; the first saves; the second saves the stale
form: a 409 page shows, per field that differs, the value saved meanwhile and their own,
nothing of theirs is stored and nothing of the first is lost; the conflict page's form
(now of the new version) saves what the second person decides."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from app.accounts.models import Company
from app.booths import services as booths
from app.booths.models import BoothCategory, BoothSetup
from app.calendar.models import Event
from app.extensions import db
from app.time import local_to_utc, now_utc, to_local
from app.visits import services as visits
from app.visits.models import VisitSlot
from tests.conftest import login
from tests.versions.page_forms import form_fields


@pytest.fixture
def organisers(make_user, org_a):
    """Two organisers of one organisation."""
    return (make_user("anna@ihk-siegen.example", organisation=org_a, language="en"),
            make_user("bernd@ihk-siegen.example", organisation=org_a, language="en"))


@pytest.fixture
def two_browsers(app, organisers):
    first, second = app.test_client(), app.test_client()
    login(first, organisers[0])
    login(second, organisers[1])
    return first, second


@pytest.fixture
def fair(make_event, org_a, organisers):
    event = make_event("Ausbildungsmesse Siegen", organisation=org_a)
    now = now_utc()
    booths.configure_fair(event, organisers[0], booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=1),
        approval="auto"), now)
    db.session.commit()
    return event


def open_form(browser, url: str, action: str) -> dict[str, list[str]]:
    page = browser.get(url)
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True), action)


def conflict_rows(html: str) -> dict[str, tuple[str, str]]:
    """field name → (saved meanwhile, yours) from the conflict panel."""
    import re

    rows = re.findall(r'<tr data-field="([^"]+)"><th scope="row">[^<]*</th>'
                      r'<td [^>]*class="conflict__saved">([^<]*)</td>'
                      r'<td [^>]*class="conflict__mine">([^<]*)</td>', html)
    return {name: (saved, mine) for name, saved, mine in rows}


def stale_save(two_browsers, url: str, action: str, first_change: dict, second_change: dict):
    """Both open the form; the first saves ``first_change``, then the second saves
    ``second_change`` on their stale copy. Returns the 409 page and its form."""
    first, second = two_browsers
    mine, theirs = open_form(first, url, action), open_form(second, url, action)
    assert mine["version"] == theirs["version"] and mine["version"][0].isdigit()
    target = action or url  # a form without an action posts to its page
    saved = first.post(target, data={**mine, **first_change})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    refused = second.post(target, data={**theirs, **second_change})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "data-conflict" in html
    return html, form_fields(html, action)


def test_event_second_save_sees_both_titles_and_decides(two_browsers, make_event, org_a):
    event = make_event("Ausbildungsmesse Siegen", organisation=org_a)
    url = f"/manage/events/{event.id}/edit"
    html, again = stale_save(two_browsers, url, url, {"title": "Ausbildungsmesse Siegen 2031"},
                             {"contact_name": "Bernd Beispiel"})
    rows = conflict_rows(html)
    assert rows["title"] == ("Ausbildungsmesse Siegen 2031", "Ausbildungsmesse Siegen")
    assert rows["contact_name"] == ("–", "Bernd Beispiel")
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.title == "Ausbildungsmesse Siegen 2031"  # the first save is not lost
    assert stored.contact_name is None  # nothing of the stale save is stored
    assert stored.version == 2
    assert again["version"] == ["2"] and again["contact_name"] == ["Bernd Beispiel"]

    # Bernd keeps Anna's title and his contact: the conflict page's form saves it.
    decided = two_browsers[1].post(url, data={**again, "title": "Ausbildungsmesse Siegen 2031"})
    assert decided.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.title, stored.contact_name, stored.version) == (
        "Ausbildungsmesse Siegen 2031", "Bernd Beispiel", 3)
    # The stale form once more (version 1): refused again, nothing changed.
    old = two_browsers[0].post(url, data={**again, "version": "1", "title": "Alt"})
    assert old.status_code == 409
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Ausbildungsmesse Siegen 2031"


def test_a_stale_status_button_changes_nothing(two_browsers, make_event, org_a):
    event = make_event("Ausbildungsmesse Siegen", organisation=org_a, status="planned")
    first, second = two_browsers
    url = f"/manage/events/{event.id}/edit"
    action = f"/manage/events/{event.id}/status"
    assert first.post(url, data={**open_form(first, url, url), "title": "Neu"}).status_code == 302
    response = second.post(action, data={"status": "published", "version": "1"})
    assert response.status_code == 302 and response.location.endswith(url)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "planned"
    assert second.post(action, data={"status": "published", "version": "2"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"


@pytest.mark.parametrize("version", ["abc", "-1", "99999999999", "1\r\n2", "１"])
def test_a_damaged_version_is_refused_with_a_message(two_browsers, make_event, org_a, version):
    event = make_event("Ausbildungsmesse Siegen", organisation=org_a)
    url = f"/manage/events/{event.id}/edit"
    form = open_form(two_browsers[0], url, url)
    response = two_browsers[0].post(url, data={**form, "version": version, "title": "Neu"})
    assert response.status_code == 422
    assert "This form is damaged" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Ausbildungsmesse Siegen"


def test_booth_category(two_browsers, fair, organisers):
    category = booths.add_category(fair, organisers[0], booths.CategoryData(
        name="Standard 9 m²", size_m2=9, price_cents=25000, capacity=10))
    db.session.commit()
    url = f"/manage/events/{fair.id}/booths/categories/{category.id}"
    html, again = stale_save(two_browsers, url, "", {"capacity": "12"}, {"price": "300"})
    rows = conflict_rows(html)
    assert rows["capacity"] == ("12", "10") and rows["price"] == ("250", "300")
    db.session.expire_all()
    stored = db.session.get(BoothCategory, category.id)
    assert (stored.capacity, stored.price_cents, stored.version) == (12, 25000, 2)
    assert two_browsers[1].post(url, data={**again, "capacity": "12"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(BoothCategory, category.id)
    assert (stored.capacity, stored.price_cents, stored.version) == (12, 30000, 3)


def test_fair_setup(two_browsers, fair):
    url = f"/manage/events/{fair.id}/booths"
    action = f"/manage/events/{fair.id}/booths/setup"
    html, again = stale_save(two_browsers, url, action, {"approval": "manual"},
                             {"offer_hours": "24"})
    rows = conflict_rows(html)
    assert set(rows) == {"approval", "offer_hours"}
    db.session.expire_all()
    stored = db.session.get(BoothSetup, fair.id)
    assert (stored.approval, stored.offer_hours, stored.version) == ("manual", 48, 2)
    assert two_browsers[1].post(action, data={**again, "approval": "manual"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(BoothSetup, fair.id)
    assert (stored.approval, stored.offer_hours) == ("manual", 24)


def test_a_fair_setup_made_meanwhile_is_not_overwritten(two_browsers, make_event, org_a,
                                                       organisers):
    event = make_event("Ausbildungsmesse Olpe", organisation=org_a)
    url = f"/manage/events/{event.id}/booths"
    action = f"/manage/events/{event.id}/booths/setup"
    form = open_form(two_browsers[1], url, action)
    assert form["version"] == ["0"]  # no sign-up yet
    now = now_utc()
    booths.configure_fair(event, organisers[0], booths.FairSetupData(
        opens_at=now, closes_at=event.starts_at - timedelta(days=2), approval="manual"), now)
    db.session.commit()
    opens = to_local(now + timedelta(days=1))
    closes = to_local(event.starts_at - timedelta(days=3))
    response = two_browsers[1].post(action, data={
        **form, "opens_day": opens.date().isoformat(), "opens_time": "08:00",
        "closes_day": closes.date().isoformat(), "closes_time": "18:00"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(BoothSetup, event.id).approval == "manual"


def test_company_profile_by_the_company_and_an_admin(app, make_company, make_user):
    company = make_company()
    member = make_user("azubi@metallbau.example", "company", company=company, language="en")
    admin = make_user("admin@example.org", "admin", language="en")
    first, second = app.test_client(), app.test_client()
    login(first, admin)
    login(second, member)
    admin_url, own_url = f"/admin/companies/{company.id}", "/account/company"
    theirs = open_form(second, own_url, own_url)
    mine = open_form(first, admin_url, admin_url)
    assert first.post(admin_url, data={**mine, "contact_phone": "02351 1234"}).status_code == 302
    refused = second.post(own_url, data={**theirs, "website": "https://metallbau.example"})
    assert refused.status_code == 409
    rows = conflict_rows(refused.get_data(as_text=True))
    assert rows["contact_phone"] == ("02351 1234", "–")
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.contact_phone, stored.website, stored.version) == ("02351 1234", None, 2)
    again = form_fields(refused.get_data(as_text=True), own_url)
    assert second.post(own_url, data={**again, "contact_phone": "02351 1234"}).status_code == 302
    # The admin's form is now stale in its turn.
    refused = first.post(admin_url, data={**mine, "description": "Wir bilden aus."})
    assert refused.status_code == 409
    db.session.expire_all()
    stored = db.session.get(Company, company.id)
    assert (stored.website, stored.description) == ("https://metallbau.example", None)


def test_class_visit_slot(two_browsers, make_event, org_a, organisers):
    event = make_event("Arnsberger Ausbildungsmesse", organisation=org_a, town="Arnsberg",
                       venue="Kaiserhaus")
    day = to_local(event.starts_at).date()
    now = now_utc()
    visits.configure(event, organisers[0], visits.SetupData(
        opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=1)), now)
    slot = visits.add_slot(event, organisers[0], visits.SlotData(
        starts_at=local_to_utc(day, time(9, 30)), ends_at=local_to_utc(day, time(11)),
        capacity=50), now)
    db.session.commit()
    url = f"/manage/events/{event.id}/visits/slots/{slot.id}"
    html, again = stale_save(two_browsers, url, "", {"capacity": "60"}, {"bus_bays": "3"})
    assert conflict_rows(html)["capacity"] == ("60", "50")
    db.session.expire_all()
    stored = db.session.get(VisitSlot, slot.id)
    assert (stored.capacity, stored.bus_bays, stored.version) == (60, None, 2)
    assert two_browsers[1].post(url, data={**again, "capacity": "60"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(VisitSlot, slot.id)
    assert (stored.capacity, stored.bus_bays, stored.version) == (60, 3, 3)
