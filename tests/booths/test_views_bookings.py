"""The organisers' bookings page (search, filters, bulk actions with a reason and a
confirmation, with and without JavaScript), the network members, and the company's
pages: every booking across organisers, offers to accept or decline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booths import services as booths
from app.booths.models import Booking, network_members
from app.extensions import db
from app.reference.models import Industry, Occupation
from app.time import local_today
from tests.booths.conftest import outbox_messages
from tests.conftest import login


def status(booking: Booking) -> str:
    return db.session.get(Booking, booking.id, populate_existing=True).status


@pytest.fixture
def busy(fair, category, company, book, make_event, organiser):
    """A fair with two categories, four companies of several industries."""
    event = fair(approval="manual", contact_name="Anna Beispiel",
                 contact_email="messe@ihk-siegen.example")
    small = category(event, "Klein", capacity=2)
    big = category(event, "Groß", capacity=5, price_cents=40000)
    welder = db.session.execute(select(Occupation).order_by(Occupation.id)).scalars().first()
    firms = {}
    for name, code, place, occupations in (("Alpha Metall GmbH", "METALL", small, [welder.id]),
                                           ("Beta Pflege gGmbH", "GESUNDHEIT", small, []),
                                           ("Gamma 100% Holz KG", "HOLZ", big, []),
                                           ("Delta Auto AG", "AUTO", big, [])):
        firm, user = company(name)
        firm.industries = [db.session.get(Industry, code)]
        db.session.commit()
        firms[name] = book(firm, user, place, occupation_ids=occupations)
    return event, small, big, firms, welder


def shown(client, event, query: str = "") -> set[str]:
    page = client.get(f"/manage/events/{event.id}/booths/bookings{query}")
    assert page.status_code == 200
    return {name for name in ("Alpha Metall GmbH", "Beta Pflege gGmbH", "Gamma 100% Holz KG",
                              "Delta Auto AG") if name in page.text}


def test_search_and_filters(client, organiser, busy):
    event, small, big, firms, welder = busy
    login(client, organiser)
    assert len(shown(client, event)) == 4
    assert shown(client, event, "?company=beta") == {"Beta Pflege gGmbH"}
    assert shown(client, event, "?company=100%25") == {"Gamma 100% Holz KG"}  # % is text
    assert shown(client, event, "?company=%25") == {"Gamma 100% Holz KG"}
    assert shown(client, event, f"?category={big.id}") == {"Gamma 100% Holz KG",
                                                            "Delta Auto AG"}
    assert shown(client, event, "?industry=GESUNDHEIT") == {"Beta Pflege gGmbH"}
    assert shown(client, event, f"?occupation={welder.id}") == {"Alpha Metall GmbH"}
    assert shown(client, event, "?status=pending&status=waitlisted") == set(shown(client,
                                                                                  event))
    assert shown(client, event, "?status=confirmed") == set()
    for hostile in ("?category=abc", "?occupation=-1", "?status=evil", "?industry=<b>",
                    "?company=" + "x" * 500, "?category=99999999999999999999"):
        assert client.get(f"/manage/events/{event.id}/booths/bookings{hostile}"
                          ).status_code == 200, hostile


def test_bulk_reject_asks_first_and_needs_a_reason(client, organiser, busy):
    event, small, big, firms, _ = busy
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/bookings/bulk"
    chosen = [firms["Alpha Metall GmbH"].id, firms["Gamma 100% Holz KG"].id]
    # Without JavaScript: the first post asks, names the companies, changes nothing.
    asked = client.post(url, data={"action": "reject", "booking_ids": chosen,
                                   "reason": "Die Branche ist schon vertreten."})
    assert asked.status_code == 200
    assert "Alpha Metall GmbH" in asked.text and "Gamma 100% Holz KG" in asked.text
    assert 'name="confirmed" value="1"' in asked.text
    assert "Die Branche ist schon vertreten." in asked.text
    assert {status(firms[name]) for name in firms} == {"pending"}
    # No reason: asked again with a message, nothing changed.
    no_reason = client.post(url, data={"action": "reject", "booking_ids": chosen,
                                       "confirmed": "1", "reason": "  "})
    assert no_reason.status_code == 422 and "field__errors" in no_reason.text
    assert {status(firms[name]) for name in firms} == {"pending"}
    done = client.post(url, data={"action": "reject", "booking_ids": chosen, "confirmed": "1",
                                  "reason": "Die Branche ist schon vertreten."})
    assert done.status_code == 302
    assert [status(firms["Alpha Metall GmbH"]), status(firms["Gamma 100% Holz KG"])] == [
        "rejected", "rejected"]
    assert status(firms["Beta Pflege gGmbH"]) == "pending"
    [mail] = outbox_messages(f"booking:{firms['Alpha Metall GmbH'].id}:rejected:%")
    assert "Die Branche ist schon vertreten." in mail.body
    assert "Anna Beispiel" in mail.body and "messe@ihk-siegen.example" in mail.body


def test_bulk_approve_and_move(client, organiser, busy):
    event, small, big, firms, _ = busy
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/bookings/bulk"
    ids = [booking.id for booking in firms.values()]
    assert client.post(url, data={"action": "approve", "booking_ids": ids}).status_code == 302
    assert {status(booking) for booking in firms.values()} == {"confirmed"}
    alpha = firms["Alpha Metall GmbH"]
    asked = client.post(url, data={"action": "move", "booking_ids": [alpha.id],
                                   "category_id": big.id})
    assert asked.status_code == 200 and "Groß" in asked.text
    assert db.session.get(Booking, alpha.id).category_id == small.id
    client.post(url, data={"action": "move", "booking_ids": [alpha.id],
                           "category_id": big.id, "confirmed": "1"})
    assert db.session.get(Booking, alpha.id, populate_existing=True).category_id == big.id
    no_target = client.post(url, data={"action": "move", "booking_ids": [alpha.id],
                                       "confirmed": "1"})
    assert no_target.status_code == 422


def test_bulk_ignores_bookings_of_other_fairs(client, organiser, busy, fair, category,
                                              company, book):
    event, *_ = busy
    other_event = fair("Andere Messe")
    stranger = book(*company("Fremd GmbH"), category(other_event, capacity=1))
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/bookings/bulk"
    response = client.post(url, data={"action": "cancel", "booking_ids": [stranger.id],
                                      "confirmed": "1", "reason": "x"})
    assert response.status_code == 422
    assert status(stranger) == "confirmed"
    for hostile in ({"action": "cancel", "booking_ids": ["abc"], "reason": "x"},
                    {"action": "approve"},
                    {"action": "<script>", "booking_ids": [stranger.id]}):
        assert client.post(url, data=hostile).status_code == 422


def test_bulk_needs_csrf(csrf_app, test_config, organiser, busy):
    event, *_, firms, _ = busy
    app = csrf_app(test_config)
    with app.test_client() as client:
        login(client, organiser)
        response = client.post(f"/manage/events/{event.id}/booths/bookings/bulk",
                               data={"action": "approve",
                                     "booking_ids": [firms["Delta Auto AG"].id]})
        assert response.status_code in (400, 422)
    assert status(firms["Delta Auto AG"]) == "pending"


def test_network_members(client, organiser, company, make_user, make_organisation):
    members = [company(f"Mitglied {n}")[0] for n in range(3)]
    login(client, organiser)
    page = client.get("/manage/booths/members")
    assert page.status_code == 200 and "Mitglied 2" in page.text
    saved = client.post("/manage/booths/members",
                        data={"company_ids": [members[0].id, members[2].id]})
    assert saved.status_code == 302
    rows = db.session.execute(select(network_members.c.company_id).where(
        network_members.c.organisation_id == organiser.organisation_id)).scalars().all()
    assert sorted(rows) == [members[0].id, members[2].id]
    assert client.post("/manage/booths/members",
                       data={"company_ids": ["999999"]}).status_code == 422
    client.post("/manage/booths/members", data={})
    assert not db.session.execute(select(network_members)).all()
    firm_user = members[0].users[0]
    login(client, firm_user)
    assert client.get("/manage/booths/members").status_code == 403


# --- the company's side ------------------------------------------------------------------


def test_every_booking_across_organisers_with_a_same_day_warning(
        client, fair, category, company, book, make_organisation, make_user, make_event, now):
    firm, user = company("Reise GmbH")
    day = local_today() + timedelta(days=40)
    siegen = fair("Messe Siegen", day=day)
    other_org = make_organisation("HWK Südwestfalen", "hwk")
    other_organiser = make_user("hwk@example.org", "organiser", organisation=other_org)
    olpe = make_event("Messe Olpe", day=day, organisation=other_org, town="Olpe")
    booths.configure_fair(olpe, other_organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=olpe.starts_at - timedelta(days=1)), now)
    db.session.commit()
    later = fair("Messe Soest", day=day + timedelta(days=7))
    olpe_place = booths.add_category(olpe, other_organiser, booths.CategoryData(
        name="Reihe", size_m2=6, price_cents=15000, capacity=2))
    db.session.commit()
    book(firm, user, category(siegen, capacity=2, price_cents=25000))
    book(firm, user, olpe_place)
    book(firm, user, category(later, capacity=2, price_cents=0))
    login(client, user)
    page = client.get("/booths/")
    assert page.status_code == 200
    for text in ("Messe Siegen", "Messe Olpe", "Messe Soest", "HWK Südwestfalen",
                 "IHK Siegen", "250", "150"):
        assert text in page.text, text
    assert page.text.count('role="alert"') == 1
    assert "Messe Soest" not in page.text.split('role="alert"')[1].split("</div>")[0]


def test_company_accepts_and_declines_offers_in_the_browser_forms(
        client, fair, category, company, book, now):
    event = fair(waitlist_mode="offer")
    place = category(event, capacity=1)
    holder_firm, holder = company("Erste GmbH")
    first = book(holder_firm, holder, place)
    (second_firm, second_user), (third_firm, third_user) = company("Zweite"), company("Dritte")
    second = book(second_firm, second_user, place)
    third = book(third_firm, third_user, place)
    booths.cancel(first, holder, now)
    db.session.commit()
    login(client, second_user)
    page = client.get(f"/booths/bookings/{second.id}")
    assert f"booths/bookings/{second.id}/accept" in page.text
    asked = client.post(f"/booths/bookings/{second.id}/decline")
    assert asked.status_code == 200 and status(second) == "offered"
    client.post(f"/booths/bookings/{second.id}/decline", data={"confirmed": "1"})
    assert status(second) == "declined" and status(third) == "offered"
    login(client, second_user)
    assert client.post(f"/booths/bookings/{third.id}/accept").status_code == 404
    login(client, third_user)
    accepted = client.post(f"/booths/bookings/{third.id}/accept", follow_redirects=True)
    assert accepted.status_code == 200 and status(third) == "confirmed"
    again = client.post(f"/booths/bookings/{third.id}/accept", follow_redirects=True)
    assert "flash-error" in again.text


def test_billing_details_are_asked_and_exported(client, fair, category, company, organiser):
    event = fair()
    place = category(event, capacity=2)
    firm, user = company("Rechnung GmbH")
    login(client, user)
    url = f"/booths/events/{event.id}/book"
    too_long = client.post(url, data={"category_id": place.id, "staff_count": "2",
                                      "invoice_address": "x" * 501,
                                      "order_number": "PO-1"})
    assert too_long.status_code == 422 and "PO-1" in too_long.text
    bad_line = client.post(url, data={"category_id": place.id, "staff_count": "2",
                                      "order_number": "PO\x001"})
    assert bad_line.status_code == 422
    assert not db.session.execute(select(Booking)).first()
    done = client.post(url, data={"category_id": place.id, "staff_count": "2",
                                  "invoice_address": "Beispielweg 1\n57072 Siegen",
                                  "order_number": "PO-2027-17"})
    assert done.status_code == 302
    booking = db.session.execute(select(Booking)).scalar_one()
    assert (booking.invoice_address, booking.order_number) == ("Beispielweg 1\n57072 Siegen",
                                                                "PO-2027-17")
    login(client, organiser)
    csv = client.get(f"/manage/events/{event.id}/booths/exhibitors.csv").data.decode(
        "utf-8-sig")
    assert "PO-2027-17" in csv and "Beispielweg 1" in csv
