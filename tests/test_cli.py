"""The CLI of the public contract: seed-demo, create-organisation, create-user."""

from sqlalchemy import func, select

from app.accounts.auth import user_for_token
from app.accounts.models import ApiToken, Company, CompanyRequest, Invitation, Organisation, User
from app.calendar.models import Event
from app.clashes.models import Clash
from app.extensions import db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_is_idempotent_and_uses_real_fairs(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@messekalender.example" in first.output
    assert "Messekalender-Demo-2026" in first.output
    totals = [count(Organisation), count(Event), count(Company), count(User), count(Clash)]
    # The real fairs clash (two in Siegen-Wittgenstein on one day): stored, so the board
    # a newcomer opens shows them.
    assert totals[-1] > 0 and "Clash board:" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert [count(Organisation), count(Event), count(Company), count(User),
            count(Clash)] == totals
    titles = set(db.session.execute(select(Event.title)).scalars())
    assert {"Ausbildungsmesse Siegen", "BerufsInfoBörse (BIB) Meschede",
            "Azubi-Speed-Dating Lüdenscheid"} <= titles
    statuses = set(db.session.execute(select(Event.status)).scalars())
    assert {"published", "planned", "draft"} <= statuses
    meschede = db.session.execute(
        select(Event).where(Event.title == "BerufsInfoBörse (BIB) Meschede")
    ).scalar_one()
    # A Friday-and-Saturday fair in September stays one on Friday and Saturday.
    assert meschede.all_day and meschede.first_day.month == 9
    assert [day.weekday() for day in meschede.local_days] == [4, 5]
    assert meschede.venue.municipality.district_code == "HSK"
    # The new ways in are there at once: every organisation can be reached, a company
    # request waits for approval, an invitation for its answer.
    emails = list(db.session.execute(select(Organisation.email)).scalars())
    assert all(email and email.endswith(".example") for email in emails)
    assert "kontakt@suedwestfaelische-ihk-zu-hagen-sihk.example" in emails
    [request] = db.session.execute(select(CompanyRequest)).scalars()
    assert request.status == "pending" and request.email.endswith(".example")
    [invitation] = db.session.execute(select(Invitation)).scalars()
    assert invitation.pending and invitation.organisation.name == "IHK Siegen"
    ihk_siegen = db.session.execute(select(User).where(
        User.email == "ihk-siegen@messekalender.example")).scalar_one()
    assert ihk_siegen.is_organisation_admin


def test_create_organisation_and_user_with_token(runner):
    result = runner.invoke(args=["create-organisation", "IHK Siegen", "--kind", "ihk"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["create-organisation", "ihk siegen"])
    assert again.exit_code != 0 and "Error" in again.output
    assert count(Organisation) == 1

    result = runner.invoke(args=[
        "create-user", "Planer@Example.org", "--role", "organiser",
        "--organisation", "IHK Siegen", "--password", "lang-genug-123", "--token",
    ])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    user = user_for_token(token)
    assert user is not None and user.email == "planer@example.org"
    assert user.organisation.name == "IHK Siegen" and user.check_password("lang-genug-123")
    stored = db.session.execute(select(ApiToken.token_hash)).scalars().all()
    assert token not in stored and ApiToken.hash(token) in stored


def test_create_user_refuses_bad_input_and_stores_nothing(runner):
    cases = [
        ["create-user", "x@example.org", "--role", "organiser"],  # no organisation
        ["create-user", "x@example.org", "--role", "organiser", "--organisation", "Nope"],
        ["create-user", "not-an-email", "--role", "admin", "--password", "lang-genug-123"],
        ["create-user", "x@example.org", "--role", "admin", "--password", "kurz"],
        ["create-user", "x@example.org", "--role", "king"],
    ]
    for args in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
    assert count(User) == 0


def test_create_user_generates_a_password_when_none_is_given(runner):
    result = runner.invoke(args=["create-user", "admin@example.org", "--role", "admin"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].split()[0]
    user = db.session.execute(select(User)).scalar_one()
    assert user.check_password(password) and len(password) >= 12
