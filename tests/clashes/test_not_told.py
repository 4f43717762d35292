"""No page promises a message to someone who cannot be reached: clash mails also go to
the organisation's contact address, and the board says in advance who will not be told."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from app.calendar.recipients import organiser_recipients
from app.clashes import scan as services
from app.clashes.models import Clash
from app.extensions import db
from app.time import now_utc
from tests.clashes.conftest import SATURDAY
from tests.conftest import login


def clash_between(make_event, org_a, org_b) -> Clash:
    make_event("Messe A", organisation=org_a, day=SATURDAY, start=time(9), end=time(14))
    make_event("Messe B", organisation=org_b, day=SATURDAY, start=time(10), end=time(15))
    services.scan_all(now_utc())
    db.session.commit()
    return db.session.execute(select(Clash)).scalars().first()


def test_the_organisation_contact_address_receives_clash_mail(make_event, org_a, org_b,
                                                             organiser_b):
    org_b.email = "kontakt@hwk.example"
    db.session.commit()
    event = make_event("Messe B", organisation=org_b)
    emails = [recipient.email for recipient in organiser_recipients(event)]
    assert emails == ["b@hwk.example", "kontakt@hwk.example"]
    organiser_b.email = "KONTAKT@hwk.example"  # the same address once only
    db.session.commit()
    assert len(organiser_recipients(event)) == 1


def test_the_board_says_who_will_not_be_told(client, make_event, org_a, org_b, organiser_a):
    clash = clash_between(make_event, org_a, org_b)
    login(client, organiser_a)
    html = client.get("/clashes?status=all").get_data(as_text=True)
    assert "Handwerkskammer Südwestfalen" in html and "nicht per E-Mail" in html
    response = client.post(f"/clashes/{clash.id}/accept", data={"note": "Passt so."},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "kann aber nicht per E-Mail" in page and "per E-Mail informiert" not in page


def test_a_reachable_organiser_is_promised_a_mail(client, make_event, org_a, org_b,
                                                 organiser_a):
    org_b.email = "kontakt@hwk.example"
    db.session.commit()
    clash = clash_between(make_event, org_a, org_b)
    login(client, organiser_a)
    html = client.get("/clashes?status=all").get_data(as_text=True)
    assert "nicht per E-Mail" not in html
    page = client.post(f"/clashes/{clash.id}/accept", data={"note": "Passt so."},
                       follow_redirects=True).get_data(as_text=True)
    assert "kann aber nicht per E-Mail" not in page
