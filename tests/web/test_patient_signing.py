"""What a patient page signs, it signs once: the CSRF token of a session, the resume note of
a link (once a minute), the session cookie checked once per process; each still works, and
a cookie altered after a genuine one was seen is still refused."""

from itsdangerous import TimestampSigner

from portal.patient import session as patient_session
from tests import factories
from tests.web.patient_client import CSRF, csrf_token
from tests.web.test_bill_page import verified_client


def _meta_token(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


def test_a_session_gets_the_same_token_on_every_page_and_it_is_accepted(web_app):
    with web_app.app_context():
        _, token = factories.invoice_with_link()
    client = web_app.test_client()
    client.get(f"/p/{token}")
    first, second = (_meta_token(client.get("/pay/verify")) for _ in range(2))
    assert first == second
    verify = client.post(
        "/pay/verify", data={"csrf_token": first, "day": 9, "month": 3, "year": 1984}
    )
    assert (verify.status_code, verify.location) == (302, "/pay")
    other = web_app.test_client()
    other.get(f"/p/{token}")
    assert csrf_token(other) != first


def test_the_resume_note_is_sent_once_then_again_once_a_minute_old(web_app, monkeypatch):
    client, _ = verified_client(web_app)  # the verify page sent the link's note
    name = patient_session.RESUME_COOKIE
    note = client.get_cookie(name, path="/pay").value
    again = client.get("/pay/checkout")
    assert again.status_code == 200
    assert [c for c in again.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")] == []
    later = patient_session._now() + patient_session.RESUME_RESIGN_AFTER
    monkeypatch.setattr(patient_session, "_now", lambda: later)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(later))
    renewed = client.get("/pay/checkout")
    [cookie] = [c for c in renewed.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert "Max-Age=43200" in cookie and "Path=/pay" in cookie and "HttpOnly" in cookie
    fresh = client.get_cookie(name, path="/pay").value
    assert fresh != note
    with web_app.test_request_context():
        assert patient_session.link_to_resume(fresh) is not None


def test_an_altered_session_cookie_is_refused_after_the_genuine_one_was_seen(web_app):
    client, _ = verified_client(web_app)
    assert client.get("/pay").status_code == 200
    genuine = client.get_cookie("session").value
    payload, stamp, signature = genuine.rsplit(".", 2)
    # the first character: all six of its bits are the signature's (the last one's low bits
    # are padding, so changing it may not change the signature at all)
    flipped = ("B" if signature[0] != "B" else "C") + signature[1:]
    client.set_cookie("session", f"{payload}.{stamp}.{flipped}")
    assert client.get("/pay").status_code == 401  # no session: the "session ended" page
    client.set_cookie("session", genuine)
    assert client.get("/pay").status_code == 200
