"""Fuzz the whole API from its own OpenAPI document (schemathesis, in-process over WSGI).

Every operation of /api/v1/openapi.json gets a bounded number of generated requests, sent
once with an organiser's token and once with a company user's token (so both the
organiser and the booking paths are reached), against a database with a published fair,
a draft, booth categories and a booking. Each response must not be a 500 and must conform
to the document: a documented status code, the documented content type and a body valid
against the documented schema. Generation is derandomised so a failure reproduces.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.accounts.services import issue_token
from app.booths import services as booths
from app.clashes import scan as clash_scan
from app.clashes.models import Clash
from app.extensions import db
from app.time import now_utc

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def world(app, make_organisation, make_company, make_user, make_event) -> dict[str, dict]:
    """An organiser's and a company user's token, and the ids of data for them to find:
    a fair with booth categories and a booking, a draft, and an open clash with an event
    of another organisation on the same day in the same town."""
    organisation = make_organisation("IHK Siegen", "ihk")
    other = make_organisation("Handwerkskammer Südwestfalen", "hwk")
    organiser = make_user("messe@ihk-siegen.example", "organiser", organisation=organisation)
    company = make_company("Beispiel Metallbau GmbH")
    company_user = make_user("azubi@metallbau.example", "company", company=company)
    fair = make_event("Ausbildungsmesse Siegen", organisation=organisation)
    make_event("Entwurf Berufsinfotag", organisation=organisation, status="draft")
    now = now_utc().replace(microsecond=0)
    booths.configure_fair(fair, organiser, booths.FairSetupData(
        opens_at=now - timedelta(days=1), closes_at=fair.starts_at - timedelta(days=1),
        approval="auto"), now)
    category = booths.add_category(fair, organiser, booths.CategoryData(
        name="Standard 9 m²", size_m2=9.0, price_cents=25000, capacity=3,
        includes_table=True, includes_power=True))
    db.session.flush()
    booking = booths.book(company, category, booths.BookingDetails(), company_user, now)
    make_event("Handwerk live", organisation=other, day=fair.starts_at.date())
    clash_scan.scan_all(now)
    clash = db.session.execute(select(Clash)).scalars().first()
    tokens = {"organiser": issue_token(organiser), "company": issue_token(company_user)}
    db.session.commit()
    ids = {"event_id": fair.id, "booking_id": booking.id,
           "clash_id": clash.id if clash else None}
    return {"tokens": tokens, "ids": {k: v for k, v in ids.items() if v is not None}}


def fuzz(operation, headers: dict[str, str], mode: GenerationMode,
         path_parameters: dict[str, int] | None, seen: set[tuple[str, int]]) -> None:
    """Send generated requests for one operation; raise on the first broken check."""

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    def run(case) -> None:
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen.add((operation.label, response.status_code))
        finally:
            db.session.rollback()  # nothing of one request stays in the test's session

    try:
        run()
    except Unsatisfiable:
        # Negative mode with every path parameter fixed and nothing else to break.
        if mode is not GenerationMode.NEGATIVE:
            raise


def test_every_operation_conforms_to_the_openapi_document(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "the document lost operations"
    failures = []
    seen: set[tuple[str, int]] = set()
    for operation in operations:
        names = {parameter.name for parameter in operation.path_parameters}
        known = {name: value for name, value in world["ids"].items() if name in names}
        # Random ids (mostly 404s), and the real ids so the operation's body is reached.
        variants = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if known:
            variants += [(GenerationMode.POSITIVE, known), (GenerationMode.NEGATIVE, known)]
        for role, token in world["tokens"].items():
            for mode, path_parameters in variants:
                try:
                    fuzz(operation, {"Authorization": f"Bearer {token}"}, mode,
                         path_parameters, seen)
                except Exception as error:  # noqa: BLE001 - collected and reported together
                    failures.append(f"{operation.label} as {role} ({mode.value}, "
                                    f"ids {path_parameters}): {error}")
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached past authentication and lookups into the operations themselves.
    for reached in [("GET /api/v1/events", 200), ("GET /api/v1/events/{event_id}", 200),
                    ("GET /api/v1/events/{event_id}/booth-categories", 200),
                    ("GET /api/v1/events/{event_id}/bookings", 200),
                    ("GET /api/v1/bookings/{booking_id}", 200), ("GET /api/v1/clashes", 200),
                    ("POST /api/v1/events", 422), ("POST /api/v1/bookings", 422)]:
        assert reached in seen, f"never got {reached[1]} from {reached[0]}"
