"""Whether this server can do its work: the database answers and, if configured, Redis."""

import pytest
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.services.core import readiness
from portal.services.core.readiness import Readiness
from tests.deploy.stack import Redis
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.mark.parametrize(
    ("database", "redis", "ready"),
    [(True, None, True), (True, True, True), (True, False, False), (False, None, False)],
)
def test_ready_needs_the_database_and_a_configured_redis(database, redis, ready):
    assert Readiness(database, redis).ready is ready


def test_without_redis_configured_only_the_database_counts(app):
    app.config.pop("REDIS_URL", None)
    assert readiness.check() == Readiness(database=True, redis=None)


def test_a_configured_redis_must_answer(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    assert readiness.check() == Readiness(database=True, redis=True)
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    found = readiness.check()
    assert found == Readiness(database=True, redis=False) and not found.ready


def test_a_database_that_does_not_answer_is_not_ready_and_the_session_is_usable(app, monkeypatch):
    app.config.pop("REDIS_URL", None)

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", down)
    assert readiness.check() == Readiness(database=False, redis=None)
    monkeypatch.undo()
    assert readiness.check().ready
