"""Saving a payment method and paying with it, against localstripe: the methods offered by
currency and agreement, one Stripe customer per patient (replaced when it belongs to an
account no longer used), refusals that create nothing at Stripe, setups that saved nothing,
and paying the whole balance only at the amount the patient saw. (Cards, 3-D Secure, SEPA and
outages at charge time: `test_payments.py`; Link: `test_link.py`.)"""

import pytest

from portal import gateways
from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import Payment
from portal.services.billing import ledger
from portal.services.payments import saved_methods
from portal.services.payments.payments import PaymentRefused
from tests import factories
from tests.services.payments.test_payments import PATIENT, saved_card
from tests.support import stripe_js
from tests.support.servers import free_port

#: nothing here differs by database
pytestmark = [
    pytest.mark.stripe,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def us_invoice():
    practice = factories.practice(name="Maple Family Dental", **factories.USA)
    return factories.invoice(factories.patient(practice, locale="en"), (5000,))


def refused(call, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(PaymentRefused) as caught:
        call(*args, **kwargs)
    return caught.value.code, caught.value.detail


def test_the_methods_offered_follow_the_currency_and_the_agreement(stripe_app):
    euro, _ = factories.invoice_with_link(amounts=(5000,))
    dollar = us_invoice()
    assert saved_methods.methods_for(euro) == ["card", "sepa_debit"]
    assert saved_methods.methods_for(dollar) == ["card"]
    # the Card Element of localstripe cannot save Link: an agreed card is a card only
    assert saved_methods.agreed_methods(euro, "card") == ["card"]
    assert saved_methods.agreed_methods(euro, "sepa_debit") == ["sepa_debit"]
    assert saved_methods.agreed_methods(dollar, "sepa_debit") == []
    assert saved_methods.agreed_methods(euro, None) == []


def test_one_customer_per_patient_and_a_setup_for_each_method_offered(stripe_app):
    base = stripe_app.config["STRIPE_API_BASE"]
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, secret = saved_methods.prepare_setup(invoice, ["card", "card", "sepa_debit"])
    customer = invoice.patient.stripe_customer_id
    setup = stripe_js.get(base, f"/v1/setup_intents/{seti}")
    assert (setup["customer"], setup["usage"], setup["payment_method_types"]) == (
        customer,
        "off_session",
        ["card", "sepa_debit"],
    )
    assert setup["metadata"] == {
        "saldo_invoice_id": str(invoice.id),
        "saldo_method": "card,sepa_debit",
    }
    assert secret == setup["client_secret"]
    found = stripe_js.get(base, f"/v1/customers/{customer}")
    assert (found["name"], found["email"], found["metadata"]) == (
        "Giulia Bianchi",
        "giulia@example.org",
        {
            "saldo_patient_id": str(invoice.patient.id),
            "saldo_practice_id": str(invoice.practice_id),
        },
    )
    saved_methods.prepare_setup(invoice, "card")
    assert invoice.patient.stripe_customer_id == customer


def test_a_customer_of_an_account_no_longer_used_is_replaced(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    invoice.patient.stripe_customer_id = "cus_of_the_old_account"
    db.session.commit()
    seti, _ = saved_methods.prepare_setup(invoice, "card")
    customer = invoice.patient.stripe_customer_id
    assert customer not in (None, "cus_of_the_old_account")
    setup = stripe_js.get(stripe_app.config["STRIPE_API_BASE"], f"/v1/setup_intents/{seti}")
    assert setup["customer"] == customer


def test_refused_setups_create_nothing_at_stripe(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    assert refused(saved_methods.prepare_setup, invoice, []) == ("method", None)
    assert refused(saved_methods.prepare_setup, invoice, ["card", "ideal"]) == ("method", None)
    assert refused(saved_methods.prepare_setup, us_invoice(), ["card", "sepa_debit"]) == (
        "method",
        None,
    )
    ledger.post(invoice, "adjustment", 5000)  # written down to nothing
    db.session.commit()
    assert refused(saved_methods.prepare_setup, invoice, "card") == ("nothing_due", None)
    assert invoice.patient.stripe_customer_id is None


def test_a_setup_that_saved_nothing_is_refused(stripe_app, monkeypatch):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    unconfirmed, _ = saved_methods.prepare_setup(invoice, "card")
    assert refused(saved_methods.saved_method, invoice, unconfirmed) == ("setup", None)
    assert refused(saved_methods.saved_method, invoice, "seti_unknown") == ("setup", None)
    failed, _ = saved_card(stripe_app, invoice, "4000002760003184", authenticate=False)
    assert refused(saved_methods.saved_method, invoice, failed) == (
        "setup",
        "setup_intent_authentication_failure",
    )
    good, _ = saved_card(stripe_app, invoice, "4242424242424242")
    unreachable = StripeGateway(
        "sk_test_x", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    monkeypatch.setattr(
        gateways.stripe(), "retrieve_setup_intent", unreachable.retrieve_setup_intent
    )
    assert refused(saved_methods.saved_method, invoice, good) == ("unavailable", None)
    monkeypatch.undo()
    saved = saved_methods.saved_method(invoice, good)
    assert (saved.customer_id, saved.method) == (invoice.patient.stripe_customer_id, "card")
    # saved for the patient's customer then: not once the patient has another one
    invoice.patient.stripe_customer_id = "cus_someone_new"
    db.session.commit()
    assert refused(saved_methods.saved_method, invoice, good) == ("setup", None)


def test_the_whole_balance_is_charged_only_at_the_amount_the_patient_saw(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(12000, 3450))
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    ledger.post(invoice, "adjustment", 1450)  # the practice took €14.50 off meanwhile
    db.session.commit()
    assert refused(saved_methods.pay_in_full, invoice, seti, PATIENT, expected_minor=15450) == (
        "amount_changed",
        "14000",
    )
    assert db.session.scalars(db.select(Payment)).all() == []
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT, expected_minor=14000)
    assert (outcome.status, outcome.payment.amount_minor, outcome.payment.currency) == (
        "succeeded",
        14000,
        "EUR",
    )
    assert (ledger.balance(invoice.id), invoice.status) == (0, "paid")
