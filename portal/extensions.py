"""Flask extensions as bare instances; `create_app` binds them to an app."""

from flask import current_app
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from portal import rate_limit_storage  # noqa: F401  (registers saldo-memory://)
from portal.request_limiter import FilterFirstLimiter
from portal.security import SameOriginCSRF

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
csrf = SameOriginCSRF()
babel = Babel()


def _default_limit() -> str:
    """`RATELIMIT_DEFAULT` of the app serving the request (read per request, so that each
    app of a process keeps its own)."""
    return current_app.config["RATELIMIT_DEFAULT"]


limiter = FilterFirstLimiter(key_func=get_remote_address, default_limits=[_default_limit])
login_manager = LoginManager()
