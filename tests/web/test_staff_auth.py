"""Staff sign-in: passwords, throttling, the second factor, reset by email, sign-out."""

import re
from datetime import timedelta
from email import message_from_string, policy

import pyotp

from portal.clock import utcnow
from portal.extensions import db
from portal.models import OutboxMessage, StaffUser
from portal.services.core.audit import SYSTEM
from portal.services.practice import staff_auth
from tests import factories
from tests.web.staff_client import PASSWORD, csrf, make_staff, sign_in


def staff(web_app, role="owner", **kwargs):
    with web_app.app_context():
        user = make_staff(factories.practice(), role, **kwargs)
        return user.id, user.email


def test_sign_in_and_out(client, web_app):
    _, email = staff(web_app)
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")
    response = sign_in(client, email)
    assert response.headers["Location"] == "/staff/"
    assert "Invoices" in client.get("/staff/").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_generic_and_throttled(client, web_app):
    _, email = staff(web_app)
    for _ in range(4):
        response = sign_in(client, email, "wrong password!")
        assert response.status_code == 401
        assert "The email or the password is wrong." in response.get_data(as_text=True)
    assert sign_in(client, email, "wrong password!").status_code == 429
    assert sign_in(client, email).status_code == 429
    assert sign_in(client, "nobody@example.org", "x").status_code in (401, 429)


def test_passwords_are_argon2_hashes(app):
    user = make_staff(factories.practice())
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_throttle_window_moves_on(app):
    user = make_staff(factories.practice())
    past = utcnow() - timedelta(minutes=20)
    for _ in range(5):
        staff_auth.authenticate(user.email, "nope", ip_address="203.0.113.1", now=past)
    assert staff_auth.authenticate(user.email, "nope", ip_address="203.0.113.1")[0] == "wrong"
    assert staff_auth.authenticate(user.email, PASSWORD, ip_address="203.0.113.1")[0] == "ok"


def test_second_factor(client, web_app):
    user_id, email = staff(web_app)
    secret = pyotp.random_base32()
    with web_app.app_context():
        db.session.get(StaffUser, user_id).totp_secret = secret
        db.session.commit()
    response = sign_in(client, email)
    assert response.headers["Location"].startswith("/staff/login/code")
    assert client.get("/staff/").status_code == 302
    token = csrf(client, "/staff/login/code")
    wrong = client.post("/staff/login/code", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 401
    good = client.post(
        "/staff/login/code", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    )
    assert good.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_turning_on_the_second_factor(client, web_app):
    user_id, email = staff(web_app)
    sign_in(client, email)
    page = client.get("/staff/account/security").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    token = csrf(client, "/staff/account/security")
    client.post(
        "/staff/account/security", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    )
    with web_app.app_context():
        assert db.session.get(StaffUser, user_id).totp_secret == secret


def test_password_reset_by_email_works_once(client, web_app):
    _, email = staff(web_app, locale="it")
    token = csrf(client, "/staff/reset")
    client.post("/staff/reset", data={"csrf_token": token, "email": email})
    client.post("/staff/reset", data={"csrf_token": token, "email": "unknown@example.org"})
    with web_app.app_context():
        [message] = db.session.scalars(db.select(OutboxMessage)).all()
        assert message.recipient == email
        parsed = message_from_string(message.raw, policy=policy.default)
        text = parsed.get_body(preferencelist=("plain",)).get_content()
        path = re.search(r"http://\S+(/staff/reset/\S+)", text).group(1)
    form = csrf(client, path)
    new = "a brand new passphrase"
    client.post(path, data={"csrf_token": form, "password": new, "confirm": new})
    assert sign_in(client, email, new).headers["Location"] == "/staff/"
    assert client.get(path).status_code == 400


def test_reset_tokens_expire_and_resist_tampering(app):
    user = make_staff(factories.practice())
    key = app.config["SECRET_KEY"]
    token = staff_auth.reset_token(user, key)
    assert staff_auth.read_reset_token(token, key) == (False, False, user)
    assert staff_auth.read_reset_token(token + "x", key)[1] is True
    assert staff_auth.read_reset_token(token, "another key")[1] is True


def test_deactivated_staff_cannot_sign_in(client, web_app):
    user_id, email = staff(web_app)
    with web_app.app_context():
        db.session.get(StaffUser, user_id).active = False
        db.session.commit()
    assert sign_in(client, email).status_code == 401


def test_sessions_time_out(web_app):
    assert web_app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    _, email = staff(web_app)
    client = web_app.test_client()
    response = sign_in(client, email)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "Expires=" in cookie and "HttpOnly" in cookie


def test_wrong_passwords_from_one_address_lock_no_other_account(app):
    user = make_staff(factories.practice())
    for i in range(40):
        staff_auth.authenticate(f"made-up-{i}@example.org", "nope", ip_address="203.0.113.7")
    assert staff_auth.authenticate(user.email, PASSWORD, ip_address="203.0.113.7")[0] == "ok"


def test_an_owner_unlocks_an_account_locked_by_wrong_passwords(app):
    user = make_staff(factories.practice())
    for _ in range(5):
        staff_auth.authenticate(user.email, "nope", ip_address="203.0.113.8")
    assert staff_auth.authenticate(user.email, PASSWORD, ip_address="203.0.113.8")[0] == "locked"
    staff_auth.unlock(user, SYSTEM)
    assert staff_auth.authenticate(user.email, PASSWORD, ip_address="203.0.113.8")[0] == "ok"
