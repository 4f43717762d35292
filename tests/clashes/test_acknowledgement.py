"""Saving, reserving or publishing into a hard clash needs an acknowledgement with a note,
whatever brings the clash about (a new date, new audiences, another kind of event, a
draft that becomes visible to other organisations), on the pages and through the API;
a hard clash the event already had does not ask again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.calendar.models import Event, EventChange, Venue
from app.clashes import check as clash_check
from app.clashes.models import Clash
from app.extensions import db
from tests.api.conftest import api, bearer, spec, token_for  # noqa: F401
from tests.clashes.conftest import SATURDAY
from tests.clashes.test_views import login

DAY = timedelta(days=1)
KREUZTAL = {"town": "Kreuztal", "venue": "Stadthalle Kreuztal"}  # Siegen's district (SI)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def form_data(event: Event, **overrides) -> dict:
    """The edit form of ``event`` as the browser posts it, unchanged unless overridden
    (make_event's events run 9–14 h)."""
    data = {
        "title": event.title, "event_type": event.event_type,
        "audiences": event.audience_codes, "industries": ["CROSS"],
        "venue_name": event.venue.name, "municipality": str(event.venue.municipality_id),
        "day": SATURDAY.isoformat(), "start_time": "09:00", "end_time": "14:00",
    }
    data.update(overrides)
    return data


def acknowledgements(event: Event) -> list[EventChange]:
    db.session.expire_all()
    return list(db.session.execute(
        select(EventChange).where(EventChange.event_id == event.id,
                                  EventChange.action == clash_check.ACKNOWLEDGED)
        .order_by(EventChange.id)).scalars())


def status_of(event: Event) -> str:
    db.session.expire_all()
    return db.session.get(Event, event.id).status


@pytest.fixture
def as_a(client, organiser_a):
    login(client, organiser_a)
    return client


@pytest.fixture
def theirs(make_event, org_b) -> Event:
    """Another organisation's published job fair for pupils in Siegen's district."""
    return make_event("Jobmesse Kreuztal", organisation=org_b, day=SATURDAY,
                      event_type="job_fair", audiences=("pupils",), **KREUZTAL)


# --- the event form ------------------------------------------------------------------------


def test_changing_only_the_audiences_into_a_hard_clash_needs_the_acknowledgement(
        as_a, make_event, org_a, organiser_a, theirs):
    mine = make_event("Studientag Siegen", organisation=org_a, day=SATURDAY,
                      event_type="study_fair", audiences=("students",))
    data = form_data(mine, audiences=["students", "pupils"])  # the same time and place

    refused = as_a.post(f"/manage/events/{mine.id}/edit", data=data)
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Same district at the same time" in page and "Jobmesse Kreuztal" in page
    assert 'id="clash_acknowledged"' in page and 'name="clash_note"' in page
    db.session.expire_all()
    assert db.session.get(Event, mine.id).audience_codes == ["students"]  # nothing saved

    saved = as_a.post(f"/manage/events/{mine.id}/edit", data={
        **data, "clash_acknowledged": "y", "clash_note": "Andere Klassenstufen"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert set(db.session.get(Event, mine.id).audience_codes) == {"students", "pupils"}
    [change] = acknowledgements(mine)
    assert change.user_id == organiser_a.id and change.via == "web"
    assert change.changes == {"note": "Andere Klassenstufen", "clashes": [
        {"rule": "same_district", "other_event_id": theirs.id}]}

    # Saved again unchanged (or with a new title): the clash is known, nothing to confirm.
    again = as_a.post(f"/manage/events/{mine.id}/edit", data={**data, "title": "Neu"})
    assert again.status_code == 302
    assert len(acknowledgements(mine)) == 1


def test_changing_only_the_kind_of_event_into_a_hard_clash_needs_the_acknowledgement(
        as_a, make_event, org_a, org_b):
    make_event("Ausbildungsmesse Kreuztal", organisation=org_b, day=SATURDAY,
               audiences=("parents",), **KREUZTAL)
    mine = make_event("Jobmesse Siegen", organisation=org_a, day=SATURDAY,
                      event_type="job_fair", audiences=("jobseekers",))
    # Two training fairs in one district at the same time clash hard, whoever they are for.
    data = form_data(mine, event_type="training_fair")
    refused = as_a.post(f"/manage/events/{mine.id}/edit", data=data)
    assert refused.status_code == 422
    assert "another training fair at the same time" in text_of(refused)
    assert db.session.get(Event, mine.id).event_type == "job_fair"
    assert as_a.post(f"/manage/events/{mine.id}/edit", data={
        **data, "clash_acknowledged": "y", "clash_note": "Abgestimmt"}).status_code == 302
    assert status_of(mine) == "published" and len(acknowledgements(mine)) == 1


def test_the_live_check_asks_for_the_acknowledgement_only_for_a_new_hard_clash(
        as_a, make_event, org_a, theirs):
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY,
                      audiences=("students",), event_type="study_fair")
    def check(**overrides):
        data = {**form_data(mine, **overrides), "event_id": str(mine.id)}
        return as_a.post("/manage/events/clash-check", data=data).get_json()

    assert check()["hard"] == 0
    new = check(audiences=["pupils"])
    assert new["hard"] == 1 and 'name="clash_acknowledged"' in new["html"]
    as_a.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, audiences=["pupils"], clash_acknowledged="y", clash_note="Bleibt"))
    known = check(audiences=["pupils"])
    assert known["hard"] == 1 and 'name="clash_acknowledged"' not in known["html"]
    assert "These clashes existed before" in known["html"]


# --- reserving and publishing on the pages --------------------------------------------------


def test_publishing_a_draft_into_a_hard_clash_asks_for_the_acknowledgement(
        as_a, make_event, org_a, organiser_a, theirs):
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    # A draft clashes only with its own organisation's events: nothing stored yet.
    assert clash_check.status_change_hard_findings(draft, "draft") == []

    asked = as_a.post(f"/manage/events/{draft.id}/status", data={"status": "published"})
    assert asked.status_code == 302
    assert asked.location.endswith(
        f"/manage/events/{draft.id}/edit?confirm=published#status-confirm")
    assert status_of(draft) == "draft"

    page = as_a.get(asked.location, follow_redirects=True)
    text = text_of(page)
    assert page.status_code == 200
    assert "would clash hard with another organisation" in text  # the flashed message
    assert "Publish despite a hard clash?" in text
    box = text.split('id="status-confirm"', 1)[1].split("</section>", 1)[0]
    assert "Jobmesse Kreuztal" in box and "Same district at the same time" in box
    assert 'name="status" value="published"' in box
    assert 'id="status-clash-acknowledged"' in box and 'id="status-clash-note"' in box
    assert "Publish anyway" in box and "?suggest=1" in box
    # The form's clash panel says why nothing was asked while it was a draft.
    assert "other organisers see them once the date is reserved or published" in text

    # The note without the tick: the page again, with the note kept and a clear message.
    refused = as_a.post(f"/manage/events/{draft.id}/status", data={
        "status": "published", "clash_note": "Mit der HWK abgesprochen"})
    assert refused.status_code == 422
    text = text_of(refused)
    assert "Please confirm that the event goes ahead despite the hard clash" in text
    assert "Mit der HWK abgesprochen</textarea>" in text
    assert 'aria-describedby="status-clash-acknowledged-error"' in text
    assert status_of(draft) == "draft"

    # The tick without a note: still refused.
    assert as_a.post(f"/manage/events/{draft.id}/status", data={
        "status": "published", "clash_acknowledged": "y", "clash_note": " "}
    ).status_code == 422
    assert status_of(draft) == "draft" and acknowledgements(draft) == []

    done = as_a.post(f"/manage/events/{draft.id}/status", data={
        "status": "published", "clash_acknowledged": "y",
        "clash_note": "Mit der HWK abgesprochen"})
    assert done.status_code == 302
    assert done.location.endswith(f"/manage/events/{draft.id}/edit")
    assert status_of(draft) == "published"
    [change] = acknowledgements(draft)
    assert change.user_id == organiser_a.id
    assert change.changes == {"note": "Mit der HWK abgesprochen", "clashes": [
        {"rule": "same_district", "other_event_id": theirs.id}]}
    history = text_of(as_a.get(f"/manage/events/{draft.id}/edit"))
    assert "saved despite a hard clash" in history
    assert 'id="status-confirm"' not in history


def test_reserving_from_the_list_goes_to_the_confirmation_too(as_a, make_event, org_a,
                                                               theirs):
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    asked = as_a.post(f"/manage/events/{draft.id}/status",
                      data={"status": "planned", "back_to": "index"})
    assert asked.location.endswith(
        f"/manage/events/{draft.id}/edit?confirm=planned#status-confirm")
    text = text_of(as_a.get(asked.location))
    assert "Reserve the date despite a hard clash?" in text and "Reserve the date anyway" in text
    assert status_of(draft) == "draft"


def test_a_clash_acknowledged_on_the_form_is_not_asked_for_again_when_publishing(
        as_a, make_event, org_a, theirs):
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY + 7 * DAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    # On the form a draft is checked as it will be once reserved: the clash is asked for.
    data = form_data(draft)
    assert as_a.post(f"/manage/events/{draft.id}/edit", data=data).status_code == 422
    assert as_a.post(f"/manage/events/{draft.id}/edit", data={
        **data, "clash_acknowledged": "y", "clash_note": "Termin steht"}).status_code == 302
    done = as_a.post(f"/manage/events/{draft.id}/status", data={"status": "planned"})
    assert done.location.endswith(f"/manage/events/{draft.id}/edit")
    assert status_of(draft) == "planned" and len(acknowledgements(draft)) == 1
    assert as_a.post(f"/manage/events/{draft.id}/status",
                     data={"status": "published"}).location.endswith("/edit")
    assert status_of(draft) == "published"


def stored_clash(event: Event) -> Clash:
    db.session.expire_all()
    return db.session.execute(select(Clash).where(
        (Clash.event_id == event.id) | (Clash.other_event_id == event.id))).scalar_one()


def test_the_note_given_when_saving_is_carried_to_the_clash(
        as_a, make_event, org_a, organiser_a, theirs):
    """Saving despite a hard clash with a note accepts the stored clash with that note:
    the board shows it as accepted and offers no second note field."""
    mine = make_event("Studientag Siegen", organisation=org_a, day=SATURDAY,
                      event_type="study_fair", audiences=("students",))
    as_a.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, audiences=["pupils"], clash_acknowledged="y", clash_note="Andere Klassen"))

    clash = stored_clash(mine)
    assert (clash.status, clash.note, clash.decided_by_id) == (
        "accepted", "Andere Klassen", organiser_a.id)
    assert [(a.action, a.note) for a in clash.actions] == [
        ("opened", None), ("accepted", "Andere Klassen")]
    board = text_of(as_a.get("/clashes"))
    assert "No open clashes" in board
    accepted = text_of(as_a.get("/clashes?status=accepted"))
    assert "Andere Klassen" in accepted and f'id="accept-note-{clash.id}"' not in accepted


def test_a_note_given_on_the_form_of_a_draft_is_carried_when_it_is_reserved(
        as_a, make_event, org_a, theirs):
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY + 7 * DAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    as_a.post(f"/manage/events/{draft.id}/edit", data=form_data(  # moved onto the clash
        draft, clash_acknowledged="y", clash_note="Termin steht"))
    as_a.post(f"/manage/events/{draft.id}/status", data={"status": "planned"})
    assert status_of(draft) == "planned"
    clash = stored_clash(draft)
    assert (clash.status, clash.note) == ("accepted", "Termin steht")


def test_an_acknowledgement_from_before_a_move_does_not_count(
        as_a, api, make_event, org_a, organiser_a, theirs, token_for):  # noqa: F811
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY + 7 * DAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    as_a.post(f"/manage/events/{draft.id}/edit", data=form_data(
        draft, clash_acknowledged="y", clash_note="Termin steht"))
    as_a.post(f"/manage/events/{draft.id}/edit",
              data=form_data(draft, day=(SATURDAY + 7 * DAY).isoformat()))
    assert len(acknowledgements(draft)) == 1
    # Back on the clashing date through the API: a draft does not clash with other
    # organisations' events, so nothing is asked there ...
    moved = api.patch(f"/api/v1/events/{draft.id}", headers=bearer(token_for(organiser_a)),
                      json={"start": "2027-06-12T09:00:00", "end": "2027-06-12T14:00:00"})
    assert moved.status_code == 200
    # ... but reserving it is: the old acknowledgement was for a place it left since.
    asked = as_a.post(f"/manage/events/{draft.id}/status", data={"status": "planned"})
    assert "confirm=planned" in asked.location
    assert status_of(draft) == "draft"


def test_an_own_draft_clash_was_there_already(as_a, make_event, org_a):
    """Both drafts of one organisation clash already as drafts: nothing new to confirm."""
    make_event("Entwurf 1", organisation=org_a, day=SATURDAY, status="draft")
    second = make_event("Entwurf 2", organisation=org_a, day=SATURDAY, status="draft")
    assert as_a.post(f"/manage/events/{second.id}/status",
                     data={"status": "planned"}).location.endswith("/edit")
    assert status_of(second) == "planned"



# --- the API -------------------------------------------------------------------------------


def api_body(**overrides) -> dict:
    """An info evening for pupils in Siegen while the Kreuztal job fair is on."""
    body = {
        "title": "Infoabend Siegen", "type": "info_evening",
        "start": "2027-06-12T10:00:00+02:00", "end": "2027-06-12T12:00:00+02:00",
        "audiences": [{"code": "pupils"}], "industries": ["CROSS"],
        "venue": {"name": "Siegerlandhalle", "municipality": "Siegen"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def token_a(organiser_a, token_for):  # noqa: F811
    return bearer(token_for(organiser_a))


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def assert_hard_clash(response, other: Event) -> None:
    """409 in the documented error shape, naming the other event in both languages."""
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "hard_clash" and "clash_acknowledgement" in error["message"]
    assert list(error["fields"]) == ["clash_acknowledgement"]
    [clash] = error["clashes"]
    assert (clash["rule"], clash["severity"]) == ("same_district", "hard")
    assert clash["other_event"]["id"] == other.id
    assert clash["other_event"]["title"] == other.title
    assert other.title in clash["explanation"]["de"] and other.title in clash["explanation"]["en"]
    assert "gleichen Zeit" in clash["explanation"]["de"]


def test_api_create_into_a_hard_clash_is_409_until_acknowledged(
        api, token_a, organiser_a, theirs):  # noqa: F811
    events, venues = count(Event), count(Venue)
    body = api_body(status="published")
    assert_hard_clash(api.post("/api/v1/events", json=body, headers=token_a), theirs)
    assert (count(Event), count(Venue)) == (events, venues)  # nothing kept, not the venue

    blank = api.post("/api/v1/events", json={**body, "clash_acknowledgement": "  "},
                     headers=token_a)
    assert blank.status_code == 422
    assert "clash_acknowledgement" in blank.get_json()["error"]["fields"]

    created = api.post("/api/v1/events", json={
        **body, "clash_acknowledgement": "Andere Schulen, mit der HWK abgestimmt"},
        headers=token_a)
    assert created.status_code == 201
    result = created.get_json()
    assert result["status"] == "published"
    event = db.session.get(Event, result["id"])
    [change] = acknowledgements(event)
    assert (change.user_id, change.via) == (organiser_a.id, "api")
    assert change.changes == {"note": "Andere Schulen, mit der HWK abgestimmt", "clashes": [
        {"rule": "same_district", "other_event_id": theirs.id}]}
    # The clash is on both boards at once.
    stored = db.session.execute(select(Clash).where(Clash.active)).scalars().all()
    assert [{c.event_id, c.other_event_id} for c in stored] == [{event.id, theirs.id}]


def test_api_history_says_the_acknowledgement_came_through_the_api(
        api, client, token_a, organiser_a, theirs):  # noqa: F811
    created = api.post("/api/v1/events", json=api_body(
        status="planned", clash_acknowledgement="Termin steht"), headers=token_a).get_json()
    login(client, organiser_a)
    page = text_of(client.get(f"/manage/events/{created['id']}/edit"))
    assert "<strong>saved despite a hard clash</strong> (through the API)" in page


def test_api_draft_clashes_only_with_its_own_organisations_events(
        api, token_a, make_event, org_a, theirs):  # noqa: F811
    draft = api.post("/api/v1/events", json=api_body(), headers=token_a)
    assert draft.status_code == 201 and draft.get_json()["status"] == "draft"
    assert acknowledgements(db.session.get(Event, draft.get_json()["id"])) == []

    own = make_event("Eigene Messe", organisation=org_a, day=SATURDAY, audiences=("pupils",),
                     status="draft")
    refused = api.post("/api/v1/events", json=api_body(title="Zweiter Entwurf"),
                       headers=token_a)
    assert refused.status_code == 409
    assert {clash["other_event"]["id"] for clash in refused.get_json()["error"]["clashes"]
            } == {own.id, draft.get_json()["id"]}


def test_api_acknowledgement_without_a_clash_is_not_recorded(api, token_a):  # noqa: F811
    created = api.post("/api/v1/events", json=api_body(
        status="published", clash_acknowledgement="Vorsichtshalber"), headers=token_a)
    assert created.status_code == 201
    assert acknowledgements(db.session.get(Event, created.get_json()["id"])) == []


def test_api_patch_of_only_the_audiences_into_a_hard_clash(
        api, token_a, make_event, org_a, organiser_a, theirs):  # noqa: F811
    mine = make_event("Studientag Siegen", organisation=org_a, day=SATURDAY,
                      event_type="study_fair", audiences=("students",))
    change = {"audiences": [{"code": "students"}, {"code": "pupils"}]}
    assert_hard_clash(api.patch(f"/api/v1/events/{mine.id}", json=change, headers=token_a),
                      theirs)
    db.session.expire_all()
    assert db.session.get(Event, mine.id).audience_codes == ["students"]

    saved = api.patch(f"/api/v1/events/{mine.id}", headers=token_a,
                      json={**change, "clash_acknowledgement": "Andere Klassen"})
    assert saved.status_code == 200
    assert {a["code"] for a in saved.get_json()["audiences"]} == {"students", "pupils"}
    [ack] = acknowledgements(mine)
    assert ack.via == "api" and ack.changes["note"] == "Andere Klassen"

    # The clash is known now: a change of the title needs nothing more.
    again = api.patch(f"/api/v1/events/{mine.id}", json={"title": "Studientag 2027"},
                      headers=token_a)
    assert again.status_code == 200 and len(acknowledgements(mine)) == 1


def test_api_status_change_of_a_draft_into_a_hard_clash(
        api, token_a, make_event, org_a, organiser_a, theirs):  # noqa: F811
    draft = make_event("Berufsinfotag Siegen", organisation=org_a, day=SATURDAY,
                       event_type="info_evening", audiences=("pupils",), status="draft")
    url = f"/api/v1/events/{draft.id}/status"
    assert_hard_clash(api.post(url, json={"status": "planned"}, headers=token_a), theirs)
    assert status_of(draft) == "draft"

    planned = api.post(url, json={"status": "planned", "clash_acknowledgement": "Bleibt"},
                       headers=token_a)
    assert planned.status_code == 200 and planned.get_json()["status"] == "planned"
    [ack] = acknowledgements(draft)
    assert (ack.user_id, ack.via, ack.changes["note"]) == (organiser_a.id, "api", "Bleibt")
    # Planned already counts for everyone: publishing adds no clash.
    published = api.post(url, json={"status": "published"}, headers=token_a)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    # Cancelling never asks.
    cancelled = api.post(f"/api/v1/events/{draft.id}/cancel", json={}, headers=token_a)
    assert cancelled.status_code == 200


def test_api_status_409_is_documented(spec):  # noqa: F811
    for path, method in (("/api/v1/events", "post"), ("/api/v1/events/{event_id}", "patch"),
                         ("/api/v1/events/{event_id}/status", "post")):
        operation = spec["paths"][path][method]
        assert "409" in operation["responses"], (path, method)
        assert "hard_clash" in operation["description"] or "hard_clash" in str(
            operation.get("requestBody")), (path, method)
    body = spec["components"]["schemas"]["ErrorBody"]["properties"]
    assert body["clashes"]["items"] == {"$ref": "#/components/schemas/Finding"}
    for name in ("EventCreate", "EventPatch", "StatusInput"):
        field = spec["components"]["schemas"][name]["properties"]["clash_acknowledgement"]
        assert (field["minLength"], field["maxLength"]) == (1, 1000)
    assert "clash_acknowledgement" not in spec["components"]["schemas"]["CheckInput"][
        "properties"]
