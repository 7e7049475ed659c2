"""Staff sessions end on the server: sign-out, reset, changes and "sign out everywhere"."""

from datetime import timedelta

from portal.extensions import db
from portal.models import StaffUser
from portal.services.practice import staff_auth
from tests import factories
from tests.web.staff_client import PASSWORD, csrf, make_staff, sign_in


def signed_in_pair(web_app, role="owner"):
    with web_app.app_context():
        user = make_staff(factories.practice(), role)
        user_id, email = user.id, user.email
    browser = web_app.test_client()
    sign_in(browser, email)
    thief = web_app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/staff/").status_code == 200
    return user_id, email, browser, thief


def test_a_copied_cookie_stops_working_after_sign_out(web_app):
    _, _, browser, thief = signed_in_pair(web_app)
    browser.post("/staff/logout", data={"csrf_token": csrf(browser)})
    assert thief.get("/staff/").status_code == 302


def test_a_copied_cookie_stops_working_after_a_password_reset(web_app):
    user_id, email, _, thief = signed_in_pair(web_app)
    with web_app.app_context():
        token = staff_auth.reset_token(
            db.session.get(StaffUser, user_id), web_app.config["SECRET_KEY"]
        )
    other = web_app.test_client()
    path = f"/staff/reset/{token}"
    new = "a brand new passphrase"
    other.post(path, data={"csrf_token": csrf(other, path), "password": new, "confirm": new})
    assert thief.get("/staff/").status_code == 302
    assert sign_in(other, email, new).headers["Location"] == "/staff/"


def test_sign_out_everywhere_for_self(web_app):
    _, _, browser, thief = signed_in_pair(web_app)
    response = browser.post(
        "/staff/account/sign-out-everywhere", data={"csrf_token": csrf(browser)}
    )
    assert response.headers["Location"] == "/staff/login"
    assert thief.get("/staff/").status_code == 302
    assert browser.get("/staff/").status_code == 302


def test_owner_signs_a_staff_member_out_everywhere(web_app):
    with web_app.app_context():
        practice = factories.practice()
        owner = make_staff(practice, "owner")
        clerk = make_staff(practice, "billing")
        owner_email, clerk_id, clerk_email = owner.email, clerk.id, clerk.email
    owner_client, clerk_client = web_app.test_client(), web_app.test_client()
    sign_in(owner_client, owner_email)
    sign_in(clerk_client, clerk_email)
    response = owner_client.post(
        f"/staff/users/{clerk_id}/sign-out", data={"csrf_token": csrf(owner_client)}
    )
    assert response.headers["Location"] == "/staff/users"
    assert clerk_client.get("/staff/").status_code == 302
    assert owner_client.get("/staff/").status_code == 200


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(web_app):
    _user_id, _email, browser, thief = signed_in_pair(web_app)
    path = "/staff/account/password"
    new = "another long passphrase"
    refused = browser.post(
        path,
        data={
            "csrf_token": csrf(browser, path),
            "current": "wrong one",
            "password": new,
            "confirm": new,
        },
    )
    assert refused.status_code == 422
    assert thief.get("/staff/").status_code == 200
    done = browser.post(
        path,
        data={
            "csrf_token": csrf(browser, path),
            "current": PASSWORD,
            "password": new,
            "confirm": new,
        },
    )
    assert done.headers["Location"] == "/staff/account/security"
    assert thief.get("/staff/").status_code == 302
    assert browser.get("/staff/").status_code == 200


def test_changing_the_email_needs_the_password(web_app):
    user_id, _, browser, _ = signed_in_pair(web_app)
    path = "/staff/account/email"
    refused = browser.post(
        path,
        data={"csrf_token": csrf(browser, path), "current": "nope", "email": "new@example.org"},
    )
    assert refused.status_code == 422
    done = browser.post(
        path,
        data={"csrf_token": csrf(browser, path), "current": PASSWORD, "email": "new@example.org"},
    )
    assert done.headers["Location"] == "/staff/account/security"
    with web_app.app_context():
        assert db.session.get(StaffUser, user_id).email == "new@example.org"


def test_sessions_have_an_absolute_lifetime(web_app):
    assert web_app.config["STAFF_SESSION_MAX_AGE"] == timedelta(hours=12)
    _, _, browser, _ = signed_in_pair(web_app)
    with browser.session_transaction() as session:
        started = session["staff_since"]
        session["staff_since"] = started - int(timedelta(hours=12, minutes=1).total_seconds())
    assert browser.get("/staff/").status_code == 302
