"""Each practice's money in its own Stripe account: two practices, two localstripe servers."""

import urllib.error
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from portal import gateways
from portal.extensions import db
from portal.gateways import encryption
from portal.gateways.encryption import SecretsUnavailable
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import Payment
from portal.services.billing import money
from portal.services.core import jobs
from portal.services.core.audit import SYSTEM
from portal.services.payments import charging, saved_methods, stripe_accounts
from tests import factories
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.support import servers, stripe_js
from tests.support.accounts import (
    PATIENT,
    SECRET_A,
    SECRET_B,
    WEBHOOK_A,
    intent_ids,
    pay_by_card,
)

pytestmark = pytest.mark.stripe


def test_each_payment_lands_only_in_its_practices_account(two_practices, stripe_app):
    a, b = two_practices
    invoice_a, outcome_a = pay_by_card(a)
    invoice_b, outcome_b = pay_by_card(b, amounts=(9900,), invoice_number="B-17")
    assert (outcome_a.status, outcome_b.status) == ("succeeded", "succeeded")
    intent_a = outcome_a.payment.stripe_payment_intent_id
    intent_b = outcome_b.payment.stripe_payment_intent_id
    assert intent_ids(a.stripe_api_base) == [intent_a]
    assert intent_ids(b.stripe_api_base) == [intent_b]
    installation = stripe_app.config["STRIPE_API_BASE"]
    for intent in (intent_a, intent_b):
        with pytest.raises(urllib.error.HTTPError) as missing:
            stripe_js.get(installation, f"/v1/payment_intents/{intent}")
        missing.value.close()
        assert missing.value.code == 404
    stored = stripe_js.get(b.stripe_api_base, f"/v1/payment_intents/{intent_b}")
    assert (stored["amount"], stored["currency"]) == (9900, "usd")
    assert stored["metadata"] == {
        "saldo_charge": charging.claim_of(outcome_b.payment).key,
        "saldo_payment_id": str(outcome_b.payment.id),
        "saldo_practice_id": str(b.id),
        "saldo_invoice_id": str(invoice_b.id),
        "saldo_invoice_number": "B-17",
    }
    customer = stripe_js.get(
        a.stripe_api_base, f"/v1/customers/{invoice_a.patient.stripe_customer_id}"
    )
    assert customer["metadata"]["saldo_practice_id"] == str(a.id)


def test_a_refund_goes_to_the_account_that_took_the_payment(two_practices):
    a, b = two_practices
    _, outcome_a = pay_by_card(a)
    pay_by_card(b, amounts=(5000,))
    refund = money.refund(outcome_a.payment, 3450, "crown not needed", SYSTEM)
    assert refund.status == "succeeded"
    refunds_a = stripe_js.get(a.stripe_api_base, "/v1/refunds?limit=100")["data"]
    refunds_b = stripe_js.get(b.stripe_api_base, "/v1/refunds?limit=100")["data"]
    assert [(r["id"], r["amount"], r["payment_intent"]) for r in refunds_a] == [
        (refund.stripe_refund_id, 3450, outcome_a.payment.stripe_payment_intent_id)
    ]
    assert refunds_b == []


def test_a_customer_from_the_previous_account_is_made_again_in_the_new_one(
    stripe_app, account_servers
):
    """A practice that moves to its own account: its patients' customers are recreated."""
    practice = factories.practice()
    invoice = factories.invoice(factories.patient(practice), (4000,))
    saved_methods.prepare_setup(invoice, "card")
    old_customer = invoice.patient.stripe_customer_id
    stripe_accounts.set_credentials(
        practice,
        SYSTEM,
        publishable_key="pk_test_moving_0000000000",
        secret_key=SECRET_A,
        api_base=account_servers[0],
    )
    db.session.commit()
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    assert invoice.patient.stripe_customer_id not in (None, old_customer)
    stripe_js.confirm_card_setup(account_servers[0], secret, "4242424242424242")
    assert saved_methods.pay_in_full(invoice, seti, PATIENT).status == "succeeded"


def test_practice_without_an_account_uses_the_installation_key(stripe_app):
    invoice, outcome = pay_by_card_on_installation(stripe_app)
    assert gateways.stripe(invoice.practice) is gateways.stripe()
    intent = stripe_js.get(
        stripe_app.config["STRIPE_API_BASE"],
        f"/v1/payment_intents/{outcome.payment.stripe_payment_intent_id}",
    )
    assert intent["metadata"]["saldo_practice_id"] == str(invoice.practice_id)


def pay_by_card_on_installation(app):
    invoice, _ = factories.invoice_with_link(amounts=(2500,))
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(app.config["STRIPE_API_BASE"], secret, "4242424242424242")
    return invoice, saved_methods.pay_in_full(invoice, seti, PATIENT)


def test_secrets_are_stored_encrypted(two_practices, stripe_app):
    a, _ = two_practices
    row = db.session.execute(
        text(
            "SELECT stripe_secret_key_encrypted, stripe_webhook_secret_encrypted,"
            " stripe_publishable_key FROM practice WHERE id = :id"
        ),
        {"id": a.id},
    ).one()
    assert SECRET_A not in row[0] and "practiceA" not in row[0]
    assert WEBHOOK_A not in row[1]
    assert row[0].startswith("v2:")  # gateways.encryption's current scheme
    assert encryption.read_column(a, "stripe_secret_key_encrypted") == SECRET_A
    assert encryption.read_column(a, "stripe_webhook_secret_encrypted") == WEBHOOK_A
    assert row[2] == "pk_test_studio-a_0000000000"
    summary = stripe_accounts.summary(a)
    assert (summary.secret_key_ending, summary.webhook_secret_ending) == ("1234", "9876")
    stripe_app.config["SALDO_ENCRYPTION_KEY"] = encryption.new_key()
    with pytest.raises(SecretsUnavailable):
        encryption.read_column(a, "stripe_secret_key_encrypted")


def test_a_second_key_decrypts_and_reencrypt_moves_to_the_first(two_practices, stripe_app):
    a, _ = two_practices
    old_key = stripe_app.config["SALDO_ENCRYPTION_KEY"]
    new_key = encryption.new_key()
    stripe_app.config["SALDO_ENCRYPTION_KEY"] = f"{new_key},{old_key}"
    result = stripe_app.test_cli_runner().invoke(args=["practice", "reencrypt"])
    assert result.output == "4 secrets re-encrypted\n"
    stripe_app.config["SALDO_ENCRYPTION_KEY"] = new_key
    db.session.expire_all()
    assert encryption.read_column(a, "stripe_secret_key_encrypted") == SECRET_A


def test_credentials_that_stripe_would_refuse_change_nothing(stripe_app):
    practice = factories.practice()
    cases = [
        (dict(publishable_key="pk_test_0000000000000", secret_key=""), "secret_key"),
        (dict(publishable_key="pub_0000000000", secret_key=SECRET_A), "publishable_key"),
        (dict(publishable_key="pk_live_0000000000000", secret_key=SECRET_A), "secret_key"),
        (dict(publishable_key="pk_test_0000000000000", secret_key="sk_x"), "secret_key"),
        (
            dict(
                publishable_key="pk_test_0000000000000", secret_key=SECRET_A, webhook_secret="abc"
            ),
            "webhook_secret",
        ),
        (
            dict(publishable_key="pk_test_0000000000000", secret_key=SECRET_A, api_base="ftp://x"),
            "api_base",
        ),
    ]
    for values, field in cases:
        with pytest.raises(stripe_accounts.AccountRefused) as refused:
            stripe_accounts.set_credentials(practice, SYSTEM, **values)
        assert refused.value.field == field, values
    stripe_app.config["STRIPE_PRACTICE_API_BASE"] = False  # production: api.stripe.com only
    with pytest.raises(stripe_accounts.AccountRefused) as refused:
        stripe_accounts.set_credentials(
            practice,
            SYSTEM,
            publishable_key="pk_test_0000000000000",
            secret_key=SECRET_A,
            api_base=stripe_app.config["STRIPE_API_BASE"],
        )
    assert (refused.value.field, str(refused.value)) == (
        "api_base",
        "This installation talks to Stripe itself only.",
    )
    assert practice.stripe_secret_key_encrypted is None
    assert practice.stripe_publishable_key is None


def test_only_the_webhook_secret_can_be_replaced(two_practices):
    a, _ = two_practices
    before = a.stripe_secret_key_encrypted
    stripe_accounts.set_credentials(a, SYSTEM, webhook_secret="whsec_rolled_secret_0001")
    assert a.stripe_secret_key_encrypted == before
    assert stripe_accounts.summary(a).webhook_secret_ending == "0001"
    assert gateways.stripe(a)._webhook_secret == "whsec_rolled_secret_0001"


def test_intents_name_the_practice_and_invoice_only_when_talking_to_stripe(stripe_app):
    """localstripe refuses `description` and `statement_descriptor_suffix`; Stripe gets them."""
    practice = factories.practice(name="Studio Dentistico Àlfa")
    invoice = factories.invoice(factories.patient(practice), (1000,), number="2026-0042")
    labels = stripe_accounts.charge_labels(invoice)
    assert labels.description == "Studio Dentistico Àlfa, fattura n. 2026-0042"
    assert labels.descriptor_suffix == "Studio Den"
    sent = []

    def record(method, params, options=None):
        sent.append(params)
        return {"id": "pi_x", "status": "succeeded", "amount": 1000, "currency": "eur"}

    charge = dict(
        customer_id="cus_x",
        payment_method_id="pm_x",
        amount_minor=1000,
        currency="EUR",
        metadata=labels.metadata,
        idempotency_key="k",
        off_session=False,
        description=labels.description,
        statement_descriptor_suffix=labels.descriptor_suffix,
    )
    real = StripeGateway("sk_test_x", api_base=None)
    local = StripeGateway("sk_test_x", api_base="http://127.0.0.1:8420")
    for gateway in (real, local):
        gateway._call = record
        gateway.charge(method="card", **charge)
    real.charge(method="sepa_debit", **charge)
    assert real.is_stripe and not local.is_stripe
    assert (sent[0]["description"], sent[0]["statement_descriptor_suffix"]) == (
        "Studio Dentistico Àlfa, fattura n. 2026-0042",
        "Studio Den",
    )
    assert "description" not in sent[1] and "statement_descriptor_suffix" not in sent[1]
    assert sent[2]["description"] == "Studio Dentistico Àlfa, fattura n. 2026-0042"
    assert "statement_descriptor_suffix" not in sent[2]  # cards only


def test_installments_are_charged_in_the_practices_account(
    stripe_app, account_servers, monkeypatch
):
    base = account_servers[1]
    servers.flush_localstripe(base)
    make_practice = factories.practice

    def practice_with_account(*args, **kwargs):
        practice = make_practice(*args, **kwargs)
        stripe_accounts.set_credentials(
            practice,
            SYSTEM,
            publishable_key="pk_test_plan000000000",
            secret_key=SECRET_B,
            api_base=base,
        )
        return practice

    monkeypatch.setattr(factories, "practice", practice_with_account)
    own_account = SimpleNamespace(config={"STRIPE_API_BASE": base})
    invoice, plan, saved = signed_plan(own_account, count=3, amounts=(30000,))
    assert pay_down_payment(invoice, plan, saved).status == "succeeded"
    report = jobs.run_due(plan.installments[1].due_on)
    assert (report.charged, report.paid) == (1, 1)
    charged = db.session.scalars(
        db.select(Payment.stripe_payment_intent_id).filter_by(invoice_id=invoice.id)
    ).all()
    assert len(charged) == 2
    assert intent_ids(base) == sorted(charged)
