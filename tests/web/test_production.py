"""Production behaviour of the web layer: CSRF over HTTPS without a Referer, cookie names and
HSTS, health and readiness, body limits, request ids, logos served from the database."""

import io
import json

import pytest

from portal.extensions import db
from portal.models import PracticeLogo
from tests import factories
from tests.conftest import _make_app
from tests.support import servers
from tests.web.staff_client import CSRF, PASSWORD, make_staff
from tests.web.test_branding import PNG, owner, settings_form

HTTPS = "https://saldo.example"


@pytest.fixture
def https_app(sqlite_url):
    """The app as production runs it: secure cookies, behind one proxy that terminates TLS."""
    app = _make_app(sqlite_url, SESSION_COOKIE_SECURE=True, PROXY_COUNT=1)
    yield app
    with app.app_context():
        db.engine.dispose()


def https_sign_in(app, headers):
    with app.app_context():
        email = make_staff(factories.practice()).email
    client = app.test_client()
    page = client.get("/staff/login", base_url=HTTPS)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        "/staff/login",
        base_url=HTTPS,
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        headers=headers,
    )
    return page, response


def test_https_sign_in_needs_no_referer(https_app):
    # What Chromium sends for a form on the same site under Referrer-Policy: no-referrer.
    page, response = https_sign_in(https_app, {"Sec-Fetch-Site": "same-origin", "Origin": "null"})
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")


def test_https_cookie_is_host_only_and_hsts_is_sent(https_app):
    page, response = https_sign_in(https_app, {"Sec-Fetch-Site": "same-origin"})
    cookies = {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "session" not in cookies
    cookie = cookies["__Host-session"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; Path=/" in cookie
    assert "Domain=" not in cookie
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_behind_the_proxy_https_comes_from_x_forwarded_proto(https_app):
    client = https_app.test_client()
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://saldo.example"},
    ],
)
def test_cross_site_posts_are_refused_even_with_a_token(https_app, headers):
    _, response = https_sign_in(https_app, headers)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_same_origin_without_fetch_metadata_is_accepted(https_app):
    _, response = https_sign_in(https_app, {"Origin": HTTPS})
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/")


def test_healthz_and_readyz(client):
    health = client.get("/healthz")
    assert (health.status_code, health.json) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"status": "ok", "database": "ok"})
    assert "Set-Cookie" not in ready.headers


def test_readyz_is_503_when_redis_is_unreachable(sqlite_url):
    app = _make_app(sqlite_url, REDIS_URL=f"redis://127.0.0.1:{servers.free_port()}/0")
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.json) == (
        503,
        {"status": "unavailable", "database": "ok", "redis": "unreachable"},
    )


def test_health_is_never_rate_limited(sqlite_url):
    app = _make_app(sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/staff/login").status_code for _ in range(3)] == [200, 200, 429]


def test_webhook_body_is_capped_before_the_signature_check(sqlite_url):
    app = _make_app(sqlite_url, WEBHOOK_MAX_BYTES=1024)
    client = app.test_client()
    big = client.post("/webhooks/stripe", data=b"x" * 2048, content_type="application/json")
    assert big.status_code == 413
    small = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    assert (small.status_code, small.json) == (400, {"error": "invalid signature"})


def test_request_bodies_are_capped(sqlite_url):
    app = _make_app(sqlite_url, MAX_CONTENT_LENGTH=4096)
    response = app.test_client().post("/staff/login", data={"email": "x" * 8192})
    assert response.status_code == 413


def test_request_id_is_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abcdef0123456789"})
    assert given.headers["X-Request-ID"] == "abcdef0123456789"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; x"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != "abcdef0123456789"


def test_logo_is_kept_in_the_database_and_served_with_an_etag(web_app, tmp_path):
    client, practice_id = owner(web_app)
    settings_form(client, logo=(io.BytesIO(PNG), "logo.png"))
    with web_app.app_context():
        stored = db.session.get(PracticeLogo, practice_id)
        assert (stored.content_type, stored.data) == ("image/png", PNG)
    web_app.instance_path = str(tmp_path / "another-server")  # nothing on this disk
    logo = client.get(f"/brand/{practice_id}/logo")
    assert (logo.status_code, logo.data, logo.mimetype) == (200, PNG, "image/png")
    assert logo.headers["ETag"] == f'"{stored.sha256}"'
    again = client.get(
        f"/brand/{practice_id}/logo", headers={"If-None-Match": logo.headers["ETag"]}
    )
    assert (again.status_code, again.data) == (304, b"")


def test_json_log_lines(sqlite_url, capsys):
    import logging

    from portal.log_filters import stream_handler

    app = _make_app(sqlite_url)
    handler = stream_handler("json")
    logger = logging.getLogger("saldo.test")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "req-0123456789"}):
            logger.warning("two\nlines for /p/abcdefghijklmnop")
    finally:
        logger.removeHandler(handler)
    line = capsys.readouterr().err
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["request_id"] == "req-0123456789"
    assert entry["message"] == "two\nlines for /p/[redacted]" and entry["logger"] == "saldo.test"
    assert entry["time"].endswith("Z") and entry["time"][10] == "T"


def test_text_log_lines_are_one_line_each(sqlite_url, capsys):
    import logging

    from portal.log_filters import stream_handler

    handler = stream_handler("text")
    logger = logging.getLogger("saldo.test")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed\nbadly")
    finally:
        logger.removeHandler(handler)
    line = capsys.readouterr().err
    assert line.count("\n") == 1
    stamp, level, request_id, rest = line.split(" ", 3)
    assert (level, request_id) == ("ERROR", "[-]")
    assert stamp.endswith("Z") and rest.startswith("saldo.test: failed\\nbadly\\nTraceback")
    assert "ValueError: boom" in rest


def test_a_redis_outage_falls_back_to_limits_in_memory(sqlite_url):
    app = _make_app(
        sqlite_url,
        RATELIMIT_ENABLED=True,
        # short timeouts in the address, so that no storage option outlives this app
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{servers.free_port()}/0"
        "?socket_connect_timeout=0.2&socket_timeout=0.2",
        RATELIMIT_DEFAULT="3 per minute",
    )
    client = app.test_client()
    statuses = [client.get("/staff/login").status_code for _ in range(6)]
    # Nobody answers on that port: never a 500, and the limit still holds in this process.
    # The request during which the limiter finds Redis gone may count once or twice in
    # memory, so the first 429 comes on the third or the fourth request.
    assert set(statuses) == {200, 429} and statuses[:2] == [200, 200]
    assert statuses[4:] == [429, 429]
    assert statuses.count(200) in (2, 3)
