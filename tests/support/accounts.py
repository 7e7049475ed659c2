"""Two practices with Stripe accounts of their own, each on its own localstripe server."""

from portal.services.core.audit import Actor
from portal.services.payments import saved_methods
from tests import factories
from tests.support import stripe_js
from tests.support.webhooks import signed

SECRET_A = "sk_test_practiceA0000000000001234"
SECRET_B = "sk_test_practiceB0000000000005678"
WEBHOOK_A = "whsec_practice_a_signing_secret_9876"
WEBHOOK_B = "whsec_practice_b_signing_secret_5432"
PATIENT = Actor("patient", "link:test", "127.0.0.1")


def intent_ids(base: str) -> list[str]:
    return sorted(pi["id"] for pi in stripe_js.get(base, "/v1/payment_intents?limit=100")["data"])


def pay_by_card(
    practice, number="4242424242424242", amounts=(12000, 3450), invoice_number="2026-0001"
):
    invoice = factories.invoice(factories.patient(practice), amounts, number=invoice_number)
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(practice.stripe_api_base, secret, number)
    return invoice, saved_methods.pay_in_full(invoice, seti, PATIENT)


def post_event(app, path, event, secret):
    payload, signature = signed(event, secret)
    return app.test_client().post(
        path,
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
