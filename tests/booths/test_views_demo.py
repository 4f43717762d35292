"""The demo data lets a newcomer click through the booth pages."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.services import find_user
from app.booths.models import Booking, BoothSetup
from app.demo import seed_demo
from app.extensions import db
from tests.conftest import login


def test_demo_fairs_take_exhibitors_and_seeding_twice_adds_nothing(app, client):
    seed_demo()
    db.session.commit()
    totals = [db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in (BoothSetup, Booking)]
    assert totals[0] >= 1 and totals[1] >= 2
    seed_demo()
    db.session.commit()
    assert [db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (BoothSetup, Booking)] == totals
    setup = db.session.execute(select(BoothSetup)).scalars().first()
    login(client, find_user("ihk-siegen@messekalender.example"))
    page = client.get(f"/manage/events/{setup.event_id}/booths")
    assert page.status_code == 200 and "Beispiel Metallbau GmbH" in page.text
    login(client, find_user("metallbau@messekalender.example"))
    assert "company-bookings" in client.get("/booths/").text
