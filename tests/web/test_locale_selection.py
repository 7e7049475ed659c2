"""The page's language: a signed-in staff user's own, and a session no one signed in to never
loads a staff user to find out."""

from portal.extensions import login_manager
from tests import factories
from tests.web import bill_scenarios
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import make_staff, sign_in


def test_a_signed_in_staff_user_reads_the_staff_pages_in_their_language(client, web_app):
    with web_app.app_context():
        email = make_staff(factories.practice(), locale="it").email
    sign_in(client, email)
    page = client.get("/staff/", headers={"Accept-Language": "en"})
    assert '<html lang="it">' in page.get_data(as_text=True)


def test_a_patient_session_loads_no_staff_user(client, web_app, monkeypatch):
    with web_app.app_context():
        _, token = bill_scenarios.build("incentives", 3, "it")
    open_and_verify(client, token)
    loads = []
    load_user = login_manager._load_user
    monkeypatch.setattr(login_manager, "_load_user", lambda: loads.append(1) or load_user())
    page = client.get("/", headers={"Accept-Language": "it"})
    assert '<html lang="it">' in page.get_data(as_text=True)
    assert loads == []
