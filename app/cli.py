"""Command-line interface: thin click commands over the services (``flask --app wsgi …``)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.accounts import services as accounts
from app.extensions import db
from app.reference.codes import ORGANISATION_KINDS, ROLES
from app.reference.loader import load_reference_data
from app.time import now_utc


def _fail(error: Exception) -> None:
    db.session.rollback()
    raise click.ClickException(str(error))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Apply the database migrations and load the reference data."""
    from app.clashes.blackout import load_shipped_calendars

    upgrade()
    counts = load_reference_data()
    calendars = load_shipped_calendars()
    db.session.commit()
    click.echo("Database is up to date. Reference data: "
               + ", ".join(f"{count} {name}" for name, count in counts.items()))
    click.echo("Blackout calendars: "
               + ", ".join(f"{name} ({count} periods)" for name, count in calendars.items()))


@click.command("load-reference-data")
@with_appcontext
def load_reference_data_command() -> None:
    """Insert or update districts, municipalities, industries and occupations."""
    counts = load_reference_data()
    db.session.commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill the database with demo organisations, fairs, companies and users (idempotent)."""
    from app.clashes.blackout import load_shipped_calendars
    from app.clashes.scan import scan_all
    from app.demo import DEMO_PASSWORD, seed_demo

    logins = seed_demo()
    load_shipped_calendars()
    clashes = scan_all(now_utc())  # the real fairs do clash: the board shows it at once
    db.session.commit()
    click.echo(f"Clash board: {clashes.open_hard} hard and {clashes.open_soft} soft clashes "
               f"open.")
    click.echo(f"Demo data ready. Open {current_app.config['BASE_URL']}/ and log in with:")
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<55} ({login.of})")
    click.echo(f"Password for every demo user: {DEMO_PASSWORD}")
    click.echo("Waiting in the demo: a company request (admin: Administration → Company "
               "requests) and an invitation into IHK Siegen (its team page).")


@click.command("create-organisation")
@click.argument("name")
@click.option("--kind", type=click.Choice(list(ORGANISATION_KINDS)), default="other",
              show_default=True)
@click.option("--email", help="Contact address (clash mails go there too).")
@with_appcontext
def create_organisation_command(name: str, kind: str, email: str | None) -> None:
    """Create an organisation that runs events."""
    if email and not accounts.looks_like_email(accounts.normalise_email(email)):
        raise click.ClickException(f"Not an e-mail address: {email!r}.")
    try:
        organisation = accounts.create_organisation(
            name, kind, email=accounts.normalise_email(email) if email else None)
    except accounts.AccountError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created organisation {organisation.name} ({organisation.kind}), "
               f"id {organisation.id}.")
    if not email:
        click.echo("Warning: no contact address (--email); until it has one or an active "
                   "organiser, no clash mail reaches it.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--organisation", "organisation_name", help="Organisation of an organiser.")
@click.option("--company", "company_name", help="Company of a company user.")
@click.option("--password", help="Without it a password is generated and printed.")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True)
@click.option("--token", is_flag=True, help="Also create an API token (the last line printed).")
@click.option("--invite", is_flag=True,
              help="Mail an invitation instead: the person chooses their own password.")
@click.option("--organisation-admin", is_flag=True,
              help="An organiser who looks after the organisation's members.")
@with_appcontext
def create_user_command(
    email: str, role: str, organisation_name: str | None, company_name: str | None,
    password: str | None, language: str, token: bool, invite: bool,
    organisation_admin: bool,
) -> None:
    """Create a user (with --token, print a new API token as the last line), or with
    --invite mail them an invitation to choose a password."""
    if invite and (password or token):
        raise click.UsageError("--invite makes no account yet: no --password, no --token.")
    organisation = company = None
    if organisation_name:
        organisation = accounts.find_organisation(organisation_name)
        if organisation is None:
            raise click.ClickException(f"No organisation named {organisation_name!r}.")
    if company_name:
        company = accounts.find_company(company_name)
        if company is None:
            raise click.ClickException(f"No company named {company_name!r}.")
    organisation_role = "admin" if organisation_admin else "member"
    if invite:
        from app.accounts.onboarding import invite as send_invitation

        try:
            invitation = send_invitation(email, role, None, now_utc(), organisation=organisation,
                                         company=company, organisation_role=organisation_role,
                                         language=language)
        except accounts.AccountError as error:
            _fail(error)
        db.session.commit()
        click.echo(f"Invitation for {invitation.email} ({invitation.role}, {invitation.joins}) "
                   f"queued; the link works until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.")
        return
    try:
        user, generated = accounts.create_user(
            email, role, password, organisation=organisation, company=company,
            language=language,
        )
    except accounts.AccountError as error:
        _fail(error)
    if organisation_admin:
        user.organisation_role = "admin"
    api_token = accounts.issue_token(user, "CLI") if token else None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")
    if generated:
        click.echo(f"Password: {generated}")
    if api_token:
        click.echo(api_token)


@click.command("publish-feeds")
@click.option("--directory", type=click.Path(file_okay=False),
              help="Write here instead of CALENDARS_DIR.")
@with_appcontext
def publish_feeds_command(directory: str | None) -> None:
    """Write the all, district and industry feeds as static files (only changed ones)."""
    from app.feeds.publish import publish_feeds

    target = directory or current_app.config["CALENDARS_DIR"]
    report = publish_feeds(target, now_utc())
    for path in report.written:
        click.echo(f"written    {path}")
    for path in report.unchanged:
        click.echo(f"unchanged  {path}")
    click.echo(f"{len(report.written)} written, {len(report.unchanged)} unchanged in {target}")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs in the foreground (one such process, not in the web workers).

    Only one scheduler works at a time (a database advisory lock, or a file lock next to
    a SQLite database); another one started by mistake stands by and takes over when the
    first one dies.
    """
    import logging

    from app.jobs import JOBS, build_scheduler
    from app.ops.runner import SchedulerRunner

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for job in JOBS:
        click.echo(f"{job.id}: {job.description} ({job.schedule})")
    click.echo("Scheduler running; stop it with Ctrl+C.")
    runner = SchedulerRunner(current_app._get_current_object(), build_scheduler,
                             echo=lambda line: click.echo(line))
    try:
        runner.run()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


@click.command("scan-clashes")
@with_appcontext
def scan_clashes_command() -> None:
    """Find date clashes between events, print a report (German), fail on open hard ones."""
    from app.clashes.report import scan_report

    lines, hard_open = scan_report(now_utc())
    db.session.commit()
    for line in lines:
        click.echo(line)
    if hard_open:
        raise SystemExit(1)


commands = [
    init_db_command,
    load_reference_data_command,
    seed_demo_command,
    create_organisation_command,
    create_user_command,
    publish_feeds_command,
    scheduler_command,
    scan_clashes_command,
]
