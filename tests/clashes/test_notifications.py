"""E-mails to the other organiser of a clash: on accept/resolve (board and API) and when a
new clash with another organisation's event appears (saving an event, the scan). Once per
clash state, in the recipient's language, never to the acting organisation, never because
of a draft."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.clashes import notifications
from app.clashes import scan as clash_scan
from app.clashes.models import Clash
from app.clashes.report import scan_report
from app.extensions import db
from app.jobs import scan_clashes_job
from app.outbox.models import OutboxMessage
from app.time import local_to_utc, local_today, now_utc
from tests.api.conftest import bearer, token_for  # noqa: F401
from tests.clashes.conftest import SATURDAY
from tests.conftest import login

# Fixed dates (2027 and later) meet code that reads the clock: it stands before them.
pytestmark = pytest.mark.usefixtures("fixed_clock")


def mails(prefix: str = "clash") -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
        .order_by(OutboxMessage.id)
    ).scalars())


def scan() -> None:
    now = now_utc()
    clash_scan.scan_all(now)
    notifications.scan_found(now)
    db.session.commit()


def one_clash() -> Clash:
    db.session.expire_all()
    return db.session.execute(select(Clash).where(Clash.other_event_id.is_not(None))
                              ).scalar_one()


def make_older(event, days: int = 1) -> None:
    """The event was last changed before the others (the scan tells its organisation)."""
    event.updated_at = now_utc() - timedelta(days=days)
    db.session.commit()


@pytest.fixture
def olpe_and_siegen(make_event, org_a, org_b, organiser_a, organiser_b):
    """Siegen (IHK, changed earlier) and Olpe (HWK, changed last) on the same Saturday for
    pupils: a soft clash of neighbouring districts. No mail is queued yet."""
    siegen = make_event("Messe Siegen", organisation=org_a, day=SATURDAY,
                        contact_name="Anna Beispiel", contact_email="anna@ihk.example")
    olpe = make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe",
                      venue="Stadthalle Olpe", day=SATURDAY, start=time(11),
                      contact_name="Bernd Muster", contact_phone="02761 123")
    make_older(siegen)
    return siegen, olpe


def form_data(event, **overrides) -> dict:
    data = {
        "title": event.title, "event_type": event.event_type,
        "audiences": event.audience_codes, "industries": ["CROSS"],
        "venue_name": event.venue.name, "municipality": str(event.venue.municipality_id),
        "day": SATURDAY.isoformat(), "start_time": "10:00", "end_time": "15:00",
    }
    data.update(overrides)
    return data


# --- decisions -------------------------------------------------------------------------------


def test_accept_on_the_board_tells_the_other_organisation(client, olpe_and_siegen,
                                                          organiser_a, organiser_b):
    siegen, olpe = olpe_and_siegen
    scan()
    before = {mail.id for mail in mails()}
    clash = one_clash()
    organiser_b.name = "Bernd Muster"
    db.session.commit()
    login(client, organiser_b)
    response = client.post(f"/clashes/{clash.id}/accept",
                           data={"note": "Andere Schulen, wir stimmen uns ab"})
    assert response.status_code == 302

    new = [mail for mail in mails("clash-decision") if mail.id not in before]
    assert [mail.recipient for mail in new] == [organiser_a.email]  # not the acting side
    mail = new[0]
    assert mail.language == "de"
    assert mail.subject == "Überschneidung akzeptiert: „Messe Siegen“ und „Berufsmesse Olpe“"
    assert "Sehr geehrte Damen und Herren," in mail.body
    assert "Bernd Muster (Handwerkskammer Südwestfalen) hat die Überschneidung" in mail.body
    assert "„Messe Siegen“" in mail.body and "„Berufsmesse Olpe“" in mail.body
    assert "Samstag, 12. Juni 2027" in mail.body and "Stadthalle Olpe" in mail.body
    assert "Nachbarkreis am selben Tag" in mail.body  # the rule
    assert "Andere Schulen, wir stimmen uns ab" in mail.body  # the note
    assert "02761 123" in mail.body  # whom to call
    assert f"http://localhost/clashes?status=all#clash-{clash.id}" in mail.body
    assert "Sie" in mail.body and " du " not in mail.body


def test_resolve_in_english_for_an_english_recipient(client, olpe_and_siegen, organiser_a,
                                                      organiser_b):
    organiser_b.language = "en"
    db.session.commit()
    scan()
    clash = one_clash()
    login(client, organiser_a)
    assert client.post(f"/clashes/{clash.id}/resolve",
                       data={"note": "Agreed by phone"}).status_code == 302
    [mail] = mails("clash-decision")
    assert mail.recipient == organiser_b.email and mail.language == "en"
    assert mail.subject == "Clash marked resolved: “Berufsmesse Olpe” and “Messe Siegen”"
    assert "Dear Sir or Madam," in mail.body
    assert "(IHK Siegen) has marked the clash between your event “Berufsmesse Olpe”" in mail.body
    assert "Saturday, 12 June 2027, 11:00–14:00" in mail.body
    assert "Agreed by phone" in mail.body
    assert "Neighbouring district on the same day" in mail.body
    assert "anna@ihk.example" in mail.body  # the other side's contact


def test_every_active_organiser_of_the_other_side_gets_one(client, olpe_and_siegen,
                                                          make_user, org_b, organiser_a):
    make_user("second@hwk.example", "organiser", organisation=org_b, language="en")
    gone = make_user("gone@hwk.example", "organiser", organisation=org_b)
    gone.active = False
    db.session.commit()
    scan()
    login(client, organiser_a)
    client.post(f"/clashes/{one_clash().id}/accept", data={"note": "Passt"})
    recipients = {mail.recipient: mail.language for mail in mails("clash-decision")}
    assert recipients == {"b@hwk.example": "de", "second@hwk.example": "en"}


def test_an_admin_decision_tells_both_organisations(client, olpe_and_siegen, make_user,
                                                    organiser_a, organiser_b):
    admin = make_user("admin@example.org", "admin")
    scan()
    login(client, admin)
    client.post(f"/clashes/{one_clash().id}/accept", data={"note": "Von der Geschäftsstelle"})
    decided = mails("clash-decision")
    assert sorted(mail.recipient for mail in decided) == sorted(
        [organiser_a.email, organiser_b.email])
    assert all("admin@example.org (Administrator)" in mail.body for mail in decided)


def test_accept_through_the_api_tells_the_other_side(client, olpe_and_siegen, organiser_a,
                                                     organiser_b, token_for):  # noqa: F811
    scan()
    clash = one_clash()
    response = client.post(f"/api/v1/clashes/{clash.id}/accept",
                           headers=bearer(token_for(organiser_a)),
                           json={"note": "Abgesprochen am Telefon"})
    assert response.status_code == 200
    [mail] = mails("clash-decision")
    assert mail.recipient == organiser_b.email and mail.language == "de"
    assert "Abgesprochen am Telefon" in mail.body and "akzeptiert" in mail.body


def test_permissions_are_unchanged_and_a_refused_action_sends_nothing(
        client, olpe_and_siegen, make_user, make_organisation, token_for):  # noqa: F811
    stranger = make_user("c@kreis-soest.example", "organiser",
                         organisation=make_organisation("Kreis Soest", "other"))
    scan()
    clash = one_clash()
    before = len(mails())
    login(client, stranger)
    for action in ("accept", "resolve"):
        assert client.post(f"/clashes/{clash.id}/{action}",
                           data={"note": "Nein"}).status_code in (403, 404)
        assert client.post(f"/api/v1/clashes/{clash.id}/{action}",
                           headers=bearer(token_for(stranger)),
                           json={"note": "Nein"}).status_code in (403, 404)
    assert len(mails()) == before
    assert one_clash().status == "open"


def test_a_clash_within_one_organisation_mails_nobody(client, make_event, org_a,
                                                      organiser_a):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Olpe", organisation=org_a, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    scan()
    login(client, organiser_a)
    client.post(f"/clashes/{one_clash().id}/accept", data={"note": "Beide unsere"})
    assert mails() == []


# --- new clashes found by the scan -----------------------------------------------------------


def test_the_scan_tells_the_organisation_whose_event_was_there_first_once(
        olpe_and_siegen, organiser_a, organiser_b):
    scan()
    [mail] = mails()
    assert mail.key.startswith("clash-new:") and mail.recipient == organiser_a.email
    assert mail.subject == "Terminüberschneidung mit Ihrer Veranstaltung „Messe Siegen“"
    assert "Die Veranstaltung „Berufsmesse Olpe“" in mail.body
    assert "Handwerkskammer Südwestfalen" in mail.body and "02761 123" in mail.body
    assert "Nachbarkreis am selben Tag" in mail.body
    assert "http://localhost/clashes" in mail.body

    scan()  # a re-scan sends nothing again
    scan_report(now_utc())
    db.session.commit()
    assert len(mails()) == 1


def test_the_nightly_job_announces_new_clashes(app, olpe_and_siegen, organiser_a):
    scan_clashes_job(app)
    assert [mail.recipient for mail in mails("clash-new")] == [organiser_a.email]
    scan_clashes_job(app)
    assert len(mails("clash-new")) == 1


def move(event, hour: int) -> None:
    event.starts_at = local_to_utc(SATURDAY, time(hour))
    event.updated_at = now_utc()
    db.session.commit()


def test_an_open_clash_is_told_once_but_a_settled_one_that_moves_again(
        client, olpe_and_siegen, organiser_a, organiser_b):
    siegen, olpe = olpe_and_siegen
    scan()
    move(olpe, 12)
    scan()  # still the same open clash: the organiser knows it already
    assert len(mails("clash-new")) == 1

    login(client, organiser_a)
    client.post(f"/clashes/{one_clash().id}/accept", data={"note": "Passt so"})
    move(olpe, 13)
    scan()  # the accepted clash opens again because an event moved: news again
    announced = mails("clash-new")
    assert [mail.recipient for mail in announced] == [organiser_a.email] * 2
    assert "13:00–14:00" in announced[1].body
    scan()
    assert len(mails("clash-new")) == 2


def test_a_clash_that_went_away_and_comes_back_is_news_again(olpe_and_siegen, organiser_a):
    siegen, olpe = olpe_and_siegen
    scan()
    olpe.starts_at = local_to_utc(SATURDAY + timedelta(days=7), time(11))
    olpe.ends_at = local_to_utc(SATURDAY + timedelta(days=7), time(14))
    db.session.commit()
    scan()  # gone
    assert one_clash().active is False
    olpe.starts_at = local_to_utc(SATURDAY, time(12))
    olpe.ends_at = local_to_utc(SATURDAY, time(14))
    olpe.updated_at = now_utc()
    db.session.commit()
    scan()
    assert len(mails("clash-new")) == 2


def test_drafts_never_cause_mails(make_event, org_a, org_b, organiser_a, organiser_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, status="draft")
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    make_event("Entwurf Kreuztal", organisation=org_b, town="Kreuztal",
               venue="Stadthalle Kreuztal", day=SATURDAY, status="draft")
    scan()
    assert mails() == []


def test_reserved_dates_count_and_cancelled_or_past_events_do_not(
        make_event, org_a, org_b, organiser_a, organiser_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, status="planned")
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY, status="cancelled")
    yesterday = local_today() - timedelta(days=1)
    make_event("Alte Messe", organisation=org_a, day=yesterday)
    make_event("Alte Börse", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=yesterday)
    scan()
    assert mails() == []  # the past clash is stored, but nobody needs a mail about it
    make_event("Jobbörse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY, status="planned")
    scan()
    [mail] = mails()
    assert mail.recipient == organiser_a.email and "Jobbörse Olpe" in mail.body


def test_without_organiser_accounts_the_event_contact_is_told_in_german(
        make_event, org_a, org_b, organiser_b):
    siegen = make_event("Messe Siegen", organisation=org_a, day=SATURDAY,
                        contact_email="messe@ihk.example")
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    make_older(siegen)
    scan()
    [mail] = mails()
    assert mail.recipient == "messe@ihk.example" and mail.language == "de"


# --- new clashes found when an event is saved ------------------------------------------------


def test_moving_an_event_into_a_clash_tells_the_other_side_with_the_note(
        client, make_event, org_a, org_b, organiser_a, organiser_b):
    theirs = make_event("Messe Kreuztal", organisation=org_b, town="Kreuztal",
                        venue="Stadthalle Kreuztal", day=SATURDAY)
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY + timedelta(days=7))
    assert mails() == []
    organiser_a.name = "Anna Beispiel"
    db.session.commit()
    login(client, organiser_a)
    response = client.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, clash_acknowledged="y", clash_note="Termin steht seit Jahren fest"))
    assert response.status_code == 302
    [mail] = mails()
    assert mail.recipient == organiser_b.email
    assert mail.subject == "Terminüberschneidung mit Ihrer Veranstaltung „Messe Kreuztal“"
    assert "Gleicher Kreis zur gleichen Zeit (hart)" in mail.body
    assert "Anna Beispiel (IHK Siegen) hat „Messe Siegen“ soeben gespeichert" in mail.body
    assert "Termin steht seit Jahren fest" in mail.body
    assert f"http://localhost/manage/events/{theirs.id}/edit" in mail.body

    # Saved again in place, the scan, moved within the clash: the same clash, no new mail.
    client.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, title="Messe Siegen 2027", clash_acknowledged="y", clash_note="Bleibt"))
    scan()
    client.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, start_time="11:00", clash_acknowledged="y", clash_note="Später"))
    assert len(mails()) == 1


def test_reserving_a_date_through_the_status_button_tells_the_other_side(
        client, make_event, org_a, org_b, organiser_a, organiser_b):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    draft = make_event("Messe Siegen", organisation=org_a, day=SATURDAY, status="draft")
    login(client, organiser_a)
    client.post(f"/manage/events/{draft.id}/edit", data=form_data(draft, title="Noch Entwurf"))
    assert mails() == []  # a draft is private
    client.post(f"/manage/events/{draft.id}/status", data={"status": "planned"})
    [mail] = mails()
    assert mail.recipient == organiser_b.email and "Noch Entwurf" in mail.body
    client.post(f"/manage/events/{draft.id}/status", data={"status": "published"})
    scan()
    assert len(mails()) == 1  # published in the same place: the same clash


def test_creating_and_moving_through_the_api_tells_the_other_side(
        client, make_event, org_a, org_b, organiser_a, organiser_b, token_for):  # noqa: F811
    organiser_b.language = "en"
    db.session.commit()
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    headers = bearer(token_for(organiser_a))
    created = client.post("/api/v1/events", headers=headers, json={
        "title": "API-Messe", "type": "training_fair", "status": "planned",
        "start": "2027-06-12T10:00:00+02:00", "end": "2027-06-12T15:00:00+02:00",
        "audiences": [{"code": "pupils"}], "industries": ["CROSS"],
        "venue": {"name": "Siegerlandhalle", "municipality": "Siegen"}})
    assert created.status_code == 201, created.get_json()
    [mail] = mails()
    assert mail.recipient == organiser_b.email and mail.language == "en"
    assert mail.subject == "Date clash with your event “Berufsmesse Olpe”"
    assert "“API-Messe”" in mail.body and "has just saved" in mail.body
    event_id = created.get_json()["id"]
    moved = client.patch(f"/api/v1/events/{event_id}", headers=headers, json={
        "start": "2027-06-12T12:00:00+02:00", "end": "2027-06-12T16:00:00+02:00"})
    assert moved.status_code == 200
    client.patch(f"/api/v1/events/{event_id}", headers=headers, json={"title": "API-Messe 2"})
    scan()
    assert len(mails()) == 1  # one mail per clash, however often it is saved


def test_an_admin_saving_an_event_tells_the_other_organisation_only(
        client, make_event, make_user, org_a, org_b, organiser_a, organiser_b):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY + timedelta(days=7))
    login(client, make_user("admin@example.org", "admin"))
    client.post(f"/manage/events/{mine.id}/edit", data=form_data(mine))
    assert [mail.recipient for mail in mails()] == [organiser_b.email]

