"""Static publication: 13 files, atomic, rewritten only when their bytes change."""

import os
import stat
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from app.calendar import services as calendar
from app.extensions import db
from app.feeds import publish
from app.time import now_utc

FILES = (
    ["all.ics"]
    + [f"district/{code}.ics" for code in ("HSK", "OE", "SI", "SO", "MK")]
    + [f"industry/{code}.ics" for code in
       ("AUTO", "METALL", "GEBTECH", "WERKSTOFF", "GESUNDHEIT", "HOLZ", "CROSS")]
)


def summaries(path: Path) -> set[str]:
    feed = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(event["SUMMARY"]) for event in feed.walk("VEVENT")}


def fingerprint(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def files_in(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def two_fairs(make_event):
    siegen = make_event("Messe Siegen", town="Siegen", industries=("METALL",))
    meschede = make_event("Messe Meschede", town="Meschede", venue="Berufskolleg",
                          industries=("CROSS",))
    make_event("Entwurf Siegen", town="Siegen", status="draft")
    return siegen, meschede


def rename(event, title: str) -> None:
    data = calendar.EventData(
        title=title, event_type=event.event_type, venue=event.venue, all_day=False,
        starts_at=event.starts_at, ends_at=event.ends_at, audiences=event.audience_codes,
        industries=event.industry_codes,
    )
    calendar.update_event(event, None, data, now=now_utc())
    db.session.commit()


def test_writes_the_13_feeds_that_parse(app, tmp_path, two_fairs):
    report = publish.publish_feeds(tmp_path, now_utc())
    assert list(report.written) == FILES and report.unchanged == ()
    assert files_in(tmp_path) == set(FILES)
    assert summaries(tmp_path / "all.ics") == {"Messe Siegen", "Messe Meschede"}
    assert summaries(tmp_path / "district/SI.ics") == {"Messe Siegen"}
    assert summaries(tmp_path / "district/HSK.ics") == {"Messe Meschede"}
    assert summaries(tmp_path / "district/OE.ics") == set()
    assert summaries(tmp_path / "industry/METALL.ics") == {"Messe Siegen"}
    assert summaries(tmp_path / "industry/CROSS.ics") == {"Messe Meschede"}
    for name in FILES:
        feed = icalendar.Calendar.from_ical((tmp_path / name).read_bytes())
        assert feed["VERSION"] == "2.0" and list(feed.walk("VTIMEZONE")), name
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    name = icalendar.Calendar.from_ical((tmp_path / "district/SI.ics").read_bytes())["NAME"]
    assert name == "Messekalender Südwestfalen: Kreis Siegen-Wittgenstein"


def test_files_hold_the_same_bytes_as_the_web_routes(app, client, tmp_path, two_fairs):
    publish.publish_feeds(tmp_path, now_utc())
    assert (tmp_path / "all.ics").read_bytes() == client.get("/feeds/all.ics").data
    assert (tmp_path / "district/SI.ics").read_bytes() == client.get(
        "/feeds/district/SI.ics").data
    assert (tmp_path / "industry/CROSS.ics").read_bytes() == client.get(
        "/feeds/industry/CROSS.ics").data


def test_a_second_run_rewrites_nothing(app, tmp_path, two_fairs):
    publish.publish_feeds(tmp_path, now_utc())
    before = {name: fingerprint(tmp_path / name) for name in FILES}
    report = publish.publish_feeds(tmp_path, now_utc() + timedelta(minutes=10))
    assert report.written == () and list(report.unchanged) == FILES
    assert {name: fingerprint(tmp_path / name) for name in FILES} == before


def test_a_change_rewrites_only_the_feeds_that_hold_the_event(app, tmp_path, two_fairs):
    siegen, _ = two_fairs
    publish.publish_feeds(tmp_path, now_utc())
    before = {name: fingerprint(tmp_path / name) for name in FILES}
    rename(siegen, "Messe Siegen (neuer Titel)")
    report = publish.publish_feeds(tmp_path, now_utc())
    assert set(report.written) == {"all.ics", "district/SI.ics", "industry/METALL.ics"}
    assert fingerprint(tmp_path / "district/HSK.ics") == before["district/HSK.ics"]
    assert fingerprint(tmp_path / "industry/CROSS.ics") == before["industry/CROSS.ics"]
    assert fingerprint(tmp_path / "district/SI.ics") != before["district/SI.ics"]
    assert summaries(tmp_path / "district/SI.ics") == {"Messe Siegen (neuer Titel)"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_cancellation_is_published_and_leaves_after_30_days(app, tmp_path, two_fairs):
    siegen, _ = two_fairs
    calendar.change_status(siegen, None, "cancelled", reason="Halle gesperrt", now=now_utc())
    db.session.commit()
    publish.publish_feeds(tmp_path, now_utc())
    feed = icalendar.Calendar.from_ical((tmp_path / "district/SI.ics").read_bytes())
    assert [str(event["STATUS"]) for event in feed.walk("VEVENT")] == ["CANCELLED"]
    report = publish.publish_feeds(tmp_path, now_utc() + timedelta(days=31))
    assert "district/SI.ics" in report.written
    assert summaries(tmp_path / "district/SI.ics") == set()


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "district" / "SI.ics"
    publish.write_if_changed(target, b"old")
    assert publish.write_if_changed(target, b"old") is False

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        publish.write_if_changed(target, b"new")
    assert target.read_bytes() == b"old"
    assert files_in(tmp_path) == {"district/SI.ics"}


def test_atomic_write_creates_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "er" / "all.ics"
    assert publish.write_if_changed(target, b"BEGIN:VCALENDAR\r\n") is True
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\n"
    assert files_in(tmp_path) == {"deep/er/all.ics"}


def test_with_a_state_only_feeds_whose_validator_moved_are_built(app, tmp_path, two_fairs,
                                                                  monkeypatch):
    siegen, _ = two_fairs
    state = publish.PublishState()
    now = now_utc()
    assert len(publish.publish_feeds(tmp_path, now, state).written) == 13
    built = []
    render = publish.feeds.render_feed
    monkeypatch.setattr(publish.feeds, "render_feed",
                        lambda event_filter, at: built.append(event_filter) or render(
                            event_filter, at))
    quiet = publish.publish_feeds(tmp_path, now + timedelta(minutes=10), state)
    assert quiet.written == quiet.unchanged == () and list(quiet.skipped) == FILES
    assert built == []  # nothing changed: not a single feed was built
    rename(siegen, "Messe Siegen, neu")
    report = publish.publish_feeds(tmp_path, now_utc(), state)
    assert set(report.written) == {"all.ics", "district/SI.ics", "industry/METALL.ics"}
    assert len(built) == 3 and len(report.skipped) == 10
    assert summaries(tmp_path / "district/SI.ics") == {"Messe Siegen, neu"}
    # A deleted file is written again even though its validator did not move.
    (tmp_path / "district/OE.ics").unlink()
    assert publish.publish_feeds(tmp_path, now_utc(), state).written == ("district/OE.ics",)
    # Every feed is built at least hourly, whatever the validators say; bytes decide.
    built.clear()
    later = publish.publish_feeds(tmp_path, now + publish.FULL_PUBLISH_EVERY, state)
    assert len(built) == 13 and later.written == () and len(later.unchanged) == 13


def test_cli_prints_what_it_wrote(app, runner, tmp_path, two_fairs):
    first = runner.invoke(args=["publish-feeds", "--directory", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "written    district/SI.ics" in first.output
    assert f"13 written, 0 unchanged in {tmp_path}" in first.output
    second = runner.invoke(args=["publish-feeds", "--directory", str(tmp_path)])
    assert "unchanged  all.ics" in second.output
    assert "0 written, 13 unchanged" in second.output


def test_cli_writes_to_calendars_dir_by_default(app, runner, tmp_path, two_fairs):
    app.config["CALENDARS_DIR"] = str(tmp_path / "published")
    result = runner.invoke(args=["publish-feeds"])
    assert result.exit_code == 0, result.output
    assert files_in(tmp_path / "published") == set(FILES)
