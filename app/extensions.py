"""Flask extensions, created unbound here and bound in ``create_app``."""

from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.security import API_LIMITS, client_address

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_message = _l("Please log in to access this page.")
babel = Babel()
# Storage, on/off and the limits' values come from the config (RATELIMIT_*, *_RATE_LIMIT).
# Rendered fragments of public pages (app.public.fragments); CACHE_* in the config.
cache = Cache()
limiter = Limiter(key_func=client_address, application_limits=API_LIMITS, headers_enabled=True)
