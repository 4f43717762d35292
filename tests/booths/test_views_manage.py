"""The organisers' booth pages: set-up, categories, bookings, actions and exports."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.booths import services as booths
from app.booths.models import Booking, BoothCategory, BoothSetup
from app.extensions import db
from app.time import to_local
from tests.conftest import login


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def setup_form(event, **overrides) -> dict:
    start = to_local(event.starts_at)
    opens = (start - timedelta(days=20)).date()
    closes = (start - timedelta(days=2)).date()
    data = {"takes_exhibitors": "y", "opens_day": opens.isoformat(), "opens_time": "08:00",
            "closes_day": closes.isoformat(), "closes_time": "18:00", "approval": "manual",
            "setup_day": start.date().isoformat(), "setup_time": "07:00",
            "teardown_day": start.date().isoformat(), "teardown_time": "17:00",
            "allocation": "first_come", "waitlist_mode": "offer", "offer_hours": "48"}
    data.update(overrides)
    return data


def category_form(**overrides) -> dict:
    data = {"name": "Standard 9 m²", "size_m2": "9", "price": "249,50", "capacity": "10",
            "includes_table": "y", "includes_power": "y", "description": "Rückwand, Tisch"}
    data.update(overrides)
    return data


def test_organiser_sets_up_fair_and_categories(client, organiser, make_event):
    event = make_event(organisation=organiser.organisation)
    login(client, organiser)
    page = client.get(f"/manage/events/{event.id}/booths")
    assert page.status_code == 200
    assert "does not take exhibitors yet" in page.text or "keine Aussteller" in page.text

    saved = client.post(f"/manage/events/{event.id}/booths/setup", data=setup_form(event))
    assert saved.status_code == 302
    setup = db.session.get(BoothSetup, event.id)
    assert setup.approval == "manual"
    local_opens = to_local(setup.opens_at)
    assert (local_opens.hour, local_opens.minute) == (8, 0)  # local time → UTC and back
    assert to_local(setup.teardown_ends_at).hour == 17

    added = client.post(f"/manage/events/{event.id}/booths/categories", data=category_form())
    assert added.status_code == 302
    category = db.session.execute(select(BoothCategory)).scalar_one()
    assert (category.price_cents, category.size_m2, category.capacity) == (24950, 9.0, 10)
    assert category.includes_table and category.includes_power and not category.includes_internet

    page = client.get(f"/manage/events/{event.id}/booths")
    assert "Standard 9 m²" in page.text and "249,50" in page.text
    edit_url = f"/manage/events/{event.id}/booths/categories/{category.id}"
    form = client.get(edit_url)
    assert 'value="249,50"' in form.text
    changed = client.post(edit_url, data=category_form(name="Eckstand", price="300",
                                                       capacity="4"))
    assert changed.status_code == 302
    db.session.refresh(category)
    assert (category.name, category.price_cents, category.capacity) == ("Eckstand", 30000, 4)

    deleted = client.post(f"{edit_url}/delete")
    assert deleted.status_code == 302
    assert count(BoothCategory) == 0


def test_setup_errors_keep_input(client, organiser, make_event):
    event = make_event(organisation=organiser.organisation)
    login(client, organiser)
    start = to_local(event.starts_at)
    late = (start + timedelta(days=3)).date().isoformat()
    response = client.post(f"/manage/events/{event.id}/booths/setup",
                           data=setup_form(event, closes_day=late))
    assert response.status_code == 422
    assert "before the fair" in response.text or "vor Beginn" in response.text
    assert f'value="{late}"' in response.text
    assert db.session.get(BoothSetup, event.id) is None


def test_hostile_category_input_stores_nothing(client, organiser, fair):
    event = fair()
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/categories"
    for bad in ({"capacity": "-1"}, {"price": "abc"}, {"name": "x" * 5000},
                {"size_m2": "0"}, {"capacity": "12abc"}, {"price": "-5"},
                {"name": "Stand\x00"}, {"size_m2": "1e999"}):
        response = client.post(url, data=category_form(**bad))
        assert response.status_code == 422, bad
        assert "field__errors" in response.text, bad
    response = client.post(url, data=category_form(price="abc"))
    assert "Standard 9 m²" in response.text  # the name typed is kept
    assert count(BoothCategory) == 0


def test_approve_reject_move_cancel(client, organiser, fair, category, company, book):
    event = fair(approval="manual")
    small = category(event, "Klein", capacity=1)
    big = category(event, "Groß", capacity=3, price_cents=50000)
    (a, a_user), (b, b_user), (c, c_user) = company("Alpha GmbH"), company("Beta AG"), \
        company("Gamma KG")
    first = book(a, a_user, small)
    second = book(b, b_user, small)
    third = book(c, c_user, big)
    assert (first.status, second.status, third.status) == ("pending", "waitlisted", "pending")
    login(client, organiser)
    page = client.get(f"/manage/events/{event.id}/booths/bookings")
    assert "Alpha GmbH" in page.text and "Beta AG" in page.text
    bulk = f"/manage/events/{event.id}/booths/bookings/bulk"

    assert client.post(bulk, data={"action": "approve", "booking_ids": [first.id]}
                       ).status_code == 302
    assert db.session.get(Booking, first.id).status == "confirmed"
    client.post(bulk, data={"action": "reject", "booking_ids": [third.id], "confirmed": "1",
                            "reason": "Die Branche ist vertreten."})
    assert db.session.get(Booking, third.id).status == "rejected"
    client.post(bulk, data={"action": "move", "booking_ids": [first.id], "confirmed": "1",
                            "category_id": big.id})
    moved = db.session.get(Booking, first.id)
    assert (moved.category_id, moved.status) == (big.id, "confirmed")
    promoted = db.session.get(Booking, second.id)
    assert promoted.status == "pending"  # the freed place went to the waitlist's head
    client.post(bulk, data={"action": "cancel", "booking_ids": [first.id], "confirmed": "1",
                            "reason": "Auf Wunsch."})
    assert db.session.get(Booking, first.id).status == "cancelled"
    page = client.get(f"/manage/events/{event.id}/booths/bookings")
    assert "1 Buchung: Stornieren" in page.text or "1 booking: Cancel" in page.text


def test_failed_action_is_flashed(client, organiser, fair, category, company, book):
    event = fair()
    cat = category(event, capacity=1)
    other = category(event, "Voll", capacity=1)
    (a, a_user), (b, b_user) = company(), company()
    booking = book(a, a_user, cat)
    book(b, b_user, other)
    login(client, organiser)
    bulk = f"/manage/events/{event.id}/booths/bookings/bulk"
    response = client.post(bulk, data={"action": "move", "booking_ids": [booking.id],
                                       "category_id": other.id, "confirmed": "1"},
                           follow_redirects=True)
    assert "Voll" in response.text and "flash-error" in response.text
    assert db.session.get(Booking, booking.id).category_id == cat.id
    unknown = client.post(bulk, data={"action": "move", "booking_ids": [booking.id],
                                      "category_id": "999999", "confirmed": "1"})
    assert unknown.status_code == 400
    assert client.post(bulk, data={"action": "explode", "booking_ids": [booking.id]}
                       ).status_code == 422


def test_add_by_hand(client, organiser, fair, category, make_company):
    event = fair(opens=timedelta(days=-10), closes=None)
    cat = category(event, capacity=1)
    walk_in = make_company("Telefon GmbH")
    login(client, organiser)
    url = f"/manage/events/{event.id}/booths/bookings"
    response = client.post(url, data={"company_id": walk_in.id, "category_id": cat.id,
                                      "staff_count": "3", "remarks": "per Telefon"})
    assert response.status_code == 302
    booking = db.session.execute(select(Booking)).scalar_one()
    assert (booking.status, booking.staff_count, booking.remarks) == ("confirmed", 3,
                                                                      "per Telefon")
    again = client.post(url, data={"company_id": walk_in.id, "category_id": cat.id,
                                   "staff_count": "1"})
    assert again.status_code == 422 and "Telefon GmbH" in again.text
    bad = client.post(url, data={"company_id": "424242", "category_id": cat.id,
                                 "staff_count": "1"})
    assert bad.status_code == 422
    assert count(Booking) == 1


def test_exports_neutralise_hostile_names(client, organiser, fair, category, company, book):
    event = fair()
    cat = category(event, capacity=5)
    evil, user = company('=HYPERLINK("http://evil.example","x")')
    book(evil, user, cat, remarks="+SUM(A1)")
    login(client, organiser)
    csv_response = client.get(f"/manage/events/{event.id}/booths/exhibitors.csv")
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"].startswith("attachment;")
    text = csv_response.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+SUM(A1)" in text
    assert "\r\n=HYPERLINK" not in text

    xlsx = client.get(f"/manage/events/{event.id}/booths/exhibitors.xlsx")
    assert xlsx.mimetype == ("application/vnd.openxmlformats-officedocument"
                             ".spreadsheetml.sheet")
    assert ".xlsx" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A2"].value.startswith("'=HYPERLINK")
    assert sheet["A2"].data_type == "s"


def test_printable_list(client, organiser, fair, category, company, book):
    event = fair(approval="manual")
    cat = category(event, capacity=5)
    (a, a_user), (b, b_user) = company("Sichtbar GmbH"), company("Wartend GmbH")
    confirmed = book(a, a_user, cat)
    booths.approve(confirmed, organiser, confirmed.created_at)
    db.session.commit()
    book(b, b_user, cat)
    login(client, organiser)
    page = client.get(f"/manage/events/{event.id}/booths/exhibitors")
    assert page.status_code == 200
    assert "Sichtbar GmbH" in page.text and "Wartend GmbH" not in page.text
    assert "booth-print" in page.text


def test_permissions_of_manage_pages(client, app, fair, category, make_user,
                                     make_organisation, company, book):
    event = fair()
    cat = category(event)
    other_org = make_user("hwk@example.org", "organiser",
                          organisation=make_organisation("HWK Südwestfalen", "hwk"))
    firm, firm_user = company()
    booking = book(firm, firm_user, cat)
    urls = [f"/manage/events/{event.id}/booths",
            f"/manage/events/{event.id}/booths/exhibitors.csv",
            f"/manage/events/{event.id}/booths/exhibitors"]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous → login
        assert "/login" in client.get(url).headers["Location"]
    login(client, other_org)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(f"/manage/events/{event.id}/booths/bookings/bulk",
                       data={"action": "cancel", "booking_ids": [booking.id],
                             "confirmed": "1", "reason": "x"}).status_code == 403
    assert db.session.get(Booking, booking.id).status == "confirmed"
    assert client.get("/manage/events/999999/booths").status_code == 404
    login(client, firm_user)
    for url in urls:
        assert client.get(url).status_code == 403
