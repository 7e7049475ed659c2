"""The session cookie is signed and sent again only when the session changed or, unchanged,
once it is a minute old; the session it carries keeps working either way."""

import time

from portal import session_cookie
from tests.web.test_bill_page import verified_client


def test_an_unchanged_session_is_not_resent_until_it_is_a_minute_old(web_app, monkeypatch):
    client, _ = verified_client(web_app)
    client.get("/pay")
    quiet = client.get("/pay")
    assert quiet.status_code == 200
    assert quiet.headers.getlist("Set-Cookie") == []
    now = time.time()
    monkeypatch.setattr(session_cookie, "_now", lambda: now + session_cookie.REFRESH_AFTER)
    renewed = client.get("/pay")
    assert renewed.status_code == 200
    [cookie] = renewed.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "Expires=" in cookie


def test_a_changed_session_is_sent_at_once(web_app):
    client, _ = verified_client(web_app)
    client.get("/pay")
    switched = client.get("/lang/it?next=/pay")
    assert switched.status_code == 302
    [cookie] = switched.headers.getlist("Set-Cookie")
    assert cookie.startswith("session=")
    assert "<h1>La Sua fattura</h1>" in client.get("/pay").get_data(as_text=True)
