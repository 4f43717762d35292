"""Invitations: who may invite whom, the team page, joining with the link, and every
bad link; organisation admins manage roles and members."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Invitation, LinkToken, User
from app.accounts.security import AuditEntry
from app.extensions import db
from app.time import now_utc
from tests.accounts.conftest import link_in, mails_to
from tests.conftest import login

PASSWORD = "mein-passwort-42"


@pytest.fixture
def boss(make_user, org_a):
    user = make_user("chefin@ihk-siegen.example", organisation=org_a)
    user.organisation_role = "admin"
    db.session.commit()
    return user


@pytest.fixture
def member(make_user, org_a):
    return make_user("mitglied@ihk-siegen.example", organisation=org_a)


def invite(client, email="kollege@ihk-siegen.example", **extra):
    return client.post("/account/team/invite", data={"email": email, "name": "Karl Kollege",
                                                     "language": "de", **extra})


def join(client, path, password=PASSWORD, name="Karl Kollege"):
    return client.post(path, data={"name": name, "new_password": password,
                                   "confirm_password": password})


def test_an_organiser_invites_a_colleague_who_joins(client, member, boss, org_a):
    login(client, member)
    assert invite(client).status_code == 302
    page = client.get("/account/team").get_data(as_text=True)
    assert "kollege@ihk-siegen.example" in page and "Ausstehende Einladungen" in page
    (mail,) = mails_to("kollege@ihk-siegen.example")
    assert mail.subject == "Einladung zum Messekalender Südwestfalen: IHK Siegen"
    assert "7 Tage" in mail.body and "mitglied@ihk-siegen.example lädt Sie" in mail.body
    path = link_in(mail, "/invitation")
    newcomer = client.application.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200 and "IHK Siegen" in form.get_data(as_text=True)
    response = join(newcomer, path)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    user = db.session.execute(select(User).where(
        User.email == "kollege@ihk-siegen.example")).scalar_one()
    assert user.organisation_id == org_a.id and user.organisation_role == "member"
    assert user.name == "Karl Kollege" and user.check_password(PASSWORD)
    assert newcomer.get("/manage/").status_code == 200  # logged in
    assert join(newcomer.application.test_client(), path).status_code == 410  # single use
    assert db.session.execute(select(Invitation)).scalar_one().accepted_at is not None
    actions = [entry.action for entry in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["invitation.sent", "invitation.accepted"]


def test_a_company_user_invites_into_their_company(client, make_user, make_company):
    company = make_company()
    login(client, make_user("azubi@metallbau.example", role="company", company=company))
    assert invite(client, "chef@metallbau.example").status_code == 302
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.role == "company" and invitation.company_id == company.id
    path = link_in(mails_to("chef@metallbau.example")[0], "/invitation")
    response = join(client.application.test_client(), path)
    assert response.headers["Location"] == "/booths/"  # a company's home: its bookings


def test_members_cannot_invite_admins_or_manage_others(client, member, boss):
    login(client, member)
    page = client.get("/account/team").get_data(as_text=True)
    assert 'name="organisation_role"' not in page and "Deaktivieren" not in page
    invite(client, organisation_role="admin")
    assert db.session.execute(select(Invitation)).scalar_one().organisation_role == "member"
    assert client.post(f"/account/team/members/{boss.id}/active",
                       data={"active": "0"}).status_code == 404
    assert client.post(f"/account/team/members/{boss.id}/role",
                       data={"organisation_role": "member"}).status_code == 404
    db.session.refresh(boss)
    assert boss.active and boss.organisation_role == "admin"


def test_organisation_admins_change_roles_and_deactivate(client, boss, member):
    login(client, boss)
    assert client.post(f"/account/team/members/{member.id}/role",
                       data={"organisation_role": "admin"}).status_code == 302
    db.session.refresh(member)
    assert member.organisation_role == "admin"
    version = member.session_version
    assert client.post(f"/account/team/members/{member.id}/active",
                       data={"active": "0"}).status_code == 302
    db.session.refresh(member)
    assert not member.active and member.session_version == version + 1
    assert invite(client, "neu@ihk-siegen.example", organisation_role="admin").status_code == 302
    assert db.session.execute(select(Invitation)).scalar_one().organisation_role == "admin"


def test_the_last_organisation_admin_cannot_step_down(app, boss, member):
    from app.accounts import services as accounts

    boss_user = db.session.get(User, boss.id)
    with pytest.raises(accounts.AccountError, match="mindestens eine"):
        accounts.set_organisation_role(boss_user, "member", boss_user)


def test_nobody_manages_another_organisations_members(client, boss, organiser_b, make_user,
                                                       org_b):
    login(client, boss)
    assert client.post(f"/account/team/members/{organiser_b.id}/active",
                       data={"active": "0"}).status_code == 404
    other = make_user("x@hwk.example", organisation=org_b)
    client.application.test_client()
    login(client, other)
    invite(client, "y@hwk.example")
    invitation = db.session.execute(select(Invitation)).scalar_one()
    login(client, boss)
    for action in ("resend", "withdraw"):
        assert client.post(f"/account/team/invitations/{invitation.id}/{action}"
                           ).status_code == 404
    db.session.refresh(invitation)
    assert invitation.pending and invitation.withdrawn_at is None


def test_admins_have_no_team_page_and_anonymous_users_log_in(client, make_user):
    assert client.get("/account/team").status_code == 302
    login(client, make_user("admin@example.org", role="admin"))
    assert client.get("/account/team").headers["Location"] == "/admin/users"


def test_withdrawn_and_expired_invitations_lead_to_a_clear_page(client, member):
    login(client, member)
    invite(client)
    invitation = db.session.execute(select(Invitation)).scalar_one()
    path = link_in(mails_to("kollege@ihk-siegen.example")[0], "/invitation")
    db.session.execute(db.update(LinkToken).values(expires_at=now_utc() - timedelta(1)))
    db.session.commit()
    expired = client.get(path)
    assert expired.status_code == 410 and "abgelaufen" in expired.get_data(as_text=True)
    assert client.post(f"/account/team/invitations/{invitation.id}/resend").status_code == 302
    fresh = link_in(mails_to("kollege@ihk-siegen.example")[-1], "/invitation")
    assert client.post(f"/account/team/invitations/{invitation.id}/withdraw").status_code == 302
    outsider = client.application.test_client()
    assert join(outsider, fresh).status_code == 410
    assert join(outsider, "/invitation/" + "x" * 43).status_code == 404
    assert db.session.execute(select(User).where(
        User.email == "kollege@ihk-siegen.example")).scalar_one_or_none() is None


def test_inviting_an_address_that_has_an_account_reveals_nothing(client, member, organiser_b):
    login(client, member)
    response = invite(client, organiser_b.email)
    assert response.status_code == 302  # the same answer as for any address
    path = link_in(mails_to(organiser_b.email)[0], "/invitation")
    answer = join(client.application.test_client(), path)
    assert answer.status_code == 422
    assert "bereits ein Konto" in answer.get_data(as_text=True)
    db.session.refresh(organiser_b)
    assert organiser_b.organisation_id != member.organisation_id


def test_a_second_invitation_of_the_same_address_is_sent_again(client, member):
    login(client, member)
    invite(client)
    invite(client)
    assert db.session.query(Invitation).count() == 1
    first, second = mails_to("kollege@ihk-siegen.example")
    assert client.get(link_in(first, "/invitation")).status_code == 410
    assert client.get(link_in(second, "/invitation")).status_code == 200


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "kaputt"}, "gültige E-Mail-Adresse"),
    ({"email": ""}, "E-Mail-Adresse ein"),
    ({"email": "a\x00b@example.org"}, "unzulässige Zeichen"),
    ({"name": "x" * 121}, "121"),
    ({"language": "fr"}, "Unbekannte Sprache"),
])
def test_hostile_invitations_are_refused_with_the_input_kept(client, member, data, message):
    login(client, member)
    response = invite(client, **{"email": "ok@example.org", **data}) if "email" not in data \
        else client.post("/account/team/invite", data={"name": "Karl", "language": "de",
                                                       **data})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html or "korrigieren" in html
    assert db.session.query(Invitation).count() == 0


def test_weak_password_when_joining_keeps_the_link_alive(client, member):
    login(client, member)
    invite(client)
    path = link_in(mails_to("kollege@ihk-siegen.example")[0], "/invitation")
    outsider = client.application.test_client()
    assert join(outsider, path, password="kurz").status_code == 422
    assert join(outsider, path).status_code == 302


def test_create_user_invite_on_the_command_line(runner, org_a):
    result = runner.invoke(args=["create-user", "neu@ihk-siegen.example", "--role",
                                 "organiser", "--organisation", "IHK Siegen", "--invite"])
    assert result.exit_code == 0, result.output
    assert "neu@ihk-siegen.example" in result.output and "Password" not in result.output
    assert mails_to("neu@ihk-siegen.example")[0].subject.startswith("Einladung")
    both = runner.invoke(args=["create-user", "x@example.org", "--role", "admin", "--invite",
                               "--password", "lang-genug-123"])
    assert both.exit_code != 0


def test_account_forms_are_rate_limited(limited_app, member):
    client = limited_app(ACCOUNT_FORM_RATE_LIMIT="2/hour").test_client()
    login(client, member)
    statuses = [invite(client, f"k{n}@ihk-siegen.example").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert db.session.query(Invitation).count() == 2
