"""Fixtures: the app on SQLite and on a real PostgreSQL, localstripe, SMTP, a live server."""

import atexit
import compileall
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from hypothesis import settings

from portal import create_app
from portal.extensions import db
from tests.support import database, fast_app, fresh_app, order, servers
from tests.support.mail import SMTPServer

ROOT = Path(__file__).resolve().parent.parent

#: one Playwright and one Chromium per test process, shared by tests/browser and tests/deploy
pytest_plugins = ["tests.support.browser"]

# pytest keeps the test modules it has rewritten for assertions in __pycache__ unless bytecode
# writing is off (PYTHONDONTWRITEBYTECODE): rewriting and compiling the test modules again is
# about half of every test process's collection, repeated by each xdist worker on every run
sys.dont_write_bytecode = False


# no deadline per example: a deadline is a timed assertion, and on a machine shared with other
# work an example's time says nothing about the code (speed is measured in bench/)
settings.register_profile("saldo", deadline=None)
settings.load_profile("saldo")

fast_app.reuse_url_builders()
fast_app.cheap_password_hashes()


def pytest_collection_modifyitems(items):
    order.slow_first(items)


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the main process compiled the catalogs before starting it
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", "translations", "-f"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # the bytecode of the portal, for the worker and server processes the tests start (each
    # imports all of it; under PYTHONDONTWRITEBYTECODE each would otherwise compile it again)
    compileall.compile_dir(ROOT / "portal", quiet=1)


@pytest.fixture(scope="session")
def postgres_url():
    with servers.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'saldo.sqlite3'}"


@pytest.fixture(scope="session")
def stripe_base():
    with servers.localstripe() as base:
        yield base


_migrated: set[str] = set()
_SEAL_DIR = Path(tempfile.mkdtemp(prefix="saldo-seal-"))
atexit.register(shutil.rmtree, _SEAL_DIR, ignore_errors=True)


def _make_app(database_url: str, stripe_base: str | None = None, **overrides):
    """A new app on `database_url` (migrated once per process), its tables emptied."""
    config = {
        "SALDO_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "SEAL_KEY_PATH": str(_SEAL_DIR / "key.pem"),
        "SEAL_CERT_PATH": str(_SEAL_DIR / "cert.pem"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
    if database_url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    if stripe_base:
        config["STRIPE_API_BASE"] = stripe_base
        config["STRIPE_JS_URL"] = f"{stripe_base}/js.stripe.com/v3/"
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = fast_app.TEMPLATE_CACHE
    with app.app_context():
        if database_url not in _migrated:
            upgrade()
            _migrated.add(database_url)
        database.empty_tables()
    return app


def _shared_app(database_url: str, stripe_base: str | None = None):
    """The app of the fixtures below: built once per process, database and Stripe, and put
    back as `create_app` left it before each test (`tests/support/fresh_app.py`), its
    tables emptied. A test that needs other settings at creation calls `_make_app`."""
    app = fresh_app.reuse((database_url, stripe_base), lambda: _make_app(database_url, stripe_base))
    with app.app_context():
        database.empty_tables()
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(database_url):
    app = _shared_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def stripe_app(database_url, stripe_base):
    app = _shared_app(database_url, stripe_base)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def web_app(database_url):
    """The app with no context pushed, so each test-client request gets a fresh `g`;
    a test sets up and inspects data inside `with web_app.app_context():`."""
    app = _shared_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def smtp():
    with SMTPServer(servers.free_port()) as server:
        yield server


@pytest.fixture
def live_stripe_app(sqlite_url, stripe_base):
    """The portal on SQLite served over HTTP, with localstripe delivering webhooks to it."""
    app = _make_app(sqlite_url, stripe_base, SESSION_COOKIE_SECURE=False)
    with servers.LiveServer(app) as live, app.app_context():
        app.config["PORTAL_BASE_URL"] = live.url
        from portal import gateways

        gateways.stripe().register_local_webhook(f"{live.url}/webhooks/stripe")
        app.live_url = live.url
        yield app
        db.session.remove()
        db.engine.dispose()
