"""A session that ends between two page loads: the "session ended" page offers the same way
back in as the checkout ("Open your bill again", the date of birth asked again), from the
note the browser kept of the last page for 12 hours; without a good note, the message only."""

import re

import pytest

from portal.extensions import db
from portal.models import PaymentLink
from portal.patient import session as patient_session
from tests import factories
from tests.web.patient_client import csrf_token, open_and_verify

RESUME = re.compile(
    r'<form id="resume-form"[^>]*>\s*<input type="hidden" name="resume" value="([^"]+)"'
)
WAY_BACK = (
    "For your security, your session ended after a while without activity. Open your bill "
    "again to continue; you will be asked for your date of birth again."
)
WAY_BACK_IT = (
    "Per sicurezza, la Sua sessione è terminata dopo un periodo di inattività. Riapra la "
    "fattura per continuare; Le verrà chiesta di nuovo la data di nascita."
)
PLAIN = "For your security, please open the link from your text message or email again."


def verified(app, locale="en"):
    with app.app_context():
        _, token = factories.invoice_with_link(locale=locale)
    client = app.test_client()
    open_and_verify(client, token)
    assert client.get("/pay").status_code == 200
    return client


def session_ends(client) -> None:
    client.delete_cookie("session")  # 30 minutes later the browser has dropped it


def test_the_next_page_load_offers_the_way_back_in(web_app):
    client = verified(web_app)
    cookie = client.get_cookie(patient_session.RESUME_COOKIE, path="/pay")
    assert (cookie.path, cookie.http_only, cookie.max_age) == ("/pay", True, 12 * 3600)
    session_ends(client)
    page = client.get("/pay/checkout")
    html = page.get_data(as_text=True)
    assert page.status_code == 401
    assert "Your session has ended" in html and WAY_BACK in html
    note = RESUME.search(html).group(1)
    assert note == cookie.value
    answer = client.post("/pay/resume", data={"resume": note})
    assert answer.status_code == 302 and answer.location.endswith("/pay/verify")
    assert client.get("/pay").location.endswith("/pay/verify")  # the date of birth again
    verify = client.post(
        "/pay/verify",
        data={"csrf_token": csrf_token(client), "day": 9, "month": 3, "year": 1984},
    )
    assert verify.status_code == 302 and verify.location.endswith("/pay")
    assert client.get("/pay").status_code == 200


def test_the_way_back_in_speaks_italian(web_app):
    client = verified(web_app, locale="it")
    session_ends(client)
    html = client.get("/pay", headers={"Accept-Language": "it-IT,it;q=0.9"}).get_data(as_text=True)
    assert "<h1>La sessione è scaduta</h1>" in html and WAY_BACK_IT in html
    assert ">Riapra la fattura</button>" in html
    assert "Può anche aprire di nuovo il link ricevuto via SMS o email." in html


@pytest.mark.parametrize("note", [None, "", "eyJ4IjoxfQ.forged.sig"])
def test_without_a_good_note_the_message_only(web_app, note):
    client = verified(web_app)
    session_ends(client)
    if note is None:
        client.delete_cookie(patient_session.RESUME_COOKIE, path="/pay")
    else:
        client.set_cookie(patient_session.RESUME_COOKIE, note, path="/pay")
    html = client.get("/pay").get_data(as_text=True)
    assert PLAIN in html and 'id="resume-form"' not in html


def test_a_link_revoked_meanwhile_gets_the_message_only(web_app):
    client = verified(web_app)
    with web_app.app_context():
        link = db.session.scalars(db.select(PaymentLink)).one()
        link.revoked_at = link.created_at
        db.session.commit()
    session_ends(client)
    html = client.get("/pay").get_data(as_text=True)
    assert PLAIN in html and 'id="resume-form"' not in html
