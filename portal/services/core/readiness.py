"""Whether this server can do its work: the database answers and, if configured, Redis."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.gateways import redis_ping


@dataclass(frozen=True)
class Readiness:
    database: bool
    #: None when no REDIS_URL is configured
    redis: bool | None

    @property
    def ready(self) -> bool:
        return self.database and self.redis is not False


def check() -> Readiness:
    """Ask the database for `SELECT 1` and Redis (when REDIS_URL is set) for PING."""
    try:
        database = db.session.execute(text("SELECT 1")).scalar() == 1
    except SQLAlchemyError:
        database = False
    finally:
        db.session.rollback()
    url = current_app.config.get("REDIS_URL")
    return Readiness(database=database, redis=redis_ping.reachable(url) if url else None)
