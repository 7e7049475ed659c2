"""The reused app of the fixtures comes back to each test as `create_app` left it."""

import copy

from portal import gateways
from portal.extensions import limiter
from tests.conftest import _make_app
from tests.support import fresh_app


def test_what_a_test_changes_is_put_back(sqlite_url, tmp_path):
    key = ("fresh-app-test", sqlite_url)

    def build():
        return _make_app(sqlite_url, RATELIMIT_ENABLED=True)  # a limiter with a storage

    app = fresh_app.reuse(key, build)
    made = copy.deepcopy(dict(app.config))
    with app.app_context():
        stripe, mailer = gateways.stripe(), gateways.mailer()
    storage = limiter.storage

    app.config["PORTAL_BASE_URL"] = "https://changed.example"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] = 1
    app.extensions["saldo.mailer"] = object()
    app.extensions["saldo_bill_cache"] = object()
    app.jinja_env.globals["changed"] = True
    app.instance_path = str(tmp_path)
    app.live_url = "http://127.0.0.1:1"
    limiter.storage.incr("LIMITS/a-key", 60)

    again = fresh_app.reuse(key, build)
    assert again is app
    assert dict(app.config) == made
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["timeout"] == 30
    assert "saldo_bill_cache" not in app.extensions and "changed" not in app.jinja_env.globals
    assert app.instance_path != str(tmp_path) and not hasattr(app, "live_url")
    with app.app_context():
        # new gateways of the same kinds, as `create_app` builds them
        assert gateways.stripe() is not stripe and type(gateways.mailer()) is type(mailer)
        assert gateways.mailer() is not mailer
    assert limiter.storage is not storage and limiter.storage.get("LIMITS/a-key") == 0


def test_apps_made_one_after_another_each_keep_their_own_default_limit(sqlite_url):
    # the shared limiter reads the default limit of the app serving the request, so no
    # test has to reset what Flask-Limiter kept from an earlier app
    statuses = {}
    for limit in ("2 per minute", "4 per minute"):
        app = _make_app(sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT=limit)
        client = app.test_client()
        statuses[limit] = [client.get("/staff/login").status_code for _ in range(5)]
    assert statuses == {
        "2 per minute": [200, 200, 429, 429, 429],
        "4 per minute": [200, 200, 200, 200, 429],
    }
