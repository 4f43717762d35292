"""Demo data: the initiative's real organisations and the region's real recurring fairs.

The fairs come from ``training_fairs_examples.csv``; each is placed on its next edition
after today, in its typical month and on the weekday of its last known date. Companies
are fictional and say so in their names ("Beispiel …"), so nobody mistakes them for
real exhibitors. Running the seed twice changes nothing: every row has a natural key.
"""

from __future__ import annotations

import re
import uuid
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from app.accounts.models import Company, Organisation
from app.accounts.services import create_user, find_company, find_organisation, find_user
from app.calendar import services as calendar
from app.calendar.models import UID_DOMAIN, Event
from app.extensions import db
from app.reference.loader import load_reference_data, read_rows
from app.reference.models import Industry, Municipality, Occupation
from app.time import local_to_utc, local_today, now_utc

DEMO_PASSWORD = "Messekalender-Demo-2026"

# (name, kind, website). Real organisations of the region's initiative.
ORGANISATIONS = [
    ("IHK Arnsberg, Hellweg-Sauerland", "ihk", "https://www.ihk-arnsberg.de"),
    ("Südwestfälische IHK zu Hagen (SIHK)", "ihk", "https://www.sihk.de"),
    ("IHK Siegen", "ihk", "https://www.ihk-siegen.de"),
    ("Handwerkskammer Südwestfalen", "hwk", "https://www.hwk-swf.de"),
    ("Fachhochschule Südwestfalen", "university", "https://www.fh-swf.de"),
    ("Südwestfalen Agentur", "network", "https://www.suedwestfalen.com"),
    ("Wirtschaftsförderung Arnsberg GmbH", "wfg", None),
    ("Wirtschaftsförderung Sundern", "wfg", None),
    ("Stadt Marsberg", "wfg", None),
    ("Städte Brilon und Olsberg", "wfg", None),
    ("Interessengemeinschaft Mescheder Wirtschaft (IMW)", "network", None),
    ("Stadt Lüdenscheid", "wfg", None),
    ("Arbeitgeberverband Lüdenscheid", "network", None),
    ("Kreis Soest", "other", None),
    ("Agentur für Arbeit Iserlohn", "other", None),
    ("Ausbildungsmesse SüdSiegerland e.V.", "network", None),
    ("Lippstädter Schützenverein", "other", None),
    ("Adolf-Reichwein-Gesamtschule Lüdenscheid", "other", None),
]

# Which demo organisation runs which fair: the first organiser the CSV names for it.
ORGANISER_OF_FAIR = {
    "Ausbildungsmesse Siegen": "IHK Siegen",
    "Ausbildungsmesse Wittgenstein": "IHK Siegen",
    "Ausbildungsmesse Lennestadt": "IHK Siegen",
    "Ausbildungsmesse Olpe (formerly Berufsmesse Olpe)": "IHK Siegen",
    "Ausbildungsmesse SüdSiegerland": "Ausbildungsmesse SüdSiegerland e.V.",
    "BerufsInfoBörse (BIB) Meschede": "Interessengemeinschaft Mescheder Wirtschaft (IMW)",
    "Ausbildungsbörse Brilon/Olsberg": "Städte Brilon und Olsberg",
    "Arnsberger Ausbildungsmesse": "Wirtschaftsförderung Arnsberg GmbH",
    "Berufsparcours und Berufsinfoabend Sundern": "Wirtschaftsförderung Sundern",
    "Berufs- und Ausbildungsmesse Marsberg": "Stadt Marsberg",
    "Karriere im MK (Ausbildungs- und Studienbörse)": "Südwestfälische IHK zu Hagen (SIHK)",
    "Ausbildungsmesse Lüdenscheid": "Stadt Lüdenscheid",
    "Azubi-Speed-Dating Lüdenscheid": "Arbeitgeberverband Lüdenscheid",
    "Azubi-Speed-Dating Iserlohn": "Agentur für Arbeit Iserlohn",
    "Ausbildungsmesse der Kreisverwaltung Soest": "Kreis Soest",
    "Big-Wheel-Dating (Allerheiligenkirmes)": "Handwerkskammer Südwestfalen",
    "Bildungsmesse Kreis Soest": "Kreis Soest",
    "Jobbörse des Lippstädter Schützenvereins": "Lippstädter Schützenverein",
    "StARG-Karrierekompass": "Adolf-Reichwein-Gesamtschule Lüdenscheid",
}

# Reserved (planned) and draft examples, so organisers see every status in the demo.
NOT_YET_PUBLISHED = {
    "Berufs- und Ausbildungsmesse Marsberg": "planned",
    # Last confirmed 2016: kept as a draft until the organiser confirms it still runs.
    "Ausbildungsmesse Lüdenscheid": "draft",
}

EVENT_TYPE_WORDS = [
    ("speed-dating", "speed_dating"),
    ("lehrstellenbörse", "placement_exchange"),
    ("weiterbildung", "further_training_fair"),
    ("jobbörse", "job_fair"),
    ("studienbörse", "training_fair"),
    ("ausbildung", "training_fair"),
    ("berufs", "training_fair"),
]

# (name, municipality, industries, occupations, website)
COMPANIES = [
    ("Beispiel Metallbau GmbH", "Lüdenscheid", ["METALL"],
     ["Industriemechaniker/-in", "Zerspanungsmechaniker/-in"]),
    ("Beispiel Automotive Komponenten GmbH", "Olpe", ["AUTO", "METALL"],
     ["Werkzeugmechaniker/-in", "Industriemechaniker/-in"]),
    ("Beispiel Haustechnik GmbH", "Meschede", ["GEBTECH"], []),
    ("Beispiel Kunststofftechnik GmbH", "Meinerzhagen", ["WERKSTOFF"],
     ["Kunststoff- und Kautschuktechnologe/-in"]),
    ("Beispiel Holzbau GmbH", "Schmallenberg", ["HOLZ"], []),
]

DEMO_ORGANISERS = [
    ("ihk-siegen", "IHK Siegen"),
    ("sihk", "Südwestfälische IHK zu Hagen (SIHK)"),
    ("ihk-arnsberg", "IHK Arnsberg, Hellweg-Sauerland"),
    ("wf-arnsberg", "Wirtschaftsförderung Arnsberg GmbH"),
]
DEMO_COMPANY_LOGINS = ["metallbau", "automotive", "haustechnik"]


@dataclass
class DemoLogin:
    email: str
    role: str
    of: str


def seed_demo(today: date | None = None) -> list[DemoLogin]:
    """Fill the database with demo data (idempotent); return the demo logins."""
    today = today or local_today()
    load_reference_data()
    organisations = {name: _organisation(name, kind, website)
                     for name, kind, website in ORGANISATIONS}
    companies = [_company(*row) for row in COMPANIES]
    for row in read_rows("training_fairs_examples.csv"):
        organiser = organisations.get(ORGANISER_OF_FAIR.get(row["name"], ""))
        if organiser is not None:
            _fair(row, organiser, today)
    logins = [_login("admin@messekalender.example", "admin")]
    for local_part, name in DEMO_ORGANISERS:
        logins.append(_login(f"{local_part}@messekalender.example", "organiser",
                             organisation=organisations[name]))
    for local_part, company in zip(DEMO_COMPANY_LOGINS, companies, strict=False):
        logins.append(_login(f"{local_part}@messekalender.example", "company", company=company))
    db.session.flush()
    _booths(companies)
    _pending_onboarding(f"{DEMO_ORGANISERS[0][0]}@messekalender.example")
    _class_visits(today)
    return logins


# The data set's audience notes where they are partly English, in German: a German user
# reads the demo descriptions (same facts, translated).
GERMAN_AUDIENCES = {
    "Ausbildungsmesse Olpe (formerly Berufsmesse Olpe)":
        "Schülerinnen und Schüler (bisher Klassen 8–13) aus Olpe, Drolshagen, Wenden; "
        "Eltern; Studienabbrecher",
    "Berufsmesse Attendorn":
        "Schülerinnen und Schüler der vier weiterführenden Schulen (vormittags), "
        "Öffentlichkeit/Eltern (nachmittags); auch für den Raum Finnentrop",
    "BerufsInfoBörse (BIB) Meschede":
        "Freitag: Schulklassen (ca. 1.000 Schülerinnen und Schüler); Samstag: alle, auch "
        "Fachkräfte und Quereinsteiger",
    "Ausbildungsbörse Brilon/Olsberg":
        "Klasse 9 von sechs Schulen in Brilon und Olsberg (vormittags); Öffentlichkeit "
        "(nachmittags)",
    "Arnsberger Ausbildungsmesse":
        "Schulklassen (ca. 900 Schülerinnen und Schüler, Shuttlebus am Freitag), "
        "Öffentlichkeit am Samstag",
    "Berufsparcours und Berufsinfoabend Sundern":
        "Klassen 8 und 9 von Gymnasium, Realschule und Hauptschule Sundern (ca. 330; "
        "Parcours, vormittags); Schülerinnen und Schüler mit Eltern (Infoabend ab 17 Uhr)",
    "Karriere im MK (Ausbildungs- und Studienbörse)":
        "Schülerinnen und Schüler des nördlichen Märkischen Kreises (ca. 3.500), Eltern",
    "Azubi-Speed-Dating Iserlohn":
        "Schulabgängerinnen und Schulabgänger auf der Suche nach einem Ausbildungsplatz",
    "StARG-Karrierekompass": "ältere Jahrgänge (ab Klasse 9) der Schule",
    "Wintermarkt Ausbildung, Praktikum, Studium Schalksmühle":
        "zukünftige Schulabgänger (Primusschule und benachbarte Gymnasien)",
    "Ausbildungsmesse der Kreisverwaltung Soest":
        "Jugendliche mit Interesse an Ausbildung und Studium im öffentlichen Dienst",
    "Jobbörse des Lippstädter Schützenvereins":
        "junge Menschen (Ausbildung, Bachelor-/Masterarbeiten, Jobeinstieg); ca. 80 "
        "Besucherinnen und Besucher",
    "Bildungsmesse Kreis Soest":
        "Arbeitnehmerinnen und Arbeitnehmer sowie Arbeitgeber (Weiterbildung)",
}
# The data set's word for a venue that changes from year to year.
ROTATING_VENUE = "rotating"

# Two demo fairs of IHK Siegen take exhibitors: one confirms bookings at once, one needs
# the organisers' approval. (title, approval, [(category, m², price in cents, places)]).
DEMO_BOOTH_FAIRS = [
    ("Ausbildungsmesse Siegen", "auto",
     [("Standard 9 m²", 9.0, 25000, 2), ("Eckstand 12 m²", 12.0, 39000, 1)]),
    ("Ausbildungsmesse Olpe", "manual", [("Reihenstand 6 m²", 6.0, 15000, 4)]),
]


def _booths(companies: list[Company]) -> None:
    """Booth sign-ups with a few bookings of the demo companies, once per fair."""
    from app.booths import services as booths
    from app.time import now_utc

    organiser = find_user("ihk-siegen@messekalender.example")
    users = [find_user(f"{part}@messekalender.example") for part in DEMO_COMPANY_LOGINS]
    now = now_utc().replace(microsecond=0)
    for title, approval, categories in DEMO_BOOTH_FAIRS:
        event = db.session.execute(
            select(Event).where(Event.title == title, Event.status == "published")
        ).scalars().first()
        if (organiser is None or event is None or booths.setup_of(event) is not None
                or event.starts_at - now < timedelta(days=10)):
            continue
        booths.configure_fair(event, organiser, booths.FairSetupData(
            opens_at=now - timedelta(days=1), closes_at=event.starts_at - timedelta(days=7),
            approval=approval), now)
        created = [booths.add_category(event, organiser, booths.CategoryData(
            name=name, size_m2=size, price_cents=price, capacity=places, includes_table=True,
            includes_power=size >= 9)) for name, size, price, places in categories]
        # The first two companies book the first category (in approval mode: pending).
        for company, user in list(zip(companies, users, strict=False))[:2]:
            if user is not None:
                booths.book(company, created[0], booths.BookingDetails(
                    staff_count=2, occupation_ids=[o.id for o in company.occupations][:3]),
                    user, now)


def _class_visits(today: date) -> None:
    """Class-visit slots with a few school registrations at two real fairs, registered
    on ``today`` at 08:00."""
    from app.visits.demo import seed_class_visits

    admin = find_user("admin@messekalender.example")
    if admin is not None:
        seed_class_visits(admin, local_to_utc(today, time(8)))


def _organisation(name: str, kind: str, website: str | None) -> Organisation:
    organisation = find_organisation(name)
    if organisation is None:
        organisation = Organisation(name=name, kind=kind, website=website)
        db.session.add(organisation)
    if not organisation.email:
        # A clearly fictional address: the real organisations' inboxes get no demo mail.
        plain = name.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
                                              "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}))
        organisation.email = f"kontakt@{_slug(plain)[:50].strip('-')}.example"
    db.session.flush()
    return organisation


DEMO_INVITATION = ("neue-kollegin@ihk-siegen.example", "Neue Kollegin (Demo)")
DEMO_REQUEST = dict(company_name="Beispiel Elektrotechnik GmbH", municipality="Attendorn",
                    industries=["METALL"], contact_name="Erika Beispiel (Demo)",
                    email="ausbildung@beispiel-elektrotechnik.example")


def _pending_onboarding(organiser_email: str) -> None:
    """A pending invitation into IHK Siegen and a company request waiting for approval,
    once each, so the demo shows the new ways in at once."""
    from app.accounts.models import CompanyRequest, Invitation
    from app.accounts.onboarding import invite
    from app.time import now_utc

    now = now_utc()
    inviter = find_user(organiser_email)
    email, name = DEMO_INVITATION
    if inviter is not None and not db.session.execute(
            select(Invitation).where(Invitation.email == email)).first():
        invite(email, "organiser", inviter, now, organisation=inviter.organisation, name=name)
    if not db.session.execute(select(CompanyRequest).where(
            CompanyRequest.email == DEMO_REQUEST["email"])).first():
        db.session.add(CompanyRequest(
            company_name=DEMO_REQUEST["company_name"],
            municipality=_municipality(DEMO_REQUEST["municipality"]),
            industries=DEMO_REQUEST["industries"], contact_name=DEMO_REQUEST["contact_name"],
            email=DEMO_REQUEST["email"], language="de", status="pending", created_at=now,
            confirmed_at=now))
    db.session.flush()


def _company(name: str, town: str, industries: list[str], occupations: list[str]) -> Company:
    company = find_company(name)
    if company is None:
        company = Company(name=name, municipality=_municipality(town),
                          contact_email=f"ausbildung@{_slug(name)}.example")
        company.industries = list(db.session.execute(
            select(Industry).where(Industry.code.in_(industries))).scalars())
        company.occupations = list(db.session.execute(
            select(Occupation).where(Occupation.name.in_(occupations))).scalars())
        db.session.add(company)
        db.session.flush()
    return company


def _login(email: str, role: str, **membership) -> DemoLogin:
    user = find_user(email) or create_user(email, role, DEMO_PASSWORD, **membership)[0]
    of = user.organisation.name if user.organisation else (
        user.company.name if user.company else "—")
    return DemoLogin(email=user.email, role=role, of=of)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _municipality(name: str) -> Municipality:
    short = name.split(" (")[0].strip()
    return db.session.execute(
        select(Municipality).where(Municipality.name.in_([name, short]))
    ).scalars().first()


def _fair(row: dict[str, str], organiser: Organisation, today: date) -> Event | None:
    """Create or leave alone the demo event for one CSV row."""
    uid = f"{uuid.uuid5(uuid.NAMESPACE_URL, 'demo-fair:' + row['name'])}@{UID_DOMAIN}"
    if db.session.execute(select(Event).where(Event.uid == uid)).scalar_one_or_none():
        return None
    municipality = _municipality(row["municipality"].split(";")[0])
    first_day, days = next_edition(row, today)
    if municipality is None or first_day is None:
        return None
    venue_name = re.split(r" \(|, Lennestadt", row["venue"])[0].strip()
    if not venue_name or venue_name == ROTATING_VENUE:
        venue_name = f"Veranstaltungsort in {municipality.name} folgt"
    street = re.search(r"\(([^()]*straße[^()]*)\)", row["venue"])
    venue = calendar.find_or_create_venue(
        venue_name, municipality, street=street.group(1) if street else None)
    audiences = [code for code in row["audience_codes"].split(";") if code] or ["public"]
    data = calendar.EventData(
        title=re.sub(r" \((formerly|exact title)[^)]*\)", "", row["name"]),
        event_type=_event_type(row["event_type"]),
        venue=venue,
        all_day=days > 1,
        description=_description(row),
        audiences=audiences,
        industries=[code for code in row["industry_codes"].split(";") if code] or ["CROSS"],
        url=row["source_urls"].split(" ; ")[0].strip() or None,
    )
    if days > 1:
        data.first_day, data.last_day = first_day, first_day + timedelta(days=days - 1)
    else:
        opening = time(17) if "abend" in row["name"].lower() else time(9)
        closing = time(20) if opening.hour == 17 else time(15)
        data.starts_at = local_to_utc(first_day, opening)
        data.ends_at = local_to_utc(first_day, closing)
    event = calendar.create_event(organiser, None, data, via="seed", now=now_utc())
    event.uid = uid
    status = NOT_YET_PUBLISHED.get(row["name"], "published")
    if status == "published":
        calendar.change_status(event, None, "planned", via="seed", now=now_utc())
    calendar.change_status(event, None, status, via="seed", now=now_utc())
    return event


def _event_type(text: str) -> str:
    lowered = text.lower()
    return next((code for word, code in EVENT_TYPE_WORDS if word in lowered), "training_fair")


def _description(row: dict[str, str]) -> str:
    audience = GERMAN_AUDIENCES.get(row["name"], row["target_audience"])
    parts = [f"Zielgruppe: {audience}." if audience else ""]
    if row["exhibitors_approx"]:
        parts.append(f"Rund {row['exhibitors_approx']} Aussteller "
                     f"(Stand {row['exhibitors_ref_year']}).")
    parts.append("Demo-Eintrag: Termin aus dem üblichen Monat der Veranstaltung abgeleitet, "
                 "bitte beim Veranstalter bestätigen.")
    return " ".join(part for part in parts if part)


def next_edition(row: dict[str, str], today: date) -> tuple[date | None, int]:
    """The first day and length in days of the next edition after ``today``.

    The month comes from ``typical_month`` (else the known date); the day keeps the
    weekday and the week of the month of the last known date, so a Saturday fair stays on
    a Saturday. Rows without any month are skipped.
    """
    known = row["known_date"]
    first_known = last_known = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}(/\d{4}-\d{2}-\d{2})?", known):
        first_known = date.fromisoformat(known[:10])
        last_known = date.fromisoformat(known[-10:])
    months = row["typical_month"] or (known[5:7] if len(known) >= 7 else "")
    if not months:
        return None, 1
    month = int(first_known.month if first_known and
                first_known.month in _month_range(months) else months[:2])
    year = today.year if (today.month, 14) < (month, 1) else today.year + 1
    days = (last_known - first_known).days + 1 if first_known else 1
    if first_known:
        weekday, week = first_known.weekday(), (first_known.day - 1) // 7
    else:
        weekday, week = 2, 1  # a Wednesday in the second week: a school day
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7 + 7 * week
    if offset >= monthrange(year, month)[1]:
        offset -= 7
    return first + timedelta(days=offset), days


def _month_range(months: str) -> range:
    first, _, last = months.partition("-")
    return range(int(first), int(last or first) + 1)
