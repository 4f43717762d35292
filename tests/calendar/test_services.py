"""Domain rules of events: times, status, SEQUENCE, audit trail, visibility."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app.calendar import filters
from app.calendar import services as calendar
from app.calendar.models import Event
from app.extensions import db
from app.time import NonexistentLocalTime, local_to_utc, now_utc, to_local
from tests.conftest import municipality


def event_data(**overrides) -> calendar.EventData:
    values = dict(
        title="Ausbildungsmesse Olpe", event_type="training_fair",
        venue=calendar.find_or_create_venue("Stadthalle Olpe", municipality("Olpe")),
        all_day=False,
        starts_at=local_to_utc(date(2027, 4, 21), time(9)),
        ends_at=local_to_utc(date(2027, 4, 21), time(15)),
        audiences=["pupils"], industries=["CROSS"],
    )
    values.update(overrides)
    return calendar.EventData(**values)


@pytest.mark.parametrize(
    ("day", "expected_utc_hour"),
    [
        (date(2027, 3, 27), 9),   # CET, the day before the clocks go forward
        (date(2027, 3, 28), 8),   # the clocks go forward at 02:00: CEST from now on
        (date(2027, 10, 31), 9),  # the clocks go back at 03:00: CET again
    ],
)
def test_ten_oclock_local_is_stored_in_utc_and_shown_at_ten(app, day, expected_utc_hour):
    start = local_to_utc(day, time(10))
    assert start.tzinfo is UTC and start.hour == expected_utc_hour
    event = calendar.create_event(
        _organisation(), None,
        event_data(starts_at=start, ends_at=local_to_utc(day, time(12))), now=now_utc(),
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.starts_at == datetime(day.year, day.month, day.day, expected_utc_hour,
                                        tzinfo=UTC)
    assert to_local(stored.starts_at).strftime("%H:%M") == "10:00"


def test_a_time_the_clocks_skip_is_refused(app):
    with pytest.raises(NonexistentLocalTime):
        local_to_utc(date(2027, 3, 28), time(2, 30))


def test_whole_day_event_keeps_dates_and_covers_local_days(app):
    event = calendar.create_event(
        _organisation(), None,
        event_data(all_day=True, first_day=date(2027, 3, 27), last_day=date(2027, 3, 28),
                   starts_at=None, ends_at=None),
        now=now_utc(),
    )
    db.session.commit()
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.first_day, event.last_day) == (date(2027, 3, 27), date(2027, 3, 28))
    # Local midnight before the first day (CET) to local midnight after the last (CEST).
    assert event.starts_at == datetime(2027, 3, 26, 23, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 3, 28, 22, tzinfo=UTC)
    assert event.local_days == [date(2027, 3, 27), date(2027, 3, 28)]


def test_end_before_start_is_a_business_error_and_a_database_error(app):
    with pytest.raises(calendar.EventError) as error:
        calendar.create_event(_organisation(), None, event_data(
            ends_at=local_to_utc(date(2027, 4, 21), time(8))), now=now_utc())
    assert ("ends_at" in dict(error.value.errors))
    event = calendar.create_event(_organisation(), None, event_data(), now=now_utc())
    db.session.flush()
    event.ends_at = event.starts_at
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_every_business_rule_is_reported_at_once(app):
    with pytest.raises(calendar.EventError) as error:
        calendar.validate_event_data(event_data(
            title="  ", event_type="party", audiences=["pupils", "aliens"], industries=[],
            grade_from=10, grade_to=8,
        ))
    fields = {name for name, _ in error.value.errors}
    assert fields == {"title", "event_type", "audiences", "industries", "grade_to"}


def test_grade_range_only_for_pupils(app):
    with pytest.raises(calendar.EventError) as error:
        calendar.validate_event_data(event_data(audiences=["parents"], grade_from=8))
    assert dict(error.value.errors).keys() == {"grade_from"}


def test_sequence_grows_with_visible_changes_of_public_events_only(app, make_event):
    event = make_event(status="draft")
    calendar.update_event(event, None, event_data(title="Entwurf geändert"), now=now_utc())
    assert event.sequence == 0  # nobody has subscribed to a draft
    calendar.change_status(event, None, "published", now=now_utc())
    assert event.sequence == 0
    changes = calendar.update_event(event, None, event_data(title="Neuer Titel"), now=now_utc())
    assert set(changes) == {"title"} and event.sequence == 1
    assert calendar.update_event(event, None, event_data(title="Neuer Titel"), now=now_utc()) == {}
    assert event.sequence == 1
    calendar.update_event(event, None, event_data(
        title="Neuer Titel", starts_at=local_to_utc(date(2027, 4, 21), time(10))), now=now_utc())
    assert event.sequence == 2
    calendar.change_status(event, None, "cancelled", reason="Halle nicht verfügbar", now=now_utc())
    assert event.sequence == 3
    assert event.cancelled_at is not None and event.cancellation_reason == "Halle nicht verfügbar"
    db.session.commit()


def test_uid_never_changes(app, make_event):
    event = make_event(status="published")
    uid = event.uid
    calendar.update_event(event, None, event_data(title="Anderer Titel"), now=now_utc())
    calendar.change_status(event, None, "cancelled", now=now_utc())
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).uid == uid
    assert uid.endswith("@messekalender-suedwestfalen.de")


def test_status_moves_only_forward_to_the_public(app, make_event):
    event = make_event(status="published")
    with pytest.raises(calendar.EventError):
        calendar.change_status(event, None, "draft", now=now_utc())
    calendar.change_status(event, None, "cancelled", now=now_utc())
    with pytest.raises(calendar.EventError):
        calendar.change_status(event, None, "published", now=now_utc())
    with pytest.raises(calendar.EventError):
        calendar.update_event(event, None, event_data(), now=now_utc())


def test_audit_trail_records_who_changed_what(app, make_event, make_user):
    event = make_event(status="draft")
    user = make_user(organisation=event.organisation)
    calendar.update_event(event, user, event_data(title="Mit Protokoll"), via="api", now=now_utc())
    db.session.commit()
    last = event.changes[-1]
    assert last.user == user and last.action == "updated" and last.via == "api"
    assert last.changes["title"][1] == "Mit Protokoll"
    assert [change.action for change in event.changes][:1] == ["created"]


def test_visibility_rules(app, make_event, make_user, make_organisation, make_company):
    own = make_organisation("IHK Siegen")
    other = make_organisation("Südwestfälische IHK zu Hagen (SIHK)", "ihk")
    draft = make_event("Entwurf", organisation=own, status="draft")
    planned = make_event("Reserviert", organisation=own, status="planned")
    published = make_event("Öffentlich", organisation=own, status="published")
    own_organiser = make_user("a@example.org", organisation=own)
    other_organiser = make_user("b@example.org", organisation=other)
    company_user = make_user("c@example.org", role="company", company=make_company())
    admin = make_user("d@example.org", role="admin")

    def visible(user):
        return {e.title for e in db.session.execute(calendar.visible_events(user)).scalars()}

    assert visible(None) == {"Öffentlich"}
    assert visible(company_user) == {"Öffentlich"}
    assert visible(other_organiser) == {"Öffentlich", "Reserviert"}
    assert visible(own_organiser) == {"Öffentlich", "Reserviert", "Entwurf"}
    assert visible(admin) == {"Öffentlich", "Reserviert", "Entwurf"}
    assert not calendar.can_view(None, draft) and not calendar.can_view(None, planned)
    assert calendar.can_view(None, published)
    assert calendar.can_view(other_organiser, planned)
    assert not calendar.can_view(other_organiser, draft)
    assert calendar.can_edit(own_organiser, draft)
    assert not calendar.can_edit(other_organiser, published)
    assert not calendar.can_edit(company_user, published)
    assert calendar.can_edit(admin, published)


def test_filters_combine_with_and_across_and_or_within(app, make_event):
    make_event("Siegen Schüler", town="Siegen", audiences=("pupils",), day=date(2027, 2, 10))
    make_event("Meschede Eltern", town="Meschede", venue="Berufskolleg Meschede",
               audiences=("parents",), industries=("METALL",), day=date(2027, 2, 11))
    make_event("Soest Jobsuche", town="Soest", venue="Kreishaus", audiences=("jobseekers",),
               event_type="job_fair", day=date(2027, 3, 5))

    def titles(**args):
        event_filter = filters.EventFilter.from_args(MultiDict(args))
        return {e.title for e in db.session.execute(calendar.public_events(event_filter)).scalars()}

    assert titles(district=["SI", "HSK"]) == {"Siegen Schüler", "Meschede Eltern"}
    assert titles(district=["SI", "HSK"], audience=["parents"]) == {"Meschede Eltern"}
    assert titles(industry=["METALL"]) == {"Meschede Eltern"}
    assert titles(type=["job_fair"]) == {"Soest Jobsuche"}
    assert titles(**{"from": "2027-02-11", "to": "2027-03-04"}) == {"Meschede Eltern"}
    assert titles(**{"from": "2027-02-10", "to": "2027-02-10"}) == {"Siegen Schüler"}


@pytest.mark.parametrize(
    "args",
    [
        {"district": ["XX"]},
        {"industry": ["<script>"]},
        {"audience": ["aliens"]},
        {"type": ["party"]},
        {"from": "2027-13-01"},
        {"from": "yesterday"},
        {"from": "2027-03-01", "to": "2027-02-01"},
        {"district": ["HSK"] * 21},
        {"to": "9" * 5000},
    ],
)
def test_bad_filters_are_refused_with_a_reason(app, args):
    with pytest.raises(filters.FilterError) as error:
        filters.EventFilter.from_args(MultiDict(args))
    assert error.value.message


def _organisation():
    from app.accounts.models import Organisation

    organisation = db.session.execute(
        db.select(Organisation).where(Organisation.name == "Test-IHK")
    ).scalar_one_or_none()
    if organisation is None:
        organisation = Organisation(name="Test-IHK", kind="ihk")
        db.session.add(organisation)
        db.session.flush()
    return organisation
