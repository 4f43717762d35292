"""``flask scan-clashes``: a German report, non-zero exit while hard clashes are open."""

from __future__ import annotations

from app.clashes import board as clash_board
from app.clashes.models import Clash
from app.extensions import db
from app.time import now_utc
from tests.clashes.conftest import SATURDAY


def test_scan_without_clashes_exits_zero(runner, make_event, org_a):
    make_event("Messe", organisation=org_a, day=SATURDAY)
    result = runner.invoke(args=["scan-clashes"])
    assert result.exit_code == 0, result.output
    assert "1 Veranstaltungen geprüft" in result.output or "Veranstaltung" in result.output


def test_open_hard_clash_fails_until_accepted(runner, make_event, org_a, org_b, organiser_a):
    make_event("Messe A", organisation=org_a, day=SATURDAY)
    make_event("Messe B", organisation=org_b, day=SATURDAY, event_type="job_fair")
    result = runner.invoke(args=["scan-clashes"])
    assert result.exit_code == 1
    assert "Messe A" in result.output and "Messe B" in result.output
    assert "Siegerlandhalle" in result.output
    clash = db.session.execute(db.select(Clash)).scalar_one()
    clash_board.accept(clash, organiser_a, "Abgesprochen", now=now_utc())
    db.session.commit()
    assert runner.invoke(args=["scan-clashes"]).exit_code == 0

