"""The fair's public page keeps its facts rendered per data version, but its exhibitors,
which change with bookings and move no version, are always those of the moment."""

from __future__ import annotations

from sqlalchemy import event as sa_event

from app.extensions import db


def statements_of(client, url: str) -> tuple[int, str]:
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_facts_are_kept_exhibitors_are_live_and_an_edit_shows_at_once(
        client, fair, category, company, book):
    event = fair("Ausbildungsmesse Siegen", description="Erste Zeile")
    standard = category(event, capacity=5)
    url = f"/events/{event.id}"
    first, html = statements_of(client, url)
    again, cached = statements_of(client, url)
    assert again < first  # the facts came from the cache
    assert cached == html and "Erste Zeile" in cached

    # A booking changes no data version; the exhibitor shows at once.
    book(*company("Metallbau Kuhn GmbH"), standard)
    _, html = statements_of(client, url)
    assert "Metallbau Kuhn GmbH" in html and "Erste Zeile" in html

    # An edit of the event moves the version: the facts are rendered afresh.
    event.description = "Neue Beschreibung"
    db.session.commit()
    _, html = statements_of(client, url)
    assert "Neue Beschreibung" in html and "Erste Zeile" not in html
    assert "Metallbau Kuhn GmbH" in html


def test_english_and_german_facts_are_kept_apart(client, fair):
    event = fair("Ausbildungsmesse Siegen")
    german = client.get(f"/events/{event.id}").get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Wann" in german and "When" not in german
    assert "When" in english and "Wann" not in english
