"""Clash pages: warnings on the event form (with and without saving), the acknowledgement
of hard clashes, free dates, the clash board and its permissions, the live check."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.calendar.models import Event, EventChange
from app.clashes import check as clash_check
from app.clashes import scan as clash_scan
from app.clashes.models import Clash, ClashAction
from app.extensions import db
from app.time import now_utc
from tests.clashes.conftest import SATURDAY
from tests.conftest import login as log_in
from tests.conftest import municipality

OLPE_SAME_SATURDAY = {"venue_name": "Stadthalle Olpe", "municipality": "Olpe"}


def form_data(**overrides) -> dict:
    """The event form as a browser posts it: a fair in Siegen on SATURDAY, 10–15 h."""
    town = overrides.pop("municipality", "Siegen")
    data = {
        "title": "Neue Ausbildungsmesse", "event_type": "training_fair",
        "audiences": ["pupils", "parents"], "industries": ["CROSS"],
        "venue_name": "Siegerlandhalle", "municipality": str(municipality(town).id),
        "day": SATURDAY.isoformat(), "start_time": "10:00", "end_time": "15:00",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def events_titled(title: str) -> list[Event]:
    db.session.expire_all()
    return list(db.session.execute(select(Event).where(Event.title == title)).scalars())


def scan() -> None:
    clash_scan.scan_all(now_utc())
    db.session.commit()


def login(client, user) -> None:
    """Log in with English pages (the assertions read the English texts)."""
    user.language = "en"
    db.session.commit()
    log_in(client, user)


@pytest.fixture
def as_a(client, organiser_a):
    login(client, organiser_a)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- the event form --------------------------------------------------------------------------


def test_neighbour_district_same_saturday_is_a_soft_warning_and_saves(as_a, make_event, org_b):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY, status="planned")
    page = text_of(as_a.post("/manage/events/new", data=form_data(check="1")))
    assert "Neighbouring district on the same day" in page
    assert "Berufsmesse Olpe" in page and "Handwerkskammer Südwestfalen" in page
    assert "clash-finding--soft" in page and "clash-finding--hard" not in page
    assert 'name="clash_acknowledged"' not in page  # soft: nothing to confirm
    assert not events_titled("Neue Ausbildungsmesse")  # checking saves nothing

    response = as_a.post("/manage/events/new", data=form_data())
    assert response.status_code == 302
    assert len(events_titled("Neue Ausbildungsmesse")) == 1


def test_non_neighbour_district_is_no_clash(as_a, make_event, org_b):
    make_event("Messe Lüdenscheid", organisation=org_b, town="Lüdenscheid",
               venue="Kulturhaus", day=SATURDAY)
    page = text_of(as_a.post("/manage/events/new", data=form_data(check="1")))
    assert "No clashes" in page and "Messe Lüdenscheid" not in page


def test_hard_clash_needs_acknowledgement_and_note(as_a, make_event, org_b, organiser_a):
    other = make_event("Messe Kreuztal", organisation=org_b, town="Kreuztal",
                       venue="Stadthalle Kreuztal", day=SATURDAY)
    refused = as_a.post("/manage/events/new", data=form_data(title="Messe Siegen"))
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Same district at the same time" in page and "clash-finding--hard" in page
    assert "Messe Kreuztal" in page
    assert f'href="/events/{other.id}"' in page  # published: the organiser may look at it
    assert 'id="clash_acknowledged"' in page and 'form="event-form"' in page
    assert 'value="Messe Siegen"' in page  # the input is kept
    assert not events_titled("Messe Siegen")

    # Ticked but without a note: still refused.
    assert as_a.post("/manage/events/new", data=form_data(
        title="Messe Siegen", clash_acknowledged="y")).status_code == 422
    assert not events_titled("Messe Siegen")

    saved = as_a.post("/manage/events/new", data=form_data(
        title="Messe Siegen", clash_acknowledged="y",
        clash_note="Mit der HWK abgesprochen: andere Branchen."))
    assert saved.status_code == 302
    [event] = events_titled("Messe Siegen")
    change = db.session.execute(select(EventChange).where(
        EventChange.event_id == event.id, EventChange.action == "clash_acknowledged")
    ).scalar_one()
    assert change.user_id == organiser_a.id
    assert change.changes["note"] == "Mit der HWK abgesprochen: andere Branchen."
    assert change.changes["clashes"] == [{"rule": "same_district", "other_event_id": other.id}]
    history = text_of(as_a.get(f"/manage/events/{event.id}/edit"))
    assert "saved despite a hard clash" in history


def test_suggested_dates_are_free_and_fill_the_form(as_a, make_event, org_b, org_a):
    make_event("Messe Kreuztal", organisation=org_b, town="Kreuztal",
               venue="Stadthalle Kreuztal", day=SATURDAY)
    page = as_a.post("/manage/events/new", data=form_data(check="1")).get_data(as_text=True)
    days = [date.fromisoformat(value) for value in re.findall(
        r'name="use_date" value="(\d{4}-\d{2}-\d{2})"', page)]
    assert 1 <= len(days) <= 5
    assert all(day.weekday() == 5 and day > SATURDAY for day in days)
    # Each suggestion really is free (no clash, no holiday, no school holidays).
    from tests.clashes.conftest import candidate
    for day in days:
        assert clash_check.check_candidate(candidate("Siegen", day=day), org_a) == []

    taken = as_a.post("/manage/events/new", data=form_data(use_date=days[0].isoformat()))
    assert taken.status_code == 200
    text = text_of(taken)
    assert f'name="day" type="date" value="{days[0].isoformat()}"' in text
    assert "No clashes" in text
    assert not events_titled("Neue Ausbildungsmesse")


def test_edit_form_from_the_board_shows_the_clash_and_suggestions(as_a, make_event, org_a,
                                                                   org_b):
    own = make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Kreuztal", organisation=org_b, town="Kreuztal",
               venue="Stadthalle Kreuztal", day=SATURDAY)
    page = as_a.get(f"/manage/events/{own.id}/edit?suggest=1").get_data(as_text=True)
    assert "Messe Kreuztal" in page and 'name="use_date"' in page
    # An unrelated change of an existing clash needs no new acknowledgement.
    data = form_data(title="Messe Siegen (neu)", start_time="09:00", end_time="14:00")
    assert as_a.post(f"/manage/events/{own.id}/edit", data=data).status_code == 302


def test_live_check_returns_the_warnings_as_json(as_a, make_event, org_b):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    data = form_data(title="")  # the title does not matter for the check
    result = as_a.post("/manage/events/clash-check", data=data).get_json()
    assert result["hard"] == 0 and result["soft"] == 1
    assert "Berufsmesse Olpe" in result["html"]
    assert "1 warning" in result["inline"] and 'href="#clash-panel"' in result["inline"]
    assert all(date.fromisoformat(day).weekday() == 5 for day in result["suggestions"])
    venues = db.session.execute(select(func.count()).select_from(
        select(Event.venue_id).subquery())).scalar_one()
    assert venues == 1  # nothing stored


def test_live_check_of_someone_elses_event_is_404(as_a, make_event, org_b):
    foreign = make_event("Fremd", organisation=org_b, status="draft")
    response = as_a.post("/manage/events/clash-check",
                         data=form_data(event_id=str(foreign.id)))
    assert response.status_code == 404


# --- the board -------------------------------------------------------------------------------


@pytest.fixture
def soft_clash(make_event, org_a, org_b):
    """Siegen (SI) and Olpe (OE) on the same Saturday for pupils: a soft clash."""
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY,
                      contact_name="Anna Beispiel", contact_email="anna@ihk.example")
    theirs = make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe",
                        venue="Stadthalle Olpe", day=SATURDAY, start=time(11))
    scan()
    return db.session.execute(select(Clash)).scalar_one(), mine, theirs


def test_board_lists_the_users_clashes_side_by_side(as_a, soft_clash, make_event, org_b,
                                                     org_c):
    clash, mine, theirs = soft_clash
    make_event("Fremde Messe A", organisation=org_b, town="Soest", venue="Halle A",
               day=date(2027, 6, 19))
    make_event("Fremde Messe B", organisation=org_c, town="Soest", venue="Halle A",
               day=date(2027, 6, 19))
    scan()
    page = text_of(as_a.get("/clashes"))
    assert "Neighbouring district on the same day" in page
    assert "Messe Siegen" in page and "Berufsmesse Olpe" in page
    assert "Handwerkskammer Südwestfalen" in page and "anna@ihk.example" in page
    assert "Fremde Messe" not in page  # not the organiser's clash
    assert f'/manage/events/{mine.id}/edit?suggest=1' in page  # move own event
    assert f'/manage/events/{theirs.id}/edit' not in page  # not someone else's
    assert f'action="/clashes/{clash.id}/accept"' in page


def test_accept_and_resolve_are_recorded_and_seen_by_the_other_side(
        client, soft_clash, organiser_a, organiser_b):
    clash, _mine, _theirs = soft_clash
    login(client, organiser_b)
    refused = client.post(f"/clashes/{clash.id}/accept", data={"note": ""})
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Clash, clash.id).status == "open"

    client.post(f"/clashes/{clash.id}/accept", data={"note": "Andere Zielgruppe"})
    db.session.expire_all()
    stored = db.session.get(Clash, clash.id)
    assert stored.status == "accepted" and stored.decided_by_id == organiser_b.id
    login(client, organiser_a)
    page = text_of(client.get("/clashes?status=all"))
    assert "Andere Zielgruppe" in page and "Handwerkskammer Südwestfalen" in page

    clash_id = clash.id
    clash_scan.scan_all(now_utc())  # a re-scan keeps the decision
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Clash, clash_id).status == "accepted"


def test_resolve_without_a_change_asks_how(client, soft_clash, organiser_a):
    clash, *_ = soft_clash
    login(client, organiser_a)
    refused = client.post(f"/clashes/{clash.id}/resolve", data={}, follow_redirects=True)
    assert "please say in a note how it is resolved" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Clash, clash.id).status == "open"
    assert client.post(f"/clashes/{clash.id}/resolve",
                       data={"note": "Termin abgesprochen"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Clash, clash.id)
    assert stored.status == "resolved"
    actions = [action.action for action in db.session.execute(
        select(ClashAction).where(ClashAction.clash_id == clash.id)).scalars()]
    assert actions == ["opened", "resolved"]


def test_foreign_clash_cannot_be_settled(client, soft_clash, organiser_c):
    clash, *_ = soft_clash
    login(client, organiser_c)
    assert "Messe Siegen" not in client.get("/clashes").get_data(as_text=True)
    for action in ("accept", "resolve"):
        response = client.post(f"/clashes/{clash.id}/{action}", data={"note": "Nein"})
        assert response.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(Clash, clash.id).status == "open"
    assert db.session.execute(select(func.count()).select_from(ClashAction)).scalar_one() == 1


@pytest.mark.parametrize("path", ["/clashes", "/clashes/year", "/clashes/blackout"])
def test_anonymous_visitors_log_in_and_companies_are_refused(client, make_user, make_company,
                                                              path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    company_user = make_user("firma@example.com", "company", company=make_company())
    login(client, company_user)
    assert client.get(path).status_code == 403


def test_board_filters(as_a, soft_clash):
    assert "Berufsmesse Olpe" in as_a.get("/clashes?severity=soft").get_data(as_text=True)
    assert "Berufsmesse Olpe" not in as_a.get("/clashes?severity=hard").get_data(as_text=True)
    assert "Berufsmesse Olpe" in as_a.get("/clashes?district=OE").get_data(as_text=True)
    assert "Berufsmesse Olpe" not in as_a.get("/clashes?district=MK").get_data(as_text=True)
    assert "Berufsmesse Olpe" not in as_a.get(
        "/clashes?status=accepted").get_data(as_text=True)
    assert as_a.get("/clashes?status=bogus&district=<x>").status_code == 200


def test_manage_page_counts_open_clashes(as_a, soft_clash):
    assert "1 open clash" in text_of(as_a.get("/manage/"))


def test_admin_sees_every_clash(client, soft_clash, admin):
    login(client, admin)
    page = client.get("/clashes").get_data(as_text=True)
    assert "Messe Siegen" in page and "Berufsmesse Olpe" in page


def test_hostile_input_in_the_live_check_is_harmless(as_a):
    response = as_a.post("/manage/events/clash-check", data=form_data(
        venue_name="Halle\x00<script>", day="kein Datum", municipality="Siegen"))
    assert response.status_code == 200 and response.get_json()["hard"] == 0
    response = as_a.post("/manage/events/clash-check",
                         data=form_data(venue_name="Halle\x00", event_id="abc"))
    assert response.status_code == 200
