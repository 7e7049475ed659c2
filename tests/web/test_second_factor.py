"""The second factor against an attacker: server-side counting, lockout, replay, recovery."""

import re

import pyotp

from portal.extensions import db
from portal.models import AuditEvent, Practice, StaffUser
from tests import factories
from tests.web.staff_client import PASSWORD, csrf, make_staff, sign_in

WRONG = "The code is wrong or has expired."
LOCKED = "This account is locked after too many wrong attempts."


def staff_with_totp(web_app, role="owner", practice_id=None):
    secret = pyotp.random_base32()
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id) if practice_id else factories.practice()
        user = make_staff(practice, role)
        user.totp_secret = secret
        db.session.commit()
        return user.id, user.email, secret


def post_code(client, code, token=None):
    token = token or csrf(client, "/staff/login/code")
    return client.post("/staff/login/code", data={"csrf_token": token, "code": code})


def cookie(client):
    return client.get_cookie("session").value


def test_resending_the_password_step_cookie_does_not_reset_the_count(client, web_app):
    user_id, email, secret = staff_with_totp(web_app)
    sign_in(client, email)
    token = csrf(client, "/staff/login/code")
    after_password = cookie(client)
    for _ in range(8):
        client.set_cookie("session", after_password)
        post_code(client, "000000", token)
    client.set_cookie("session", after_password)
    response = post_code(client, pyotp.TOTP(secret).now(), token)
    assert response.status_code == 429
    assert LOCKED in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    with web_app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user.locked_until is not None
        failed = db.session.scalars(
            db.select(AuditEvent).filter_by(action="staff.code_failed")
        ).all()
        assert len(failed) == 5
        assert db.session.scalar(db.select(AuditEvent).filter_by(action="staff.locked"))


def test_a_locked_account_is_refused_even_with_the_right_password(client, web_app):
    _, email, _secret = staff_with_totp(web_app)
    sign_in(client, email)
    for _ in range(5):
        post_code(client, "000000")
    response = sign_in(client, email)
    assert response.status_code == 429
    assert "This account is locked" in response.get_data(as_text=True)


def test_a_code_is_accepted_once(web_app):
    _, email, secret = staff_with_totp(web_app)
    first, second = web_app.test_client(), web_app.test_client()
    code = pyotp.TOTP(secret).now()
    sign_in(first, email)
    sign_in(second, email)
    assert post_code(first, code).headers["Location"] == "/staff/"
    replay = post_code(second, code)
    assert replay.status_code == 401
    assert WRONG in replay.get_data(as_text=True)
    assert second.get("/staff/").status_code == 302


def test_owner_unlocks_a_locked_colleague(web_app):
    with web_app.app_context():
        practice = factories.practice()
        owner_email, practice_id = make_staff(practice, "owner").email, practice.id
    billing_id, billing_email, secret = staff_with_totp(web_app, "billing", practice_id)
    attacker = web_app.test_client()
    sign_in(attacker, billing_email)
    for _ in range(5):
        post_code(attacker, "000000")
    owner_client = web_app.test_client()
    sign_in(owner_client, owner_email)
    page = owner_client.get("/staff/users").get_data(as_text=True)
    assert "locked" in page
    unlocked = owner_client.post(
        f"/staff/users/{billing_id}/unlock", data={"csrf_token": csrf(owner_client)}
    )
    assert unlocked.headers["Location"] == "/staff/users"
    colleague = web_app.test_client()
    sign_in(colleague, billing_email)
    assert post_code(colleague, pyotp.TOTP(secret).now()).headers["Location"] == "/staff/"
    with web_app.app_context():
        user = db.session.get(StaffUser, billing_id)
        assert (user.locked_until, user.code_failures) == (None, 0)


def test_turning_the_second_factor_off_needs_the_password_and_a_code(client, web_app):
    user_id, email, secret = staff_with_totp(web_app)
    sign_in(client, email)
    post_code(client, pyotp.TOTP(secret).now())
    token = csrf(client, "/staff/account/security")
    session_only = client.post(
        "/staff/account/security/off", data={"csrf_token": token, "current": "", "code": ""}
    )
    assert session_only.status_code == 422
    wrong_password = client.post(
        "/staff/account/security/off",
        data={"csrf_token": token, "current": "not it at all", "code": "123456"},
    )
    assert wrong_password.status_code == 422
    with web_app.app_context():
        assert db.session.get(StaffUser, user_id).totp_secret == secret
        # the code of the sign-in was used; the next step's code turns it off
        db.session.get(StaffUser, user_id).totp_last_step -= 2
        db.session.commit()
    good = client.post(
        "/staff/account/security/off",
        data={"csrf_token": token, "current": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert good.headers["Location"] == "/staff/account/security"
    with web_app.app_context():
        assert db.session.get(StaffUser, user_id).totp_secret is None


def test_recovery_codes_are_shown_once_and_work_once(client, web_app):
    user_id, email = None, None
    with web_app.app_context():
        user = make_staff(factories.practice())
        user_id, email = user.id, user.email
    sign_in(client, email)
    page = client.get("/staff/account/security").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    token = csrf(client, "/staff/account/security")
    shown = client.post(
        "/staff/account/security", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    ).get_data(as_text=True)
    codes = re.findall(
        r'<li class="recovery-code"><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>', shown
    )
    assert len(codes) == 10
    assert codes[0] not in client.get("/staff/account/security").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    sign_in(client, email)
    assert post_code(client, codes[0].upper()).headers["Location"] == "/staff/"
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    sign_in(client, email)
    assert post_code(client, codes[0]).status_code == 401
    with web_app.app_context():
        from portal.models import RecoveryCode

        stored = db.session.scalars(db.select(RecoveryCode).filter_by(staff_user_id=user_id)).all()
        assert len(stored) == 10
        assert all(codes[0] not in r.code_hash for r in stored)
        assert sum(r.used_at is not None for r in stored) == 1
