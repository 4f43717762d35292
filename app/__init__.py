"""Messekalender Südwestfalen: the app factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from config import PROJECT_ROOT, load_config


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_logging(app)
    register_proxies(app)
    register_converters(app)
    register_extensions(app)
    register_signal_receivers()
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    return app


def register_logging(app: Flask) -> None:
    """No secret in any log line; database outages logged once (``app.logs``)."""
    from app.logs import OutageLog, install_log_redaction

    install_log_redaction()
    app.extensions["messekalender.outages"] = OutageLog()


def register_proxies(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from that many proxies (nginx in front of gunicorn),
    and only when the request comes from one of the trusted proxies' addresses."""
    from app.security import TrustedProxyFix

    if proxies := app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies, app.config["TRUSTED_PROXIES"])


def register_converters(app: Flask) -> None:
    """``<int:…>`` in every route is bounded by the database's integer (``app.routing``)."""
    from app.routing import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every model registered before Alembic looks)
    from app.accounts.auth import load_user
    from app.extensions import babel, cache, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def register_signal_receivers() -> None:
    """Higher areas answer lower ones through ``app.signals``; importing connects them."""
    import app.booths.receivers  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from app.accounts import link_views, registration_views, team_views  # noqa: F401
    from app.accounts.company_views import bp as company_account_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin import legal as admin_legal  # noqa: F401  (routes on the admin bp)
    from app.admin import requests as admin_requests  # noqa: F401  (routes on the admin bp)
    from app.admin.companies import bp as admin_companies_bp
    from app.admin.outbox import bp as admin_outbox_bp
    from app.admin.views import bp as admin_bp
    from app.api import register_api
    from app.booths.company_views import bp as booths_bp
    from app.booths.coverage_views import bp as coverage_bp
    from app.booths.feed import bp as company_feed_bp
    from app.booths.manage_views import bp as manage_booths_bp
    from app.clashes.views import bp as clashes_bp
    from app.feeds.atom import bp as atom_bp
    from app.feeds.health_views import bp as feed_health_bp
    from app.feeds.views import bp as feeds_bp
    from app.health import bp as health_bp
    from app.notices.views import bp as notices_bp
    from app.planning.views import bp as editing_bp
    from app.privacy.views import bp as privacy_bp
    from app.public import legal as public_legal  # noqa: F401  (routes on the calendar bp)
    from app.public.embed import bp as embed_bp
    from app.public.open_data import bp as open_data_bp
    from app.public.seo import bp as seo_bp
    from app.public.views import bp as calendar_bp
    from app.visits.manage_views import bp as manage_visits_bp
    from app.visits.teacher_views import bp as visits_bp

    app.register_blueprint(calendar_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(open_data_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(editing_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(company_account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(admin_companies_bp)
    app.register_blueprint(admin_outbox_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(atom_bp)
    app.register_blueprint(feed_health_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(company_feed_bp)
    app.register_blueprint(clashes_bp)
    app.register_blueprint(booths_bp)
    app.register_blueprint(manage_booths_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(manage_visits_bp)
    app.register_blueprint(coverage_bp)
    register_api(app)


def register_cli(app: Flask) -> None:
    from app.cli import commands

    for command in commands:
        app.cli.add_command(command)


def register_error_handlers(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from app.security import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app import templating
    from app.i18n import register_template_helpers as register_i18n

    register_i18n(app)
    templating.register(app)
