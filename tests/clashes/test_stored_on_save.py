"""A saved event's clashes are stored at once (``clash_scan.refresh_event_clashes``): the
board shows a new clash without waiting for the nightly scan, a move away or a
cancellation settles it at once, a decision survives a save that moves nothing, and the
scan afterwards finds the state already right."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clashes import board as clash_board
from app.clashes import scan as clash_scan
from app.clashes.models import Clash
from app.extensions import db
from app.time import now_utc
from tests.clashes.conftest import SATURDAY
from tests.clashes.test_notifications import form_data
from tests.conftest import login


def stored(event) -> list[Clash]:
    db.session.expire_all()
    return list(db.session.execute(
        select(Clash).where((Clash.event_id == event.id) | (Clash.other_event_id == event.id))
        .order_by(Clash.id)).scalars())


def test_moving_into_a_clash_shows_on_the_other_organisers_board_at_once(
        client, make_event, org_a, org_b, organiser_a, organiser_b):
    theirs = make_event("Messe Kreuztal", organisation=org_b, town="Kreuztal",
                        venue="Stadthalle Kreuztal", day=SATURDAY)
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY + timedelta(days=7))
    assert stored(theirs) == []
    login(client, organiser_a)
    client.post(f"/manage/events/{mine.id}/edit", data=form_data(
        mine, clash_acknowledged="y", clash_note="Termin steht fest"))
    [clash] = stored(theirs)
    # Accepted with the note given on the form: the board does not ask for it again.
    assert (clash.rule, clash.status, clash.active) == ("same_district", "accepted", True)
    assert clash.note == "Termin steht fest"
    assert {clash.event_id, clash.other_event_id} == {mine.id, theirs.id}
    assert [action.action for action in clash.actions] == ["opened", "accepted"]
    board = db.session.execute(clash_board.clashes_for(organiser_b)).scalars().all()
    assert [item.id for item in board] == [clash.id]

    # Nothing to do for the scan: the stored state is already what it finds.
    report = clash_scan.scan_all(now_utc())
    assert (report.opened, report.reopened, report.gone) == (0, 0, 0)

    # Moved a week on again: settled at once, as "gone".
    client.post(f"/manage/events/{mine.id}/edit",
                data=form_data(mine, day=(SATURDAY + timedelta(days=7)).isoformat()))
    [clash] = stored(theirs)
    assert (clash.status, clash.active) == ("resolved", False)
    assert [action.action for action in clash.actions] == ["opened", "accepted", "gone"]


def test_an_accepted_clash_stays_accepted_through_a_save_that_moves_nothing(
        client, make_event, org_a, org_b, organiser_a, organiser_b):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    clash_scan.scan_all(now_utc())
    [clash] = stored(mine)
    clash_board.accept(clash, organiser_b, "Verschiedene Schulen", now=now_utc())
    db.session.commit()
    login(client, organiser_a)
    same_place = {"start_time": "09:00", "end_time": "14:00"}  # as make_event made it
    client.post(f"/manage/events/{mine.id}/edit",
                data=form_data(mine, title="Messe Siegen 27", **same_place))
    [clash] = stored(mine)
    assert (clash.status, clash.active) == ("accepted", True)
    client.post(f"/manage/events/{mine.id}/edit", data=form_data(mine, start_time="11:00"))
    [clash] = stored(mine)
    assert clash.status == "open"  # it moved: the decision no longer holds
    assert [action.action for action in clash.actions][-1] == "reopened"


def test_a_cancelled_event_has_no_clashes_left(client, make_event, org_a, org_b, organiser_a):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    mine = make_event("Messe Siegen", organisation=org_a, day=SATURDAY)
    clash_scan.scan_all(now_utc())
    db.session.commit()
    assert [clash.active for clash in stored(mine)] == [True]
    login(client, organiser_a)
    client.post(f"/manage/events/{mine.id}/status",
                data={"status": "cancelled", "reason": "Halle gesperrt"})
    assert [(clash.active, clash.status) for clash in stored(mine)] == [(False, "resolved")]


def test_a_draft_clashes_only_with_its_own_organisation_when_stored(
        client, make_event, org_a, org_b, organiser_a):
    make_event("Berufsmesse Olpe", organisation=org_b, town="Olpe", venue="Stadthalle Olpe",
               day=SATURDAY)
    own = make_event("Infoabend Siegen", organisation=org_a, day=SATURDAY)
    login(client, organiser_a)
    response = client.post("/manage/events/new", data=form_data(
        own, title="Entwurf Siegen", clash_acknowledged="y", clash_note="Nur ein Entwurf"))
    assert response.status_code == 302
    draft = db.session.execute(select(Clash)).scalars().all()
    assert len(draft) == 1 and draft[0].rule == "same_venue"
    assert own.id in (draft[0].event_id, draft[0].other_event_id)
