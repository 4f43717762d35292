"""Organiser event editing: create, update, status changes, audit trail, permissions."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.calendar import services as calendar
from app.calendar.models import Event, EventChange
from app.extensions import db
from app.time import now_utc
from tests.conftest import login, municipality, utc


@pytest.fixture
def organiser(make_user, make_organisation):
    return make_user("orga@ihk-siegen.example", organisation=make_organisation(),
                     language="en")


@pytest.fixture
def other_organiser(make_user, make_organisation):
    return make_user("orga@hwk.example",
                     organisation=make_organisation("Handwerkskammer Südwestfalen", "hwk"),
                     language="en")


@pytest.fixture
def as_organiser(client, organiser):
    login(client, organiser)
    return client


def form_data(**overrides) -> dict:
    """A valid event form as a browser would post it (timed, in Siegen)."""
    data = {
        "title": "Ausbildungsmesse Siegen 2027",
        "event_type": "training_fair",
        "description": "Über 100 Betriebe stellen sich vor.",
        "audiences": ["pupils", "parents"],
        "grade_from": "8",
        "grade_to": "10",
        "industries": ["METALL", "CROSS"],
        "venue_name": "Siegerlandhalle",
        "venue_street": "Koblenzer Str. 151",
        "municipality": str(municipality("Siegen").id),
        "day": "2027-03-27",
        "start_time": "10:00",
        "end_time": "15:00",
        "contact_name": "Anna Beispiel",
        "contact_email": "anna@ihk-siegen.example",
        "contact_phone": "0271 3302-0",
        "url": "https://www.ihk-siegen.de/messe",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def only_event() -> Event:
    db.session.expire_all()
    return db.session.execute(select(Event)).scalar_one()


# --- create ------------------------------------------------------------------------------


def test_new_event_form_renders(as_organiser):
    page = as_organiser.get("/manage/events/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<optgroup label="Kreis Siegen-Wittgenstein">' in html
    assert ">Siegen</option>" in html
    assert 'value="training_fair"' in html and 'value="METALL"' in html


@pytest.mark.parametrize(("day", "expected"), [
    ("2027-03-27", utc(2027, 3, 27, 9)),   # still winter time: UTC+1
    ("2027-03-28", utc(2027, 3, 28, 8)),   # the day summer time begins: UTC+2
])
def test_create_stores_utc_times(as_organiser, organiser, day, expected):
    response = as_organiser.post("/manage/events/new", data=form_data(day=day))
    assert response.status_code == 302
    event = only_event()
    assert response.headers["Location"] == f"/manage/events/{event.id}/edit"
    assert event.starts_at == expected
    assert event.ends_at == expected.replace(hour=expected.hour + 5)
    assert event.status == "draft"
    assert event.organisation_id == organiser.organisation_id
    assert event.title == "Ausbildungsmesse Siegen 2027"
    assert event.audience_codes == ["parents", "pupils"]
    assert event.pupil_grades == (8, 10)
    assert event.industry_codes == ["CROSS", "METALL"]
    assert event.venue.name == "Siegerlandhalle" and event.venue.municipality.name == "Siegen"
    assert event.url == "https://www.ihk-siegen.de/messe"
    change = db.session.execute(select(EventChange)).scalar_one()
    assert change.action == "created" and change.user_id == organiser.id


def test_create_whole_day_event(as_organiser):
    response = as_organiser.post("/manage/events/new", data=form_data(
        all_day="y", first_day="2027-09-10", last_day="2027-09-11",
        day=None, start_time=None, end_time=None,
    ))
    assert response.status_code == 302
    event = only_event()
    assert event.all_day
    assert (event.first_day, event.last_day) == (date(2027, 9, 10), date(2027, 9, 11))
    assert event.starts_at == utc(2027, 9, 9, 22)


def test_create_multi_day_timed_event(as_organiser):
    response = as_organiser.post("/manage/events/new", data=form_data(
        day="2027-09-10", start_time="18:00", end_day="2027-09-11", end_time="13:00",
    ))
    assert response.status_code == 302
    event = only_event()
    assert (event.starts_at, event.ends_at) == (utc(2027, 9, 10, 16), utc(2027, 9, 11, 11))


def assert_refused_with_input_kept(response, *typed: str, message: str) -> str:
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html  # the error summary
    assert message in html
    for value in typed:
        assert value in html, value
    assert count(Event) == 0
    return html


def test_end_before_start_is_refused_and_input_kept(as_organiser):
    response = as_organiser.post("/manage/events/new", data=form_data(
        start_time="15:00", end_time="10:00",
    ))
    assert_refused_with_input_kept(
        response, 'value="Ausbildungsmesse Siegen 2027"', 'value="15:00"', 'value="10:00"',
        "Über 100 Betriebe stellen sich vor.", 'value="Koblenzer Str. 151"',
        'value="anna@ihk-siegen.example"', 'value="https://www.ihk-siegen.de/messe"',
        message="The event must end after it starts.",
    )


def test_missing_audiences_is_refused(as_organiser):
    data = form_data(grade_from=None, grade_to=None)
    del data["audiences"]
    html = assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=data),
        'value="Ausbildungsmesse Siegen 2027"', message="Choose at least one audience.",
    )
    # The chosen industries are still ticked.
    assert re.search(r'<input[^>]*checked[^>]*value="METALL"|value="METALL"[^>]*checked', html)


def test_unknown_type_code_posted_by_hand_is_refused(as_organiser):
    assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=form_data(event_type="rave")),
        'value="Ausbildungsmesse Siegen 2027"',
        message="Please choose one of the offered values.",
    )


def test_unknown_audience_and_municipality_are_refused(as_organiser):
    assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=form_data(
            audiences=["pupils", "aliens"], municipality="999999")),
        'value="Ausbildungsmesse Siegen 2027"',
        message="Please choose",
    )


def test_oversized_title_is_a_form_error(as_organiser):
    title = "Messe" * 2000
    html = assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=form_data(title=title)),
        "Über 100 Betriebe", message="200",
    )
    assert title in html


def test_oversized_and_hostile_fields_are_form_errors(as_organiser):
    response = as_organiser.post("/manage/events/new", data=form_data(
        description="x" * 6000, contact_phone="1" * 100, url="javascript:alert(1)",
        venue_name="Halle\x00", grade_from="99",
    ))
    html = assert_refused_with_input_kept(response, "x" * 6000, message="https://")
    assert "not allowed" in html


def test_nonexistent_local_time_is_a_clear_error(as_organiser):
    html = assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=form_data(
            day="2027-03-28", start_time="02:30", end_time="05:00")),
        'value="02:30"', 'value="2027-03-28"', message="does not exist on 28 Mar 2027",
    )
    assert 'id="start_time-error"' in html


def test_every_mistake_is_marked_at_once(as_organiser):
    data = form_data(municipality="", day="2027-03-28", start_time="02:30", end_time="05:00",
                     grade_from=None, grade_to=None, title="")
    del data["audiences"]
    html = assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=data),
        'value="Koblenzer Str. 151"', message="Choose at least one audience.",
    )
    for message in ("Please choose the town or municipality.", "does not exist",
                    "Please enter a title."):
        assert message in html
    # once at the field, once in the summary at the top that links to it
    assert html.count("Please enter a title.") == 2
    assert 'href="#title"' in html


def test_timed_event_needs_date_and_times(as_organiser):
    assert_refused_with_input_kept(
        as_organiser.post("/manage/events/new", data=form_data(day=None, start_time=None)),
        'value="Ausbildungsmesse Siegen 2027"', message="Please fill in this field.",
    )


def test_html_in_title_is_stored_as_text_and_escaped(as_organiser):
    title = '<script>alert("x")</script> Messe'
    response = as_organiser.post("/manage/events/new", data=form_data(title=title))
    assert response.status_code == 302
    event = only_event()
    assert event.title == title
    for url in (f"/manage/events/{event.id}/edit", "/manage/"):
        html = as_organiser.get(url).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(" in html


# --- update and status -------------------------------------------------------------------


def test_edit_form_shows_local_values(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, day=date(2027, 3, 28),
                       start=time(10), end=time(14), status="draft")
    html = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-28"' in html and 'value="10:00"' in html
    assert 'value="Ausbildungsmesse Siegen"' in html
    assert "History" in html and "created" in html


def test_update_of_published_event_raises_sequence_and_is_audited(
        as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="published")
    before = event.sequence
    response = as_organiser.post(f"/manage/events/{event.id}/edit", data=form_data(
        title="Ausbildungsmesse Siegen – neuer Termin"))
    assert response.status_code == 302
    event = only_event()
    assert event.sequence == before + 1
    assert event.title == "Ausbildungsmesse Siegen – neuer Termin"
    change = db.session.execute(
        select(EventChange).where(EventChange.action == "updated")).scalar_one()
    assert change.user_id == organiser.id
    assert "title" in change.changes and "starts_at" in change.changes
    html = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert "orga@ihk-siegen.example" in html and "Title" in html


def test_the_history_says_how_a_change_came_in(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="draft")
    calendar.change_status(event, organiser, "planned", via="api", now=now_utc())
    db.session.commit()
    html = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert "date reserved</strong> (through the API)" in html
    assert "(api)" not in html


def test_a_corrected_street_reaches_this_event_and_no_other_organisations(
        as_organiser, make_event, organiser, other_organiser):
    theirs = make_event("Handwerksmesse", organisation=other_organiser.organisation,
                        status="published")
    theirs.venue.street = "Koblenzer Str. 151"
    db.session.commit()
    as_organiser.post("/manage/events/new", data=form_data())
    mine = db.session.execute(select(Event).where(Event.id != theirs.id)).scalar_one()
    assert mine.venue_id == theirs.venue_id  # the same hall: the clash rules see one place
    response = as_organiser.post(f"/manage/events/{mine.id}/edit", data=form_data(
        venue_street="Koblenzer Straße 153", clash_acknowledged="y", clash_note="Korrektur"))
    assert response.status_code == 302
    db.session.expire_all()
    assert "Koblenzer Straße 153" in db.session.get(Event, mine.id).venue.address
    assert db.session.get(Event, theirs.id).venue.street == "Koblenzer Str. 151"
    # The same street typed differently is the same venue.
    as_organiser.post(f"/manage/events/{mine.id}/edit", data=form_data(
        venue_street="koblenzer  str. 151", clash_acknowledged="y", clash_note="Doch"))
    db.session.expire_all()
    assert db.session.get(Event, mine.id).venue_id == theirs.venue_id


def test_failed_update_changes_nothing(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="published")
    sequence, title = event.sequence, event.title
    response = as_organiser.post(f"/manage/events/{event.id}/edit", data=form_data(
        title="Neuer Titel", start_time="16:00", end_time="09:00"))
    assert response.status_code == 422
    assert 'value="Neuer Titel"' in response.get_data(as_text=True)
    event = only_event()
    assert (event.sequence, event.title) == (sequence, title)


def test_publish_then_cancel_with_reason(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="draft")
    edit = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="published"' in edit and 'value="planned"' in edit

    response = as_organiser.post(f"/manage/events/{event.id}/status",
                                 data={"status": "published"})
    assert response.status_code == 302
    assert only_event().status == "published"
    edit = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="cancelled"' in edit and 'value="draft"' not in edit

    response = as_organiser.post(f"/manage/events/{event.id}/status", data={
        "status": "cancelled", "reason": "Halle wird renoviert"})
    assert response.status_code == 302
    event = only_event()
    assert event.status == "cancelled"
    assert event.cancellation_reason == "Halle wird renoviert"
    actions = [change.action for change in event.changes]
    assert actions == ["created", "published", "cancelled"]
    html = as_organiser.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert "Halle wird renoviert" in html
    assert "can no longer be changed" in html


def test_quick_publish_from_the_list(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="planned")
    html = as_organiser.get("/manage/").get_data(as_text=True)
    assert "Date reserved" in html and "Ausbildungsmesse Siegen" in html
    response = as_organiser.post(f"/manage/events/{event.id}/status",
                                 data={"status": "published", "back_to": "index"})
    assert response.headers["Location"] == "/manage/"
    assert only_event().status == "published"


def test_forbidden_status_move_is_refused(as_organiser, make_event, organiser):
    event = make_event(organisation=organiser.organisation, status="cancelled")
    as_organiser.post(f"/manage/events/{event.id}/status", data={"status": "published"})
    assert only_event().status == "cancelled"
    as_organiser.post(f"/manage/events/{event.id}/status", data={"status": "bogus"})
    assert only_event().status == "cancelled"


def test_index_lists_only_own_events_grouped(as_organiser, make_event, organiser,
                                             other_organiser):
    make_event("Eigene Messe", organisation=organiser.organisation, status="draft")
    make_event("Fremde Messe", organisation=other_organiser.organisation, status="published")
    html = as_organiser.get("/manage/").get_data(as_text=True)
    assert "Eigene Messe" in html
    assert "Fremde Messe" not in html
    assert html.index("Draft") < html.index("Eigene Messe") < html.index("Published")


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "published"])
def test_organiser_cannot_touch_another_organisations_event(
        as_organiser, make_event, other_organiser, status):
    event = make_event("Fremde Messe", organisation=other_organiser.organisation,
                       status=status)
    sequence, changes = event.sequence, count(EventChange)
    expected = 404 if status == "draft" else 403
    assert as_organiser.get(f"/manage/events/{event.id}/edit").status_code == expected
    assert as_organiser.post(f"/manage/events/{event.id}/edit",
                             data=form_data(title="Gekapert")).status_code == expected
    assert as_organiser.post(f"/manage/events/{event.id}/status",
                             data={"status": "cancelled"}).status_code == expected
    event = only_event()
    assert (event.title, event.status, event.sequence) == ("Fremde Messe", status, sequence)
    assert count(EventChange) == changes


def test_admin_edits_any_event(client, make_user, make_event, other_organiser):
    admin = make_user("admin@example.org", role="admin")
    event = make_event("Fremde Messe", organisation=other_organiser.organisation,
                       status="draft")
    login(client, admin)
    assert "Fremde Messe" in client.get("/manage/").get_data(as_text=True)
    response = client.post(f"/manage/events/{event.id}/status", data={"status": "published"})
    assert response.status_code == 302
    assert only_event().status == "published"


def test_anonymous_visitors_are_sent_to_login(client):
    for url in ("/manage/", "/manage/events/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/manage/events/new", data={"title": "x"}).status_code == 302
    assert count(Event) == 0


def test_company_users_cannot_reach_manage(client, make_user, make_company):
    company_user = make_user("firma@example.org", role="company", company=make_company())
    login(client, company_user)
    assert client.get("/manage/").status_code == 403
    assert client.post("/manage/events/new", data={"title": "x"}).status_code == 403
    assert count(Event) == 0


def test_missing_event_is_404(as_organiser):
    assert as_organiser.get("/manage/events/999999/edit").status_code == 404


# --- CSRF --------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(test_config, csrf_app, organiser, make_event):
    app = csrf_app(test_config)
    client = app.test_client()
    login(client, organiser)
    with app.app_context():
        data = form_data()
    response = client.post("/manage/events/new", data=data)
    assert response.status_code == 400
    assert count(Event) == 0

    event = make_event(organisation=organiser.organisation, status="draft")
    response = client.post(f"/manage/events/{event.id}/status", data={"status": "published"})
    assert response.status_code == 400
    assert only_event().status == "draft"

    html = client.get("/manage/events/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/manage/events/new", data=data | {"csrf_token": token})
    assert response.status_code == 302
    assert count(Event) == 2
