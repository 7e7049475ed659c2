"""Partial payments over HTTP: the owner's setting, the amount entered on the bill with
translated errors that change nothing, and the checkout that charges exactly that amount."""

import html

import pytest

from portal.extensions import db
from portal.models import Invoice, Payment, Practice
from portal.services.billing import ledger
from tests.web.patient_client import post_json
from tests.web.staff_client import csrf
from tests.web.test_offers import billed, owner, patient_client, save_card, stripe_web  # noqa: F401


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def allow(app, invoice_id, minimum):
    """Let the practice of `invoice_id` take partial payments of at least `minimum`."""
    with app.app_context():
        db.session.get(Invoice, invoice_id).practice.partial_payment_minimum_minor = minimum
        db.session.commit()


def test_the_owner_turns_partial_payments_on_and_off(web_app):
    client, practice_id = owner(web_app)
    page = client.get("/staff/settings/partial-payments")
    assert page.status_code == 200
    token = csrf(client, "/staff/settings/partial-payments")
    bad = client.post(
        "/staff/settings/partial-payments",
        data={"csrf_token": token, "enabled": "y", "minimum": "ten"},
    )
    assert bad.status_code == 422 and "Enter an amount like 20.00." in text(bad)
    saved = client.post(
        "/staff/settings/partial-payments",
        data={"csrf_token": token, "enabled": "y", "minimum": "25,50"},
    )
    assert saved.status_code == 302
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).partial_payment_minimum_minor == 2550
    client.post("/staff/settings/partial-payments", data={"csrf_token": token, "minimum": "5"})
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).partial_payment_minimum_minor is None


def test_the_bill_offers_a_part_only_when_the_practice_allows_it(web_app):
    with web_app.app_context():
        invoice_id, token = billed(locale="en")
    client = patient_client(web_app, token)
    assert 'id="partial-payment"' not in text(client.get("/pay"))
    assert client.get("/pay/part?amount=50").status_code == 422
    allow(web_app, invoice_id, 2000)
    bill = text(client.get("/pay"))
    assert 'action="/pay/part"' in bill
    assert "From €20.00 up to €154.50." in bill


@pytest.mark.parametrize(
    ("locale", "amount", "message"),
    [
        ("en", "19.99", "Enter at least €20.00."),
        ("en", "154.51", "Enter at most the balance due, €154.50."),
        ("en", "12.345", "Enter an amount like 50.00."),
        ("it", "19,99", "Inserisca almeno 20,00\xa0€."),
        ("it", "cinquanta", "Inserisca un importo come 50,00."),
    ],
)
def test_a_wrong_amount_shows_the_bill_again_with_the_reason(web_app, locale, amount, message):
    with web_app.app_context():
        invoice_id, token = billed(locale=locale)
    allow(web_app, invoice_id, 2000)
    client = patient_client(web_app, token)
    response = client.get("/pay/part", query_string={"amount": amount})
    assert response.status_code == 422
    page = text(response)
    assert f'<div class="error" role="alert" id="part-error"><p>{message}</p></div>' in page
    assert f'value="{amount}"' in page and 'aria-invalid="true"' in page
    with web_app.app_context():
        assert db.session.scalars(db.select(Payment)).all() == []
        assert ledger.balance(invoice_id) == 15450


@pytest.mark.stripe
def test_pay_part_through_the_pages(stripe_web):  # noqa: F811
    with stripe_web.app_context():
        invoice_id, token = billed(locale="en")
    allow(stripe_web, invoice_id, 2000)
    client = patient_client(stripe_web, token)
    checkout = text(client.get("/pay/part?amount=50"))
    assert 'id="amount">€50.00<' in checkout
    assert "You pay €50.00 now; €104.50 remains due." in checkout
    assert 'data-confirm-url="/pay/part/confirm"' in checkout
    seti = save_card(stripe_web, client)
    too_small = post_json(
        client, "/pay/part/confirm", {"setup_intent_id": seti, "amount_minor": 1999}
    )
    assert too_small.status_code == 422
    assert too_small.get_json() == {"error": "Enter at least €20.00.", "reason": "too_small"}
    body = post_json(
        client, "/pay/part/confirm", {"setup_intent_id": seti, "amount_minor": 5000}
    ).get_json()
    assert body["status"] == "succeeded"
    result = text(client.get(body["next"]))
    assert "Payment received" in result and "€104.50" in result
    with stripe_web.app_context():
        payment = db.session.scalars(db.select(Payment)).one()
        assert (payment.amount_minor, payment.purpose, payment.status) == (
            5000,
            "partial",
            "succeeded",
        )
        assert ledger.balance(invoice_id) == 10450
    bill = text(client.get("/pay"))
    assert "Pay in full · €104.50" in bill and "From €20.00 up to €104.50." in bill
