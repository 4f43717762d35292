"""The German DESCRIPTION of a feed event: what a pupil reads in their calendar app."""

import icalendar

from app.calendar.ical import build_calendar, describe


def test_reads_as_plain_german_for_a_pupil(app, make_event):
    event = make_event("Ausbildungsmesse Siegen", audiences=("parents", "pupils"),
                       grade_from=8, grade_to=10, industries=("METALL", "CROSS"),
                       description="Lebenslauf mitbringen.")
    lines = describe(event, "https://example.org/events/1").split("\n")
    assert lines[:4] == [
        "Ausbildungsmesse in Siegen, Kreis Siegen-Wittgenstein.",
        "Für: Schülerinnen und Schüler (Klasse 8–10), Eltern.",
        "Branchen: Metall- und Maschinenbau und viele weitere.",
        "Veranstalter: IHK Siegen.",
    ]
    assert "Lebenslauf mitbringen." in lines
    assert lines[-1] == "Alle Angaben im Messekalender: https://example.org/events/1"
    assert not any(line.startswith("Ausbildungsberufe") for line in lines)


def test_cross_industry_alone_reads_as_many_industries(app, make_event):
    event = make_event(industries=("CROSS",))
    assert "Branchen: Betriebe aus vielen Branchen." in describe(event, "https://x/e/1")


def test_occupations_hook_for_booth_sign_ups(app, make_event):
    event = make_event("Messe mit Ständen")
    text = describe(event, "https://x/e/1", occupations=["Mechatroniker/-in", "Elektroniker/-in"])
    assert "Ausbildungsberufe: Mechatroniker/-in, Elektroniker/-in." in text
    feed = build_calendar([event], name="Test", description="Test", base_url="https://x",
                          occupations={event.id: ["Industriemechaniker/-in"]})
    parsed = icalendar.Calendar.from_ical(feed.to_ical())
    [component] = parsed.walk("VEVENT")
    assert "Ausbildungsberufe: Industriemechaniker/-in." in str(component["DESCRIPTION"])


def test_cancelled_events_say_so_first(app, make_event):
    event = make_event("Abgesagte Messe", status="cancelled")
    event.cancellation_reason = "Halle gesperrt"
    assert describe(event, "https://x/e/1").startswith("ABGESAGT: Halle gesperrt\n\n")
