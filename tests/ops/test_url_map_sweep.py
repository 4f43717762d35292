"""No 500 for out-of-range input, anywhere: the whole URL map is walked — every rule,
also those added later — with ids beyond the database's integers, dates far outside the
service's range and absurd page numbers, as every role, on SQLite and on PostgreSQL
(whichever the suite runs on).

- An id beyond the database's integer in the path is a 4xx on every route and method
  (``app.routing``: the app's ``int`` converter is bounded), as for an unknown id (an
  anonymous visitor of a private page is sent to log in first).
- Dates and numbers in query strings, forms and JSON bodies never give a 5xx; where a
  route reads them, the answer is a 4xx (checked one by one below the sweep).
"""

from __future__ import annotations

import re
import traceback
from collections import Counter

import pytest
from werkzeug.routing import IntegerConverter

from app.accounts.services import issue_token
from app.extensions import db
from tests.api.conftest import timed
from tests.booths.conftest import book, category, company, fair, now, organiser  # noqa: F401
from tests.calendar.test_editing import form_data
from tests.conftest import login

pytestmark = pytest.mark.slow

HUGE_IDS = [2**31, 2**63, 10**30, 10**400]
FAR_DATES = ["9999-12-31", "0001-01-01"]
QUERIES = [
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"from": "9999-12-31"},
    {"to": "0001-01-01"},
    {"page": str(2**63)}, {"page": str(10**30)}, {"page": "-1"}, {"per_page": str(10**20)},
    {"year": "99999"}, {"year": str(10**30)}, {"month": "9999-12"}, {"day": "9999-12-31"},
    {"occupation": str(10**30)}, {"grade": str(10**30)},
]
FORM_DATES = {
    "day": "{d}", "first_day": "{d}", "last_day": "{d}", "end_day": "{d}", "use_date": "{d}",
    "opens_day": "{d}", "closes_day": "{d}", "setup_day": "{d}", "teardown_day": "{d}",
    "month": "{m}", "date": "{d}", "from": "{d}", "to": "{d}",
}
FORM_NUMBERS = {name: str(10**30) for name in (
    "event_id", "category_id", "booking_id", "capacity", "price", "size_m2", "staff_count",
    "grade_from", "grade_to", "company", "organisation", "municipality", "occupations",
    "move_to", "suggest_days")}


def json_bodies(day: str) -> list[dict]:
    stamp = f"{day}T10:00:00+01:00"
    return [
        timed(start=stamp, end=f"{day}T12:00:00+01:00"),
        {"all_day": True, "first_day": day, "last_day": day},
        {"category_id": 2**63, "staff_count": 10**30, "occupations": [10**30]},
        {"event_id": 2**63, "suggest_days": 10**30, **timed(start=stamp)},
        {"status": "cancelled", "note": "x", "reason": "x"},
    ]


@pytest.fixture
def world(fair, category, company, book, organiser, make_user, make_event):  # noqa: F811
    """A fair with booths and a booking, a clash, a blackout calendar, users of every
    role with API tokens: the valid ids that the sweep keeps while it bends one input."""
    event = fair("Messe Siegen")
    booth = category(event)
    firm, company_user = company("Erste GmbH")
    booking = book(firm, company_user, booth)
    admin = make_user("admin@example.org", "admin")
    spare = make_user("spare@example.org", "company", company=firm)  # admin forms bend it
    tokens = {"organiser": issue_token(organiser), "company": issue_token(company_user),
              "admin": issue_token(admin)}
    db.session.commit()
    ids = {"event_id": event.id, "category_id": booth.id, "booking_id": booking.id,
           "company_id": firm.id, "organisation_id": organiser.organisation_id,
           "user_id": spare.id}
    return {"users": {"organiser": organiser, "company": company_user, "admin": admin},
            "tokens": tokens, "ids": ids}


def build(rule, ids: dict, bent: tuple[str, int] | None = None) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = ids.get(name, 1)
        elif name == "code":
            values[name] = "HSK"
        elif name == "action":
            values[name] = "approve"
        else:
            values[name] = "x"
    if bent is not None:
        values[bent[0]] = bent[1]
    # Built by hand: the bounded converter would refuse to build a bent id.
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)


class Sweep:
    def __init__(self, app, world):
        self.app, self.world = app, world
        self.client = app.test_client()
        self.statuses: Counter = Counter()
        self.server_errors: list[str] = []
        self.requests = 0

    def send(self, role: str, method: str, path: str, **kwargs) -> int:
        headers = {}
        if role != "anonymous":
            if path.startswith("/api/"):
                headers["Authorization"] = f"Bearer {self.world['tokens'][role]}"
            else:
                login(self.client, self.world["users"][role])
        else:
            self.client.delete_cookie("session")
        self.requests += 1
        try:
            response = self.client.open(path, method=method, headers=headers, **kwargs)
        except Exception as error:  # TESTING propagates what would be a 500
            frames = [f"app/{frame.filename.split('/app/', 1)[-1]}:{frame.lineno}"
                      for frame in traceback.extract_tb(error.__traceback__)
                      if "/app/" in frame.filename]
            self.statuses[500] += 1
            self.server_errors.append(f"{role} {method} {path} {str(kwargs)[:80]}: {error!r:.200} "
                                      f"at {frames[-3:]}")
            return 500
        response.close()
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{role} {method} {path} {kwargs} → "
                                      f"{response.status_code}")
        return response.status_code


ROLES = ["anonymous", "organiser", "company", "admin"]


def test_the_whole_url_map(app, world, capsys):
    sweep = Sweep(app, world)
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.endpoint not in ("static", "accounts.logout")]
    path_cases = query_cases = body_cases = 0
    not_refused = []
    for rule in rules:
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        int_args = [name for name, converter in rule._converters.items()
                    if isinstance(converter, IntegerConverter)]
        for name in int_args:
            for huge in HUGE_IDS:
                path = build(rule, world["ids"], (name, huge))
                for method in methods:
                    for role in ROLES:
                        status = sweep.send(role, method, path)
                        path_cases += 1
                        # 4xx; anonymous visitors of private pages are sent to log in first
                        if not (400 <= status < 500 or (role, status) == ("anonymous", 302)):
                            not_refused.append(f"{role} {method} {path}: {status}")
        path = build(rule, world["ids"])
        for method in methods:
            for role in ROLES:
                if method == "GET":
                    for query in QUERIES:
                        sweep.send(role, method, path, query_string=query)
                        query_cases += 1
                    continue
                for day, month in (("9999-12-31", "9999-12"), ("0001-01-01", "0001-01")):
                    if path.startswith("/api/"):
                        for body in json_bodies(day):
                            sweep.send(role, method, path, json=body)
                            body_cases += 1
                    else:
                        dates = {k: v.format(d=day, m=month) for k, v in FORM_DATES.items()}
                        for form in ({**form_data(), **dates}, {**form_data(), **FORM_NUMBERS}):
                            sweep.send(role, method, path, data=form)
                            body_cases += 1
    with capsys.disabled():
        print(f"\nURL-map sweep on {db.engine.dialect.name}: {len(rules)} routes; "
              f"{path_cases} requests with out-of-range ids in the path, {query_cases} with "
              f"far dates and huge page numbers in the query, {body_cases} with far dates "
              f"and huge numbers in forms and JSON bodies ({sweep.requests} in all, "
              f"{len(ROLES)} roles); statuses {dict(sorted(sweep.statuses.items()))}; "
              f"5xx found: {len(sweep.server_errors)}")
    assert not sweep.server_errors, "\n".join(sweep.server_errors[:30])
    assert not not_refused, not_refused[:20]
    assert len(rules) >= 75 and sweep.requests > 3000


# --- where a route reads the value, it refuses it with a 4xx -------------------------------


@pytest.mark.parametrize("path", [
    "/?to=9999-12-31", "/?from=0001-01-01", "/?from=9999-12-31",
    "/feeds/all.ics?to=9999-12-31", "/feeds/district/HSK.ics?from=0001-01-01",
    "/feeds/industry/METALL.ics?from=9999-12-31",
    "/api/v1/events?from=0001-01-01", "/api/v1/events?to=9999-12-31",
    "/api/v1/events?page=99999999999999999999", "/admin/audit?page=99999999999999999999",
    "/admin/companies?page=0", "/clashes/year?year=99999",
])
def test_far_dates_and_pages_are_refused(client, world, path):
    login(client, world["users"]["admin"])
    response = client.get(path)
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize("day", FAR_DATES)
def test_event_form_refuses_far_dates(client, world, day):
    login(client, world["users"]["organiser"])
    response = client.post("/manage/events/new", data=form_data(day=day))
    assert response.status_code == 422
    assert "zwischen 1970 und 2200" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", FAR_DATES)
def test_api_create_and_clash_check_refuse_far_dates(client, world, day):
    headers = {"Authorization": f"Bearer {world['tokens']['organiser']}"}
    body = timed(start=f"{day}T10:00:00+01:00", end=f"{day}T12:00:00+01:00")
    for path in ("/api/v1/events", "/api/v1/clashes/check"):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, path
        assert "1970" in str(response.get_json()["error"]["fields"])


@pytest.mark.parametrize("day", FAR_DATES)
def test_booth_setup_refuses_far_dates(client, world, day):
    login(client, world["users"]["organiser"])
    event_id = world["ids"]["event_id"]
    response = client.post(f"/manage/events/{event_id}/booths/setup", data={
        "opens_day": day, "opens_time": "10:00", "closes_day": day, "closes_time": "12:00",
        "approval": "auto", "takes_exhibitors": "y"})
    assert 400 <= response.status_code < 500
    assert "zwischen 1970 und 2200" in response.get_data(as_text=True)
