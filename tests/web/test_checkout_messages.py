"""What the checkout tells the patient: a session that ended (and the way back in), a card
whose 3-D Secure check failed while saving it, and Stripe's error and decline codes."""

import re

import pytest
from flask_babel import force_locale, gettext

from portal.extensions import db
from portal.models import Payment, PaymentLink
from tests import factories
from tests.conftest import _make_app
from tests.support import stripe_js
from tests.web.patient_client import csrf_token, open_and_verify, post_json

pytestmark = pytest.mark.stripe

ENDED = (
    "For your security, your session ended after a while without activity. Nothing was "
    "charged. Open your bill again to continue."
)
ENDED_IT = (
    "Per sicurezza, la Sua sessione è terminata dopo un periodo di inattività. Non è stato "
    "addebitato nulla. Riapra la fattura per continuare."
)
AUTH_AT_SETUP = (
    "Your bank could not confirm it was you, so the card was not saved and nothing was "
    "charged. Please try again and complete your bank's check, or use another card."
)
RESUME = re.compile(r'name="resume" value="([^"]+)"')


@pytest.fixture
def checkout(sqlite_url, stripe_base):
    app = _make_app(sqlite_url, stripe_base)
    yield app
    with app.app_context():
        db.engine.dispose()


def verified(app, locale="en"):
    with app.app_context():
        invoice, token = factories.invoice_with_link(locale=locale)
        invoice_id = invoice.id
    client = app.test_client()
    open_and_verify(client, token)
    return client, invoice_id


def test_a_session_that_ended_says_so_and_charges_nothing(checkout):
    client, _ = verified(checkout)
    token = csrf_token(client, "/pay/checkout")
    client.delete_cookie("session")  # 30 minutes later the browser has dropped the cookie
    response = client.post("/pay/setup", json={"method": "card"}, headers={"X-CSRFToken": token})
    assert response.status_code == 401
    assert response.get_json() == {
        "error": ENDED,
        "reason": "session_ended",
        "resume_url": "/pay/resume",
    }


def test_a_session_whose_link_was_revoked_meanwhile_says_so_in_italian(checkout):
    client, _ = verified(checkout, locale="it")
    with checkout.app_context():
        link = db.session.scalars(db.select(PaymentLink)).one()
        link.revoked_at = link.created_at
        db.session.commit()
    token = csrf_token(client, "/pay/verify")
    response = client.post(  # the link is gone: the phone's language decides
        "/pay/confirm",
        json={"setup_intent_id": "seti_x"},
        headers={"X-CSRFToken": token, "Accept-Language": "it-IT,it;q=0.9"},
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == ENDED_IT
    with checkout.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []


def test_open_your_bill_again_starts_over_at_the_date_of_birth(checkout):
    client, _ = verified(checkout)
    resume = RESUME.search(client.get("/pay/checkout").get_data(as_text=True)).group(1)
    later = checkout.test_client()  # the same phone once the session cookie is gone
    answer = later.post("/pay/resume", data={"resume": resume})
    assert answer.status_code == 302 and answer.location.endswith("/pay/verify")
    assert later.get("/pay").location.endswith("/pay/verify")  # verified again, not resumed
    verify = later.post(
        "/pay/verify",
        data={"csrf_token": csrf_token(later), "day": 9, "month": 3, "year": 1984},
    )
    assert verify.status_code == 302 and verify.location.endswith("/pay")
    assert "Pay your bill" in later.get("/pay/checkout").get_data(as_text=True)


@pytest.mark.parametrize("resume", ["", "1", "eyJ4IjoxfQ.forged.sig"])
def test_a_forged_resume_token_gets_the_session_ended_page(checkout, resume):
    answer = checkout.test_client().post("/pay/resume", data={"resume": resume})
    assert answer.status_code == 401
    assert "Your session has ended" in answer.get_data(as_text=True)


def test_resume_refuses_a_post_from_another_site(checkout):
    client, _ = verified(checkout)
    resume = RESUME.search(client.get("/pay/checkout").get_data(as_text=True)).group(1)
    answer = checkout.test_client().post(
        "/pay/resume", data={"resume": resume}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert answer.status_code == 400


def test_three_d_secure_failed_while_saving_the_card(checkout):
    client, _ = verified(checkout)
    secret = post_json(client, "/pay/setup", {"method": "card"}).get_json()["client_secret"]
    base = checkout.config["STRIPE_API_BASE"]
    failed = stripe_js.confirm_card_setup(base, secret, "4000002760003184", authenticate=False)
    assert failed["status"] == "canceled"
    # localstripe's Stripe.js reports no code for it: the server reads the SetupIntent
    answer = post_json(client, "/pay/setup/problem", {"client_secret": secret}).get_json()
    assert answer == {"error": AUTH_AT_SETUP, "code": "setup_intent_authentication_failure"}
    # and confirming it anyway says the same, not "check the details"
    refused = post_json(client, "/pay/confirm", {"setup_intent_id": failed["id"]})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == AUTH_AT_SETUP


def test_the_code_stripe_js_reported_is_explained(checkout):
    client, _ = verified(checkout, locale="it")
    declined = post_json(
        client,
        "/pay/setup/problem",
        {"code": "card_declined", "decline_code": "insufficient_funds"},
    ).get_json()
    assert declined == {
        "error": italian(
            checkout, "The payment was declined for insufficient funds. No money was taken."
        ),
        "code": "insufficient_funds",
    }
    cvc = post_json(client, "/pay/setup/problem", {"code": "incorrect_cvc"}).get_json()
    assert cvc["error"] == (
        "Il codice di sicurezza (CVC) non è corretto: sono le 3 o 4 cifre sulla carta. "
        "Lo controlli e riprovi."
    )
    unknown = post_json(client, "/pay/setup/problem", {"code": "something_new"}).get_json()
    assert unknown["error"] == italian(
        checkout, "We could not use this payment method. Please check the details and try again."
    )


def italian(app, message: str) -> str:
    """`message` as the Italian catalog has it."""
    with app.test_request_context(), force_locale("it"):
        return gettext(message)
