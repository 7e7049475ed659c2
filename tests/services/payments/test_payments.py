"""Paying in full against localstripe: cards, 3-D Secure, SEPA, declines and outages."""

import time

import pytest

from portal import gateways
from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import LedgerEntry, Payment
from portal.services.billing import ledger
from portal.services.core.audit import Actor
from portal.services.payments import payments, saved_methods
from portal.services.payments.payments import PaymentRefused
from tests import factories
from tests.support import stripe_js
from tests.support.servers import free_port

pytestmark = pytest.mark.stripe
PATIENT = Actor("patient", "link:test", "127.0.0.1")


def saved_card(app, invoice, number, authenticate=True):
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    result = stripe_js.confirm_card_setup(
        app.config["STRIPE_API_BASE"], secret, number, authenticate
    )
    return seti, result


def saved_iban(app, invoice, iban):
    seti, secret = saved_methods.prepare_setup(invoice, "sepa_debit")
    stripe_js.confirm_sepa_setup(app.config["STRIPE_API_BASE"], secret, iban)
    return seti


def payment_entries(invoice):
    query = db.select(LedgerEntry).filter_by(invoice_id=invoice.id, kind="payment")
    return db.session.scalars(query).all()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_card_pays_the_whole_balance(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(12000, 3450))
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert outcome.status == "succeeded"
    assert outcome.client_secret is None
    payment = outcome.payment
    assert (payment.amount_minor, payment.currency, payment.method) == (15450, "EUR", "card")
    assert payment.method_label == "Visa •••• 4242"
    assert payment.receipt_number == f"{invoice.number}-{payment.id}"
    assert ledger.balance(invoice.id) == 0
    assert invoice.status == "paid"
    assert [e.amount_minor for e in payment_entries(invoice)] == [-15450]
    intent = stripe_js.get(
        stripe_app.config["STRIPE_API_BASE"],
        f"/v1/payment_intents/{payment.stripe_payment_intent_id}",
    )
    assert (intent["amount"], intent["currency"], intent["status"]) == (15450, "eur", "succeeded")


def test_card_declined_at_charge_time_changes_nothing(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(9900,))
    seti, _ = saved_card(stripe_app, invoice, "4000000000000341")
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert (refused.value.reason, refused.value.detail) == ("declined", "card_declined")
    payment = db.session.scalars(db.select(Payment)).one()
    assert (payment.status, payment.failure_code) == ("failed", "card_declined")
    assert ledger.balance(invoice.id) == 9900
    assert invoice.status == "open"
    assert payment_entries(invoice) == []


def test_three_d_secure_completed(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, setup = saved_card(stripe_app, invoice, "4000002760003184")
    assert setup["status"] == "succeeded"
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert outcome.status == "requires_action"
    assert outcome.client_secret.startswith(outcome.payment.stripe_payment_intent_id)
    assert ledger.balance(invoice.id) == 5000
    stripe_js.confirm_card_payment(stripe_app.config["STRIPE_API_BASE"], outcome.client_secret)
    payments.refresh(outcome.payment, PATIENT)
    assert outcome.payment.status == "succeeded"
    assert ledger.balance(invoice.id) == 0


def test_three_d_secure_failed_then_paid_with_another_card(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, _ = saved_card(stripe_app, invoice, "4000002760003184")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    stripe_js.confirm_card_payment(
        stripe_app.config["STRIPE_API_BASE"], outcome.client_secret, success=False
    )
    payments.refresh(outcome.payment, PATIENT)
    assert outcome.payment.status == "failed"
    assert outcome.payment.failure_code == "payment_intent_authentication_failure"
    assert ledger.balance(invoice.id) == 5000
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    assert saved_methods.pay_in_full(invoice, seti, PATIENT).status == "succeeded"
    assert ledger.balance(invoice.id) == 0


def test_abandoned_three_d_secure_does_not_block_a_new_attempt(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, _ = saved_card(stripe_app, invoice, "4000002760003184")
    first = saved_methods.pay_in_full(invoice, seti, PATIENT).payment
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    second = saved_methods.pay_in_full(invoice, seti, PATIENT).payment
    db.session.refresh(first)
    assert (first.status, second.status) == ("canceled", "succeeded")
    assert [e.amount_minor for e in payment_entries(invoice)] == [-5000]


def test_sepa_debit_succeeds(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(27500,))
    seti = saved_iban(stripe_app, invoice, "DE89370400440532013000")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    # Stripe answers "processing" for days; localstripe settles a good IBAN at once.
    assert outcome.status in ("processing", "succeeded")
    assert outcome.payment.method == "sepa_debit"
    assert wait_for(lambda: payments.refresh(outcome.payment, PATIENT).status == "succeeded")
    assert outcome.payment.method_label == "IBAN DE •••• 3000"
    assert ledger.balance(invoice.id) == 0


def test_sepa_debit_processing_then_failing_leaves_the_balance(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(27500,))
    seti = saved_iban(stripe_app, invoice, "DE62370400440532013001")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert outcome.status == "processing"
    assert ledger.balance(invoice.id) == 27500
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(
            invoice, saved_iban(stripe_app, invoice, "DE89370400440532013000"), PATIENT
        )
    assert refused.value.reason == "in_progress"
    assert wait_for(lambda: payments.refresh(outcome.payment, PATIENT).status == "failed")
    assert ledger.balance(invoice.id) == 27500
    assert invoice.status == "open"
    assert payment_entries(invoice) == []


def test_sepa_is_only_for_euro_invoices(stripe_app):
    practice = factories.practice(slug="maple", name="Maple Family Dental", **factories.USA)
    invoice = factories.invoice(factories.patient(practice, locale="en"))
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.prepare_setup(invoice, "sepa_debit")
    assert refused.value.reason == "method"


def test_setup_from_another_invoice_is_refused(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    other = factories.invoice(invoice.patient, amounts=(100,), number="2026-0002")
    seti, _ = saved_card(stripe_app, other, "4242424242424242")
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert refused.value.reason == "setup"
    assert db.session.scalars(db.select(Payment)).all() == []


def test_nothing_due_after_paying(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    saved_methods.pay_in_full(invoice, seti, PATIENT)
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert refused.value.reason == "nothing_due"
    with pytest.raises(PaymentRefused):
        saved_methods.prepare_setup(invoice, "card")
    assert len(payment_entries(invoice)) == 1


def test_stripe_outage_at_charge_time_is_checked_before_paying_again(stripe_app, monkeypatch):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    unreachable = StripeGateway(
        "sk_test_x", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    monkeypatch.setattr(gateways.stripe(), "charge", unreachable.charge)
    # no answer: whether Stripe charged is unknown, so the payment is "checking", not failed
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert (outcome.status, outcome.payment.failure_code) == ("creating", None)
    monkeypatch.undo()
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert refused.value.reason == "in_progress"
    # once the call is old enough, Stripe is asked: no PaymentIntent has its claim key, so
    # the same create is sent again with its key; it charges once and nothing is left to pay
    stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.pay_in_full(invoice, seti, PATIENT)
    assert refused.value.reason == "nothing_due"
    [first] = db.session.scalars(db.select(Payment).order_by(Payment.id))
    assert (first.status, first.failure_code) == ("succeeded", None)
    assert ledger.balance(invoice.id) == 0


def test_stripe_unreachable_before_charging(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    stripe_app.extensions["saldo.stripe"] = StripeGateway(
        "sk_test_x", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    with pytest.raises(PaymentRefused) as refused:
        saved_methods.prepare_setup(invoice, "card")
    assert refused.value.reason == "unavailable"
    with pytest.raises(PaymentRefused):
        saved_methods.pay_in_full(invoice, "seti_unknown", PATIENT)
    assert db.session.scalars(db.select(Payment)).all() == []
    assert ledger.balance(invoice.id) == 5000
