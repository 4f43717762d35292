"""Every rule with real districts, whole days against times, DST days, cancelled and draft
events, blackout calendars, permissions and the state that survives re-scans."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.calendar import services as calendar
from app.clashes import board as clash_board
from app.clashes import check as clash_check
from app.clashes import explain as clash_explain
from app.clashes import notes as clash_notes
from app.clashes import scan as clash_scan
from app.clashes.blackout import load_shipped_calendars
from app.clashes.models import Clash, ClashAction
from app.extensions import db
from app.time import local_to_utc, now_utc
from tests.clashes.conftest import SATURDAY, candidate


def scan() -> clash_scan.ScanReport:
    report = clash_scan.scan_all(now_utc())
    db.session.commit()
    return report


def stored() -> dict[str, Clash]:
    return {clash.rule: clash for clash in db.session.execute(
        select(Clash).where(Clash.active)).scalars()}


def rules(findings) -> list[str]:
    return [finding.rule for finding in findings]


# --- pair rules ----------------------------------------------------------------------------


def test_same_venue_at_the_same_time_is_hard(make_event, org_a, org_b):
    first = make_event("Ausbildungsmesse Siegen", organisation=org_a, day=SATURDAY)
    make_event("Azubi-Speed-Dating", organisation=org_b, day=SATURDAY, start=time(13),
               end=time(17), event_type="speed_dating", audiences=("professionals",))
    scan()
    clash = stored()["same_venue"]
    assert clash.severity == "hard" and clash.status == "open"
    text = clash_explain.clash_messages(clash, first)
    assert "Azubi-Speed-Dating" in text["de"] and "Handwerkskammer Südwestfalen" in text["de"]
    assert "Siegerlandhalle" in text["en"] and "same venue" in text["en"]
    assert "selben Veranstaltungsort" in text["de"]


def test_same_venue_later_the_same_day_is_no_clash(make_event, org_a, org_b):
    make_event("Messe", organisation=org_a, day=SATURDAY, start=time(9), end=time(14))
    make_event("Elternabend", organisation=org_b, day=SATURDAY, start=time(14), end=time(16),
               event_type="info_evening")
    assert scan().found == 0


def test_same_district_shared_audience_is_hard(make_event, org_a, org_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Kreuztal", organisation=org_b, day=SATURDAY, town="Kreuztal",
               venue="Stadthalle Kreuztal", event_type="job_fair", audiences=("parents",))
    assert set(stored() if scan() else {}) == {"same_district"}


def test_same_district_two_training_fairs_without_shared_audience_is_hard(make_event, org_a,
                                                                          org_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, audiences=("pupils",))
    make_event("Messe Kreuztal", organisation=org_b, day=SATURDAY, town="Kreuztal",
               venue="Stadthalle Kreuztal", audiences=("jobseekers",))
    scan()
    clash = stored()["same_district"]
    assert "training fair" in clash_explain.clash_messages(clash)["en"]


def test_same_district_different_audiences_and_types_is_no_clash(make_event, org_a, org_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, audiences=("pupils",))
    make_event("Jobbörse Kreuztal", organisation=org_b, day=SATURDAY, town="Kreuztal",
               venue="Stadthalle Kreuztal", event_type="job_fair", audiences=("jobseekers",))
    assert scan().found == 0


def test_neighbouring_districts_same_day_shared_audience_is_soft(make_event, org_a, org_b):
    """Siegen (SI) and Olpe (OE) share a border."""
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, start=time(9), end=time(12))
    make_event("Messe Olpe", organisation=org_b, day=SATURDAY, start=time(14), end=time(18),
               town="Olpe", venue="Stadthalle Olpe", audiences=("pupils",))
    scan()
    clash = stored()["neighbour_district"]
    assert clash.severity == "soft"
    assert "Kreis Olpe" in clash_explain.clash_messages(clash, clash.event)["de"] or \
        "Kreis Siegen-Wittgenstein" in clash_explain.clash_messages(clash, clash.event)["de"]


def test_districts_without_a_border_do_not_clash(make_event, org_a, org_b):
    """Siegen (SI) and Lüdenscheid (MK) do not touch."""
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Lüdenscheid", organisation=org_b, day=SATURDAY, town="Lüdenscheid",
               venue="Kulturhaus")
    assert scan().found == 0


def test_neighbours_on_different_days_do_not_clash(make_event, org_a, org_b):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Olpe", organisation=org_b, day=SATURDAY + timedelta(days=1), town="Olpe",
               venue="Stadthalle Olpe", event_type="job_fair")
    assert scan().found == 0


@pytest.mark.parametrize(("days", "clashes"), [(1, True), (2, True), (3, False)])
def test_same_type_same_district_too_close(make_event, org_a, org_b, days, clashes):
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY, audiences=("pupils",))
    make_event("Messe Netphen", organisation=org_b, day=SATURDAY + timedelta(days=days),
               town="Netphen", venue="Rathaus Netphen", audiences=("jobseekers",))
    scan()
    assert ("too_close" in stored()) is clashes


def test_too_close_days_come_from_the_config(app, make_event, org_a, org_b):
    app.config["CLASH_TOO_CLOSE_DAYS"] = 5
    make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    make_event("Messe Netphen", organisation=org_b, day=SATURDAY + timedelta(days=4),
               town="Netphen", venue="Rathaus Netphen")
    scan()
    assert "too_close" in stored()


# --- whole days, DST -----------------------------------------------------------------------


def test_whole_day_event_against_timed_event_on_that_day(make_event, org_a, org_b):
    make_event("Zweitägige Messe", organisation=org_a, day=SATURDAY,
               all_day_until=SATURDAY + timedelta(days=1))
    make_event("Abendveranstaltung", organisation=org_b, day=SATURDAY + timedelta(days=1),
               start=time(19), end=time(21), event_type="info_evening")
    scan()
    assert stored()["same_venue"].severity == "hard"


def test_timed_event_ending_at_midnight_does_not_touch_the_next_whole_day(make_event, org_a,
                                                                        org_b):
    whole = make_event("Ganztägig", organisation=org_a, day=SATURDAY, all_day_until=SATURDAY)
    data = candidate(day=SATURDAY - timedelta(days=1), event_type="info_evening")
    data.starts_at = local_to_utc(SATURDAY - timedelta(days=1), time(20))
    data.ends_at = local_to_utc(SATURDAY, time(0))
    evening = calendar.create_event(org_b, None, data, now=now_utc())
    calendar.change_status(evening, None, "published", now=now_utc())
    db.session.commit()
    assert scan().found == 0
    assert clash_check.check_candidate(data, org_b, event_id=evening.id) == []
    data.ends_at = local_to_utc(SATURDAY, time(0, 1))
    assert [finding.other for finding in clash_check.check_candidate(
        data, org_b, event_id=evening.id)] == [whole]


@pytest.mark.parametrize("dst_day", [date(2027, 3, 28), date(2027, 10, 31)])
def test_dst_days(make_event, org_a, org_b, dst_day):
    """The whole local day counts, 23 or 25 hours long; the next day does not."""
    make_event("Ganztägig", organisation=org_a, day=dst_day, all_day_until=dst_day)
    late = make_event("Spät", organisation=org_b, day=dst_day, start=time(23),
                      end=time(23, 45), event_type="info_evening")
    make_event("Nächster Tag", organisation=org_b, day=dst_day + timedelta(days=1),
               start=time(0, 30), end=time(1), event_type="open_day", venue="Andere Halle",
               town="Olpe", audiences=("public",))
    scan()
    same_venue = stored()["same_venue"]
    assert late.id in (same_venue.event_id, same_venue.other_event_id)
    assert db.session.execute(select(Clash).where(Clash.rule == "same_venue")).all().__len__() \
        == 1


# --- statuses ------------------------------------------------------------------------------


def test_cancelled_events_never_clash(make_event, org_a, org_b):
    make_event("Messe", organisation=org_a, day=SATURDAY)
    make_event("Abgesagt", organisation=org_b, day=SATURDAY, status="cancelled")
    assert scan().found == 0
    assert clash_check.check_candidate(candidate(), org_b) == [] or all(
        finding.other is None or finding.other.status != "cancelled"
        for finding in clash_check.check_candidate(candidate(), org_b))


def test_drafts_count_only_for_their_own_organisation(make_event, org_a, org_b):
    draft = make_event("Entwurf A", organisation=org_a, day=SATURDAY, status="draft")
    make_event("Messe B", organisation=org_b, day=SATURDAY, status="published")
    assert scan().found == 0  # not shared with B
    # A planning next to B's published fair sees it (and its own draft) ...
    assert sorted(finding.other.title for finding in clash_check.check_candidate(
        candidate(), org_a)) == ["Entwurf A", "Messe B"]
    # ... B planning a second event sees its own one, never A's draft.
    findings = clash_check.check_candidate(candidate(), org_b)
    assert [finding.other.title for finding in findings] == ["Messe B"]
    # Two drafts of one organisation do clash for that organisation.
    make_event("Entwurf A2", organisation=org_a, day=SATURDAY, status="draft")
    scan()
    clash = stored()["same_venue"]
    assert {clash.event_id, clash.other_event_id} >= {draft.id}


def test_planned_events_count_for_every_organisation(make_event, org_a, org_b):
    make_event("Reserviert", organisation=org_a, day=SATURDAY, status="planned")
    findings = clash_check.check_candidate(candidate(), org_b)
    assert rules(findings) == ["same_venue"]
    assert findings[0].is_hard and "IHK Siegen" in findings[0].message("de")


def test_check_leaves_out_the_event_being_edited(make_event, org_a):
    event = make_event("Messe", organisation=org_a, day=SATURDAY)
    assert clash_check.check_candidate(candidate(), org_a, event_id=event.id) == []
    assert rules(clash_check.check_candidate(candidate(), org_a)) == ["same_venue"]


def test_check_stores_nothing(make_event, org_a, org_b):
    make_event("Messe", organisation=org_a, day=SATURDAY)
    clash_check.check_candidate(candidate(), org_b)
    assert db.session.execute(select(Clash)).all() == []


# --- holidays ------------------------------------------------------------------------------


def test_public_holiday(make_event, org_a):
    ascension = date(2027, 5, 6)
    make_event("Messe an Himmelfahrt", organisation=org_a, day=ascension)
    scan()
    clash = stored()["public_holiday"]
    assert clash.holiday == ascension and clash.severity == "soft"
    text = clash_explain.clash_messages(clash)
    assert "Christi Himmelfahrt" in text["de"] and "Ascension" in text["en"]


def test_school_holidays_from_the_shipped_calendar_affect_pupils_only(make_event, org_a):
    load_shipped_calendars()
    summer = date(2027, 7, 24)  # Sommerferien NRW 2027: 19 July – 31 August
    make_event("Messe in den Ferien", organisation=org_a, day=summer)
    make_event("Weiterbildung in den Ferien", organisation=org_a, day=summer,
               town="Olpe", venue="Stadthalle Olpe", event_type="further_training_fair",
               audiences=("professionals",))
    scan()
    blackout = [clash for clash in db.session.execute(select(Clash)).scalars()
                if clash.rule == "blackout"]
    assert len(blackout) == 1
    assert blackout[0].event.title == "Messe in den Ferien"
    assert "Sommerferien 2026/27" in clash_explain.clash_messages(blackout[0])["de"]


def test_blackout_warning_in_the_candidate_check(org_a):
    load_shipped_calendars()
    findings = clash_check.check_candidate(candidate(day=date(2027, 10, 26)), org_a)
    assert rules(findings) == ["blackout"]
    assert findings[0].period.name == "Herbstferien 2027/28"


# --- suggestions ---------------------------------------------------------------------------


def test_suggest_free_dates_keeps_the_weekday_and_skips_clashes_and_holidays(make_event,
                                                                             org_a, org_b):
    load_shipped_calendars()
    make_event("Messe", organisation=org_a, day=SATURDAY)
    make_event("Nächste Messe", organisation=org_a, day=SATURDAY + timedelta(days=7))
    days = clash_check.suggest_free_dates(candidate(), org_b, window_days=60, limit=3,
                                       today=date(2027, 1, 1))
    assert days == [SATURDAY + timedelta(days=14), SATURDAY + timedelta(days=21),
                    SATURDAY + timedelta(days=28)]
    assert all(day.weekday() == 5 for day in days)
    # Summer holidays (from 19 July 2027) are skipped as well.
    later = clash_check.suggest_free_dates(candidate(day=date(2027, 7, 17)), org_b,
                                        window_days=70, limit=1, today=date(2027, 1, 1))
    assert later == [date(2027, 9, 4)]


# --- stored state, permissions -------------------------------------------------------------


@pytest.fixture
def pair(make_event, org_a, org_b):
    first = make_event("Messe A", organisation=org_a, day=SATURDAY)
    second = make_event("Messe B", organisation=org_b, day=SATURDAY, event_type="job_fair")
    scan()
    return first, second, stored()["same_venue"]


def test_only_organisers_of_the_events_settle_a_clash(pair, organiser_a, organiser_b,
                                                      organiser_c, admin):
    _, _, clash = pair
    with pytest.raises(clash_notes.ClashPermissionError):
        clash_board.accept(clash, organiser_c, "Passt schon", now=now_utc())
    assert clash.status == "open"
    clash_board.accept(clash, organiser_b, "Unterschiedliche Zielgruppen", now=now_utc())
    assert clash.status == "accepted" and clash.decided_by == organiser_b
    clash_board.resolve(clash, admin, "Geklärt", now=now_utc())
    assert [(a.action, a.user) for a in clash.actions] == [
        ("opened", None), ("accepted", organiser_b), ("resolved", admin)]
    assert clash.actions[1].note == "Unterschiedliche Zielgruppen"


def test_accept_needs_a_note(pair, organiser_a):
    with pytest.raises(clash_notes.ClashError):
        clash_board.accept(pair[2], organiser_a, "  ", now=now_utc())


def test_clashes_for_shows_organisers_their_own_only(pair, organiser_a, organiser_c, admin):
    assert len(db.session.execute(clash_board.clashes_for(organiser_a)).scalars().all()) == 1
    assert db.session.execute(clash_board.clashes_for(organiser_c)).scalars().all() == []
    assert len(db.session.execute(clash_board.clashes_for(admin)).scalars().all()) == 1
    assert db.session.execute(clash_board.clashes_for(None)).scalars().all() == []
    assert db.session.execute(
        clash_board.clashes_for(admin, district="MK")).scalars().all() == []
    assert len(db.session.execute(
        clash_board.clashes_for(admin, district="SI", status="open")).scalars().all()) == 1


def test_accepted_stays_accepted_until_an_event_moves(pair, organiser_a):
    first, _, clash = pair
    clash_board.accept(clash, organiser_a, "Absprache getroffen", now=now_utc())
    db.session.commit()
    report = scan()
    assert clash.status == "accepted" and report.open_hard == 0 and report.accepted == 1
    # A change that is not a move keeps it accepted ...
    data = calendar.event_data(first)
    data.title = "Messe A (neuer Titel)"
    calendar.update_event(first, organiser_a, data, now=now_utc())
    scan()
    assert clash.status == "accepted"
    # ... moving the start by an hour opens it again.
    data.starts_at = local_to_utc(SATURDAY, time(10))
    calendar.update_event(first, organiser_a, data, now=now_utc())
    report = scan()
    assert clash.status == "open" and report.reopened == 1 and report.open_hard == 1
    assert clash.actions[-1].action == "reopened"


def test_a_clash_that_disappears_is_resolved_and_comes_back_open(pair, organiser_a):
    first, _, clash = pair
    data = calendar.event_data(first)
    data.starts_at = local_to_utc(SATURDAY + timedelta(days=21), time(9))
    data.ends_at = local_to_utc(SATURDAY + timedelta(days=21), time(14))
    calendar.update_event(first, organiser_a, data, now=now_utc())
    report = scan()
    assert report.gone == 1 and clash.status == "resolved" and not clash.active
    data.starts_at, data.ends_at = (local_to_utc(SATURDAY, time(9)),
                                    local_to_utc(SATURDAY, time(14)))
    calendar.update_event(first, organiser_a, data, now=now_utc())
    scan()
    assert clash.active and clash.status == "open"
    assert [a.action for a in clash.actions] == ["opened", "gone", "reopened"]


def test_scan_twice_changes_nothing(pair):
    before = db.session.execute(select(ClashAction.id)).scalars().all()
    report = scan()
    assert (report.opened, report.reopened, report.gone) == (0, 0, 0)
    assert db.session.execute(select(ClashAction.id)).scalars().all() == before

