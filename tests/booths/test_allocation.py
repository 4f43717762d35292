"""Applications, then allocation: reproducible from the published seed, priority groups
first, quotas per industry respected, waitlists in the drawn order, once, and the rules
fixed once companies have applied."""

from __future__ import annotations

import hashlib
import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booths import services as booths
from app.booths.models import Booking, BoothSetup, network_members
from app.booths.services.allocation import Applicant, allocate_places, draw, draw_key
from app.extensions import db
from app.reference.models import Industry
from tests.booths.conftest import outbox_messages
from tests.conftest import login


def applicant(number: int, category: int = 1, industries=(), groups=()) -> Applicant:
    return Applicant(number, category, frozenset(industries), frozenset(groups))


# --- the pure rules ----------------------------------------------------------------------


def test_the_draw_is_reproducible_from_its_seed():
    people = [applicant(number) for number in range(1, 60)]
    shuffled = random.Random(3).sample(people, len(people))
    first = draw(people, "abc123", [])
    assert draw(shuffled, "abc123", []) == first  # the input order does not matter
    assert draw(people, "abc124", []) != first
    keys = [hashlib.sha256(f"abc123:{a.booking_id}".encode()).hexdigest() for a in first]
    assert keys == sorted(keys)  # anyone can recompute it with any SHA-256 tool
    assert draw_key("abc123", 7) == hashlib.sha256(b"abc123:7").hexdigest()


def test_priority_groups_come_first_in_their_ranking():
    people = [applicant(1), applicant(2, groups={"district"}), applicant(3, groups={"members"}),
              applicant(4, groups={"members", "district"}), applicant(5, groups={"first_time"})]
    order = [a.booking_id for a in draw(people, "s", ["members", "district"])]
    assert set(order[:2]) == {3, 4} and order[2] == 2 and set(order[3:]) == {1, 5}


def test_quotas_are_met_before_everyone_else():
    order = [applicant(n, industries={"AUTO"}) for n in range(1, 9)] + [
        applicant(20, industries={"GESUNDHEIT"}), applicant(21, industries={"HOLZ"}),
        applicant(22, industries={"HOLZ", "GESUNDHEIT"})]
    placed, waitlists = allocate_places(order, {1: 5}, {"GESUNDHEIT": 2, "HOLZ": 1})
    assert len(placed) == 5
    assert {20, 22} <= set(placed)  # care: two places
    assert 21 in placed or 22 in placed  # crafts: one (22 counts for both)
    assert waitlists[1] == [a.booking_id for a in order if a.booking_id not in placed]


def test_quotas_never_exceed_the_places_and_wait_when_nobody_qualifies():
    order = [applicant(n, industries={"AUTO"}) for n in range(1, 5)]
    placed, waitlists = allocate_places(order, {1: 3}, {"HOLZ": 2})
    assert placed == [1, 2, 3] and waitlists == {1: [4]}


def test_categories_fill_separately():
    order = [applicant(1, 1), applicant(2, 2), applicant(3, 1), applicant(4, 2)]
    placed, waitlists = allocate_places(order, {1: 1, 2: 2}, {})
    assert placed == [1, 2, 4] and waitlists == {1: [3]}


# --- a lottery fair ----------------------------------------------------------------------


@pytest.fixture
def lottery(fair, category, organiser, now):
    """``lottery(capacity=3, groups=[...], quotas={...})`` → (event, category): applications
    open now, the window closes in a day."""

    def make(capacity: int = 3, groups=(), quotas=None, approval: str = "auto"):
        event = fair(approval=approval)
        place = category(event, capacity=capacity)
        setup = booths.setup_of(event)
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=setup.opens_at, closes_at=now + timedelta(days=1), approval=approval,
            allocation="lottery", waitlist_mode="offer", priority_groups=list(groups),
            quotas=dict(quotas or {})), now)
        db.session.commit()
        return event, place

    return make


def industry(company, code: str) -> None:
    company.industries = [db.session.get(Industry, code)]
    db.session.commit()


def test_applications_hold_no_place_until_the_window_closes(lottery, company, book, now):
    event, place = lottery(capacity=2)
    applications = [book(*company(f"Firma {n}"), place) for n in range(5)]
    assert {a.status for a in applications} == {"applied"}
    assert db.session.get(type(place), place.id).places_taken == 0
    assert booths.due_allocations(now) == 0  # still open
    [mail] = outbox_messages(f"booking:{applications[0].id}:applied:%")
    assert "allocated" in mail.body or "zugeteilt" in mail.body


def test_allocation_follows_the_published_seed(lottery, company, book, now):
    event, place = lottery(capacity=3)
    applications = [book(*company(f"Firma {n}"), place) for n in range(8)]
    setup = db.session.get(BoothSetup, event.id)
    fingerprint = booths.seed_fingerprint(setup.lottery_seed)
    closes = now + timedelta(days=1)
    assert booths.due_allocations(closes) == 8
    db.session.commit()
    assert booths.due_allocations(closes + timedelta(minutes=1)) == 0
    db.session.expire_all()
    setup = db.session.get(BoothSetup, event.id)
    assert hashlib.sha256(setup.lottery_seed.encode()).hexdigest() == fingerprint
    expected = sorted((a.id for a in applications),
                      key=lambda number: draw_key(setup.lottery_seed, number))
    drawn = booths.drawn_order(event)
    assert [b.id for b in drawn] == expected
    assert [b.draw_position for b in drawn] == list(range(1, 9))
    assert [b.status for b in drawn] == ["confirmed"] * 3 + ["waitlisted"] * 5
    assert [b.waitlist_position for b in drawn[3:]] == [1, 2, 3, 4, 5]
    assert db.session.get(type(place), place.id).places_taken == 3
    for booking in drawn:  # everyone hears the outcome at once
        [mail] = outbox_messages(f"booking:{booking.id}:allocated:%")
        assert f"/booths/events/{event.id}/allocation" in mail.body


def test_priority_and_quotas_at_a_fair(lottery, company, book, organiser, now):
    event, place = lottery(capacity=3, groups=["members"], quotas={"GESUNDHEIT": 1})
    member_firm, member_user = company("Mitglied GmbH")
    db.session.execute(network_members.insert().values(
        organisation_id=organiser.organisation_id, company_id=member_firm.id))
    care_firm, care_user = company("Pflege gGmbH")
    industry(care_firm, "GESUNDHEIT")
    others = [book(*company(f"Firma {n}"), place) for n in range(6)]
    member = book(member_firm, member_user, place)
    care = book(care_firm, care_user, place)
    for booking in others:
        industry(booking.company, "AUTO")
    booths.due_allocations(now + timedelta(days=1))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, member.id).status == "confirmed"
    assert db.session.get(Booking, member.id).draw_group == "members"
    assert db.session.get(Booking, member.id).draw_position == 1
    assert db.session.get(Booking, care.id).status == "confirmed"  # the quota
    confirmed = db.session.execute(select(Booking).where(
        Booking.category_id == place.id, Booking.status == "confirmed")).scalars().all()
    assert len(confirmed) == 3


def test_two_schedulers_allocate_once(app, lottery, company, book, now):
    event, place = lottery(capacity=2)
    for n in range(6):
        book(*company(f"Firma {n}"), place)
    barrier = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            barrier.wait(timeout=10)
            results.append(booths.due_allocations(now + timedelta(days=1)))
            db.session.commit()
            db.session.remove()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 6]
    db.session.expire_all()
    statuses = sorted(b.status for b in db.session.execute(
        select(Booking).where(Booking.event_id == event.id)).scalars())
    assert statuses == ["confirmed"] * 2 + ["waitlisted"] * 4
    assert len(outbox_messages("booking:%:allocated:%")) == 6


def test_a_freed_place_after_allocation_is_offered_in_drawn_order(lottery, company, book,
                                                                  organiser, now):
    event, place = lottery(capacity=1)
    for n in range(3):
        book(*company(f"Firma {n}"), place)
    closes = now + timedelta(days=1)
    booths.due_allocations(closes)
    db.session.commit()
    drawn = booths.drawn_order(event)
    booths.cancel(drawn[0], organiser, closes + timedelta(hours=1), reason="Doppelt gebucht.")
    db.session.commit()
    assert db.session.get(Booking, drawn[1].id).status == "offered"
    assert db.session.get(Booking, drawn[2].id).waitlist_position == 1


def test_bad_allocation_input(lottery, fair, category, organiser, company, book, now):
    event = fair()
    category(event, capacity=4)
    setup = booths.setup_of(event)

    def configure(**changes):
        data = dict(opens_at=setup.opens_at, closes_at=setup.closes_at,
                    allocation="lottery", waitlist_mode="offer")
        data.update(changes)
        booths.configure_fair(event, organiser, booths.FairSetupData(**data), now)

    for bad, field in ((dict(quotas={"HOLZ": 5}), "quotas"),           # above the places
                       (dict(quotas={"HOLZ": 3, "AUTO": 2}), "quotas"),
                       (dict(quotas={"XYZ": 1}), "quotas"),
                       (dict(quotas={"HOLZ": 0}), "quotas"),
                       (dict(priority_groups=["members", "members"]), "priority_groups"),
                       (dict(priority_groups=["friends"]), "priority_groups"),
                       (dict(allocation="auction"), "allocation"),
                       (dict(closes_at=event.starts_at + timedelta(hours=1)), "closes_at"),
                       (dict(offer_hours=0), "offer_hours"),
                       (dict(waitlist_mode="maybe"), "waitlist_mode")):
        with pytest.raises(booths.BookingInvalid) as error:
            configure(**bad)
        assert error.value.field == field, bad
        db.session.rollback()
    assert booths.setup_of(event).allocation == "first_come"
    configure(quotas={"HOLZ": 4})
    db.session.commit()
    book(*company(), booths.categories_of(event)[0])
    with pytest.raises(booths.BookingInvalid) as error:  # rules fixed once applied
        configure(quotas={"HOLZ": 2})
    assert error.value.field == "allocation"
    db.session.rollback()
    with pytest.raises(booths.BookingInvalid):
        configure(allocation="first_come")
    db.session.rollback()
    with pytest.raises(booths.BookingInvalid) as error:  # capacity below the quotas
        booths.update_category(booths.categories_of(event)[0], organiser, booths.CategoryData(
            name="Standard 9 m²", size_m2=9, price_cents=1, capacity=3), now)
    assert error.value.field == "capacity"


def test_the_published_page(client, lottery, company, book, now):
    event, place = lottery(capacity=1, groups=["first_time"], quotas={"HOLZ": 1})
    firm, user = company("Geheim GmbH")
    application = book(firm, user, place)
    book(*company("Andere GmbH"), place)
    setup = db.session.get(BoothSetup, event.id)
    page = client.get(f"/booths/events/{event.id}/allocation")
    assert page.status_code == 200
    assert booths.seed_fingerprint(setup.lottery_seed) in page.text
    assert setup.lottery_seed not in page.text  # secret until the allocation
    fair_page = client.get(f"/events/{event.id}")
    assert booths.seed_fingerprint(setup.lottery_seed) in fair_page.text
    booths.due_allocations(now + timedelta(days=1))
    db.session.commit()
    page = client.get(f"/booths/events/{event.id}/allocation")
    assert setup.lottery_seed in page.text
    assert draw_key(setup.lottery_seed, application.id) in page.text
    assert "Geheim GmbH" not in page.text and "Andere GmbH" not in page.text
    login(client, user)
    mine = client.get(f"/booths/bookings/{application.id}")
    assert str(application.id) in mine.text


def test_first_come_fairs_have_no_allocation_page(client, fair):
    event = fair()
    assert client.get(f"/booths/events/{event.id}/allocation").status_code == 404
    assert client.get("/booths/events/99999999/allocation").status_code == 404
