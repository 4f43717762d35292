"""Every URL that names an object by id, tried by everyone who must not get at the object.

The matrix is built from ``app.url_map``, so a new route with an id is covered as soon as
it exists: each of its methods is tried anonymously, as a user of another company and as
an organiser of another organisation (pages with a session, the API with a bearer token).
The answer must be 401, 403 or 404 (anonymous pages may redirect to the login page), no
response may contain the objects' private data, and afterwards nothing has changed.

Published objects are public where the product says so (``PUBLIC_WHEN_PUBLISHED``); those
routes are still tried with the draft. A route whose id this test cannot fill in is
skipped and listed; the routes that exist today must all be covered (``MUST_COVER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.accounts.services import issue_token
from app.booths import services as booths
from app.booths.models import Booking
from app.calendar.models import Event
from app.clashes import scan as clash_scan
from app.clashes.models import BlackoutCalendar, Clash
from app.extensions import db
from app.time import now_utc
from app.visits import services as visits
from app.visits.models import ClassVisit, VisitSlot
from tests.conftest import PASSWORD_HASH, login

ANONYMOUS = "anonymous"
OTHER_COMPANY = "company of another company"
OTHER_ORGANISER = "organiser of another organisation"
EVERYONE = frozenset({ANONYMOUS, OTHER_COMPANY, OTHER_ORGANISER})

# Routes that show a *published* object to these roles (the public calendar, its feed, the
# API read, the booth categories of a fair that takes exhibitors; any company may book).
PUBLIC_WHEN_PUBLISHED = {
    "calendar.event": EVERYONE, "feeds.single_event": EVERYONE,
    "events.get_event": EVERYONE, "booth_events.list_categories": EVERYONE,
    "booths.book": {OTHER_COMPANY},
    "visit_events.list_slots": EVERYONE, "visits.register": EVERYONE, "visits.sent": EVERYONE,
    # which occupations a published fair's exhibitors present: every organiser may compare
    # (the region's overview shows the same facts), so that gaps can be recruited for
    "coverage.fair": {OTHER_ORGANISER},
}
# Values for route arguments that are not ids.
OTHER_ARGUMENTS = {"action": ["approve", "reject", "cancel"]}

# Every route with an id today; a change that stops covering one of them fails the test.
MUST_COVER = {
    "calendar.event", "feeds.single_event", "editing.edit_event", "editing.change_status",
    "events.get_event", "events.update_event", "events.change_status", "events.cancel_event",
    "booth_events.list_categories", "booth_events.list_event_bookings",
    "bookings.get_booking", "bookings.cancel_booking",
    "clashes.accept", "clashes.resolve", "clash_board.accept", "clash_board.resolve",
    "clash_board.delete_blackout_calendar",
    "admin.edit_organisation", "admin.set_active", "admin.reset_password",
    "admin_companies.company", "admin_companies.add_company_user",
    "accounts.revoke_token",
    "visit_events.list_slots", "visit_events.create_slot", "visit_events.set_registration",
    "visit_events.list_classes", "visit_slots.update_slot", "visit_slots.delete_slot",
    "manage_visits.manage", "manage_visits.save_setup", "manage_visits.close",
    "manage_visits.add_slot", "manage_visits.edit_slot", "manage_visits.delete_slot",
    "manage_visits.class_action", "manage_visits.export_csv", "manage_visits.export_xlsx",
    "manage_visits.print_plan", "coverage.fair",
}

# Bodies that would pass validation, so a refusal comes from the permission check and not
# from a 422 about a missing field.
API_BODIES = {
    "events.update_event": {"title": "Übernommen"},
    "events.change_status": {"status": "published"},
    "events.cancel_event": {"reason": "Übernommen"},
    "clashes.accept": {"note": "Übernommen"},
    "clashes.resolve": {"note": "Übernommen"},
}
FORM = {"status": "published", "title": "Übernommen", "note": "Übernommen", "name": "Übernommen",
        "kind": "other", "active": "", "reason": "Übernommen", "back_to": "index"}

SECRET_DRAFT_TITLE = "Geheimer Entwurf Zukunftstag"
SECRET_CONTACT = "vertraulich@firma-x.example"
SECRET_REMARKS = "Interne Standbemerkung 4711"
SECRET_ORG_EMAIL = "intern@ihk-siegen.example"
SECRET_USER_EMAIL = "a.geheim@ihk-siegen.example"
SECRET_TOKEN_LABEL = "Geheimes Token-Label"
SECRET_CALENDAR = "Interne Prüfungswochen"
SECRET_TEACHER = "lehrkraft.geheim@schule.example"
SECRETS = [SECRET_DRAFT_TITLE, SECRET_CONTACT, SECRET_REMARKS, SECRET_ORG_EMAIL,
           SECRET_USER_EMAIL, SECRET_TOKEN_LABEL, SECRET_CALENDAR, SECRET_TEACHER]


@dataclass
class World:
    ids: dict[str, list[int]]  # URL argument → ids of objects the intruders must not reach
    published_event_id: int
    intruders: dict[str, User | None]
    tokens: dict[str, str]


@pytest.fixture
def world(app, make_organisation, make_company, make_user, make_event) -> World:
    """Organisation A with a draft, a fair with a booking of company X, a clash with
    organisation C, a token; the intruders are of organisation B and company Y."""
    org_a = make_organisation("IHK Siegen", "ihk")
    org_a.email = SECRET_ORG_EMAIL
    org_b = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    org_c = make_organisation("Kreis Soest", "other")
    organiser_a = make_user(SECRET_USER_EMAIL, "organiser", organisation=org_a)
    organiser_b = make_user("b@hwk.example", "organiser", organisation=org_b)
    company_x = make_company("Firma X GmbH")
    company_x.contact_email = SECRET_CONTACT
    user_x = make_user("x@firma-x.example", "company", company=company_x)
    company_y = make_company("Firma Y GmbH")
    user_y = make_user("y@firma-y.example", "company", company=company_y)

    draft = make_event(SECRET_DRAFT_TITLE, organisation=org_a, status="draft")
    fair = make_event("Ausbildungsmesse Siegen", organisation=org_a)
    make_event("Berufsorientierung Kreis Soest", organisation=org_c,
               day=fair.starts_at.date())
    now = now_utc().replace(microsecond=0)
    categories = []
    for event in (fair, draft):
        booths.configure_fair(event, organiser_a, booths.FairSetupData(
            opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=1),
            approval="auto"), now)
        categories.append(booths.add_category(event, organiser_a, booths.CategoryData(
            name="Standard 9 m²", size_m2=9.0, price_cents=25000, capacity=3)))
    db.session.flush()
    booking = booths.book(company_x, categories[0], booths.BookingDetails(
        remarks=SECRET_REMARKS), user_x, now)
    slots, visit = class_visits(fair, draft, organiser_a, now)
    clash_scan.scan_all(now)
    clash = db.session.execute(select(Clash)).scalars().first()
    assert clash is not None, "the fixture should have produced a clash"
    calendar = BlackoutCalendar(name=SECRET_CALENDAR, source="upload", content_hash="0" * 64)
    db.session.add(calendar)
    issue_token(organiser_a, SECRET_TOKEN_LABEL)
    tokens = {OTHER_COMPANY: issue_token(user_y), OTHER_ORGANISER: issue_token(organiser_b)}
    db.session.commit()
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == organiser_a.id)
                               ).scalar_one()
    return World(
        ids={"event_id": [draft.id, fair.id], "booking_id": [booking.id],
             "clash_id": [clash.id], "calendar_id": [calendar.id],
             "organisation_id": [org_a.id], "user_id": [organiser_a.id],
             "token_id": [token.id], "company_id": [company_x.id],
             "category_id": [c.id for c in categories],
             "slot_id": [slot.id for slot in slots], "visit_id": [visit.id]},
        published_event_id=fair.id,
        intruders={ANONYMOUS: None, OTHER_COMPANY: user_y, OTHER_ORGANISER: organiser_b},
        tokens=tokens,
    )


def class_visits(fair: Event, draft: Event, organiser: User, now) -> tuple[list, ClassVisit]:
    """A class-visit slot at both events and a teacher's class at the fair."""
    slots = []
    for event in (fair, draft):
        visits.configure(event, organiser, visits.SetupData(
            opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=1)),
            now)
        slots.append(visits.add_slot(event, organiser, visits.SlotData(
            starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1),
            capacity=50), now))
    registration, _token = visits.register(fair, visits.RegistrationData(
        email=SECRET_TEACHER, school_name="Beispiel-Realschule", municipality_id=1,
        classes=[visits.ClassData(slot_id=slots[0].id, grade=9, pupils=20,
                                  teacher_name="Frau Beispiel", phone="0271 12345")]), now)
    return slots, registration.classes[0]


def id_arguments(rule) -> list[str]:
    return [name for name in rule.arguments if name == "id" or name.endswith("_id")]


def build_matrix(app: Flask, world: World) -> tuple[list[tuple], list[str]]:
    """(endpoint, method, url, role) for every route with an id; and the skipped routes."""
    cases, skipped = [], []
    for rule in app.url_map.iter_rules():
        names = id_arguments(rule)
        if not names:
            continue
        values_of = world.ids | OTHER_ARGUMENTS
        if any(name not in values_of for name in rule.arguments):
            skipped.append(f"{rule.endpoint} {rule.rule}")
            continue
        combos = [{}]
        for name in sorted(rule.arguments):
            combos = [combo | {name: value} for combo in combos for value in values_of[name]]
        for values in combos:
            allowed = set()
            if values.get("event_id") == world.published_event_id:
                allowed = PUBLIC_WHEN_PUBLISHED.get(rule.endpoint, set())
            url = rule.build(values, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for role in world.intruders:
                    if role not in allowed:
                        cases.append((rule.endpoint, method, url, role))
    return cases, skipped


def state(world: World) -> dict:
    """What an intruder might change; compared before and after the matrix."""
    db.session.expire_all()
    return {
        "events": sorted((e.id, e.title, e.status) for e in db.session.scalars(select(Event))),
        "bookings": sorted((b.id, b.status, b.remarks) for b in db.session.scalars(
            select(Booking))),
        "clashes": sorted((c.id, c.status) for c in db.session.scalars(select(Clash))),
        "calendars": sorted(c.name for c in db.session.scalars(select(BlackoutCalendar))),
        "users": sorted((u.email, u.active, u.password_hash == PASSWORD_HASH)
                        for u in db.session.scalars(select(User))),
        "tokens": sorted((t.label, t.revoked_at is None) for t in db.session.scalars(
            select(ApiToken))),
        "slots": sorted((s.id, s.capacity, s.starts_at) for s in db.session.scalars(
            select(VisitSlot))),
        "classes": sorted((c.id, c.status, c.slot_id) for c in db.session.scalars(
            select(ClassVisit))),
    }


def test_nobody_reaches_another_ones_objects(app, world, capsys):
    cases, skipped = build_matrix(app, world)
    covered = {case[0] for case in cases}
    with capsys.disabled():
        print(f"\npermission matrix: {len(covered)} routes with ids, {len(cases)} requests "
              f"({len(world.intruders)} roles); skipped (no data for their ids): "
              f"{sorted(skipped) or 'none'}")
    assert covered >= MUST_COVER, f"not covered: {sorted(MUST_COVER - covered)}"

    before = state(world)
    problems = []
    for endpoint, method, url, role in cases:
        client = app.test_client()
        user = world.intruders[role]
        is_api = url.startswith("/api/")
        headers = {}
        if user is not None and is_api:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        elif user is not None:
            login(client, user)
        kwargs: dict = {"headers": headers}
        if method != "GET":
            if is_api:
                kwargs["json"] = API_BODIES.get(endpoint, {})
            else:
                kwargs["data"] = FORM
        response = client.open(url, method=method, **kwargs)
        body = response.get_data(as_text=True)
        refused = response.status_code in (401, 403, 404) or (
            user is None and not is_api and response.status_code == 302
            and "/login" in response.headers.get("Location", ""))
        if not refused:
            problems.append(f"{role}: {method} {url} ({endpoint}) → {response.status_code}")
        leaked = [secret for secret in SECRETS if secret in body]
        if leaked:
            problems.append(f"{role}: {method} {url} ({endpoint}) shows {leaked}")
        db.session.rollback()
    assert not problems, "\n".join(problems)
    assert state(world) == before


def test_the_matrix_would_notice_an_owner(app, world):
    """The owner of the draft gets it: the matrix's refusals are not a broken set-up."""
    organiser_a = db.session.execute(
        select(User).where(User.email == SECRET_USER_EMAIL)).scalar_one()
    client = app.test_client()
    login(client, organiser_a)
    draft_id = world.ids["event_id"][0]
    response = client.get(f"/manage/events/{draft_id}/edit")
    assert response.status_code == 200
    assert SECRET_DRAFT_TITLE in response.get_data(as_text=True)
