"""The checkout's JSON calls: amounts from the server, translated refusals, no double booking."""

import pytest

from portal.extensions import db
from portal.models import LedgerEntry, Payment
from tests import factories
from tests.conftest import _make_app
from tests.support import stripe_js
from tests.web.patient_client import open_and_verify, post_json

pytestmark = pytest.mark.stripe


@pytest.fixture
def checkout(database_url, stripe_base):
    app = _make_app(database_url, stripe_base)
    yield app
    with app.app_context():
        db.engine.dispose()


def verified_client(app, amounts=(12000, 3450), **patient):
    with app.app_context():
        invoice, token = factories.invoice_with_link(amounts, **patient)
        invoice_id = invoice.id
    client = app.test_client()
    open_and_verify(client, token)
    return client, invoice_id


def save_card(app, client, number="4242424242424242", authenticate=True):
    secret = post_json(client, "/pay/setup", {"method": "card"}).get_json()["client_secret"]
    base = app.config["STRIPE_API_BASE"]
    return stripe_js.confirm_card_setup(base, secret, number, authenticate)["id"]


def test_pay_in_full_through_the_pages(checkout):
    client, _invoice_id = verified_client(checkout, locale="en")
    seti = save_card(checkout, client)
    body = post_json(client, "/pay/confirm", {"setup_intent_id": seti, "amount": 1}).get_json()
    assert body["status"] == "succeeded"
    result = client.get(body["next"]).get_data(as_text=True)
    assert "Payment received" in result and "€154.50" in result
    with checkout.app_context():
        payment = db.session.scalars(db.select(Payment)).one()
        assert payment.amount_minor == 15450
    pdf = client.get(f"/pay/payments/{payment.id}/receipt.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    page = client.get("/pay").get_data(as_text=True)
    assert "Paid in full. Thank you!" in page
    assert f"/pay/payments/{payment.id}/receipt.pdf" in page


def test_second_click_does_not_book_twice(checkout):
    client, _invoice_id = verified_client(checkout, locale="en")
    seti = save_card(checkout, client)
    assert post_json(client, "/pay/confirm", {"setup_intent_id": seti}).status_code == 200
    again = post_json(client, "/pay/confirm", {"setup_intent_id": seti})
    assert again.status_code == 409
    assert again.get_json()["error"] == "There is nothing left to pay on this bill."
    with checkout.app_context():
        entries = db.session.scalars(db.select(LedgerEntry).filter_by(kind="payment")).all()
        assert [e.amount_minor for e in entries] == [-15450]


def test_decline_is_explained_in_italian(checkout):
    client, _ = verified_client(checkout, locale="it")
    seti = save_card(checkout, client, "4000000000000341")
    response = post_json(client, "/pay/confirm", {"setup_intent_id": seti})
    assert response.status_code == 402
    assert response.get_json()["error"].startswith("La Sua banca ha rifiutato il pagamento.")
    assert "Pay in full" not in client.get("/pay").get_data(as_text=True)
    assert "154,50\xa0€" in client.get("/pay").get_data(as_text=True)


def test_three_d_secure_round_trip(checkout):
    client, _ = verified_client(checkout, locale="en")
    seti = save_card(checkout, client, "4000002760003184")
    body = post_json(client, "/pay/confirm", {"setup_intent_id": seti}).get_json()
    assert body["status"] == "requires_action" and "next" not in body
    stripe_js.confirm_card_payment(checkout.config["STRIPE_API_BASE"], body["client_secret"])
    done = post_json(client, body["refresh"], {}).get_json()
    assert done["status"] == "succeeded"


def test_failed_three_d_secure_is_reported(checkout):
    client, _ = verified_client(checkout, locale="en")
    seti = save_card(checkout, client, "4000002760003184")
    body = post_json(client, "/pay/confirm", {"setup_intent_id": seti}).get_json()
    stripe_js.confirm_card_payment(checkout.config["STRIPE_API_BASE"], body["client_secret"], False)
    done = post_json(client, body["refresh"], {}).get_json()
    assert done["status"] == "failed"
    assert done["error"].startswith("Your bank could not confirm it was you")


@pytest.mark.parametrize("body", [{}, {"setup_intent_id": 5}, {"setup_intent_id": "pi_x"}])
def test_malformed_confirmations_are_refused(checkout, body):
    client, _ = verified_client(checkout, locale="en")
    response = post_json(client, "/pay/confirm", body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith("We could not use this payment method.")


def test_unknown_method_is_refused(checkout):
    client, _ = verified_client(checkout, locale="en")
    response = post_json(client, "/pay/setup", {"method": "bitcoin"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "This payment method is not available for this bill."
    with checkout.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []


def test_unverified_sessions_cannot_pay(checkout):
    with checkout.app_context():
        _, token = factories.invoice_with_link()
    client = checkout.test_client()
    client.get(f"/p/{token}")
    response = post_json(client, "/pay/setup", {"method": "card"}, page="/pay/verify")
    assert response.status_code == 302 and response.location.endswith("/pay/verify")
    with checkout.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []


def test_other_invoices_payments_are_not_visible(checkout):
    client, _ = verified_client(checkout, locale="en")
    other, _ = verified_client(checkout, locale="en", email="x@example.org")
    seti = save_card(checkout, other)
    post_json(other, "/pay/confirm", {"setup_intent_id": seti})
    with checkout.app_context():
        payment_id = db.session.scalars(db.select(Payment.id)).one()
    assert client.get(f"/pay/payments/{payment_id}").status_code == 404
    assert client.get(f"/pay/payments/{payment_id}/receipt.pdf").status_code == 404


def test_a_balance_changed_since_the_page_asks_again(checkout):
    client, invoice_id = verified_client(checkout, amounts=(17500,), locale="en")
    page = client.get("/pay/checkout").get_data(as_text=True)
    assert 'data-amount="17500"' in page
    seti = save_card(checkout, client)
    with checkout.app_context():
        from portal.models import Invoice
        from portal.services.billing import ledger

        ledger.post(db.session.get(Invoice, invoice_id), "charge", 10000, memo="late line")
        db.session.commit()
    shown = {"setup_intent_id": seti, "amount_minor": 17500}
    refused = post_json(client, "/pay/confirm", shown)
    assert refused.status_code == 409
    assert refused.get_json() == {
        "reason": "amount_changed",
        "amount_minor": 27500,
        "amount": "€275.00",
        "button": "Pay €275.00",
        "error": "The amount due is now €275.00. Please check it and confirm again.",
    }
    with checkout.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []
    again = post_json(client, "/pay/confirm", {"setup_intent_id": seti, "amount_minor": 27500})
    assert again.get_json()["status"] == "succeeded"
    with checkout.app_context():
        assert [p.amount_minor for p in db.session.scalars(db.select(Payment))] == [27500]
