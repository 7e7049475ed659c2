"""Webhooks of practices with their own Stripe accounts: each endpoint, its own secret."""

import time

import pytest
from sqlalchemy import text

from portal import gateways
from portal.extensions import db
from portal.gateways import encryption
from portal.models import Payment
from portal.services.billing import ledger
from portal.services.core.audit import SYSTEM
from portal.services.payments import payments, saved_methods, stripe_accounts
from tests import factories
from tests.services.payments.test_webhooks import stripe_event_for
from tests.support import servers, stripe_js
from tests.support.accounts import (
    SECRET_A,
    WEBHOOK_A,
    WEBHOOK_B,
    intent_ids,
    pay_by_card,
    post_event,
)

pytestmark = pytest.mark.stripe


def test_a_webhook_counts_only_at_its_own_practices_endpoint(two_practices, stripe_app):
    a, _ = two_practices
    invoice, outcome = pay_by_card(a, number="4000002760003184")
    assert outcome.status == "requires_action"
    stripe_js.confirm_card_payment(a.stripe_api_base, outcome.client_secret)
    event = stripe_event_for(a.stripe_api_base, outcome.payment.stripe_payment_intent_id)
    installation = stripe_app.config["STRIPE_WEBHOOK_SECRET"]

    refused = post_event(stripe_app, "/webhooks/stripe/clinic-b", event, WEBHOOK_A)
    assert (refused.status_code, refused.get_json()) == (400, {"error": "invalid signature"})
    assert post_event(stripe_app, "/webhooks/stripe/studio-a", event, WEBHOOK_B).status_code == 400
    assert post_event(stripe_app, "/webhooks/stripe", event, WEBHOOK_A).status_code == 400
    db.session.expire_all()
    assert outcome.payment.status == "requires_action"

    # correctly signed by another account, yet about A's payment: not applied
    for path, secret in (
        ("/webhooks/stripe/clinic-b", WEBHOOK_B),
        ("/webhooks/stripe", installation),
    ):
        other = dict(event, id=f"{event['id']}_{secret[-4:]}")
        response = post_event(stripe_app, path, other, secret)
        assert (response.status_code, response.get_json()) == (200, {"result": "ignored"})
    db.session.expire_all()
    assert outcome.payment.status == "requires_action"

    accepted = post_event(stripe_app, "/webhooks/stripe/studio-a", event, WEBHOOK_A)
    assert (accepted.status_code, accepted.get_json()) == (200, {"result": "handled"})
    again = post_event(stripe_app, "/webhooks/stripe/studio-a", event, WEBHOOK_A)
    assert again.get_json() == {"result": "duplicate"}
    db.session.expire_all()
    assert outcome.payment.status == "succeeded"
    assert ledger.balance(invoice.id) == 0


def test_endpoints_of_unknown_practices_and_of_practices_without_an_account_are_404(
    two_practices, stripe_app
):
    factories.practice(slug="no-account")
    db.session.commit()
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}
    for slug in ("no-account", "nobody"):
        response = post_event(stripe_app, f"/webhooks/stripe/{slug}", event, WEBHOOK_A)
        assert response.status_code == 404


def test_localstripe_delivers_a_practices_events_to_its_own_endpoint(
    live_stripe_app, account_servers
):
    base = account_servers[0]
    servers.flush_localstripe(base)
    practice = factories.practice(slug="studio-live")
    stripe_accounts.set_credentials(
        practice,
        SYSTEM,
        publishable_key="pk_test_live000000000",
        secret_key=SECRET_A,
        webhook_secret=WEBHOOK_A,
        api_base=base,
    )
    db.session.commit()
    gateways.stripe(practice).register_local_webhook(
        f"{live_stripe_app.live_url}/webhooks/stripe/studio-live"
    )
    _, outcome = pay_by_card(practice, number="4000002760003184")
    stripe_js.confirm_card_payment(base, outcome.client_secret)
    payment_id = outcome.payment.id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and outcome.payment.status != "succeeded":
        time.sleep(0.1)
        db.session.expire_all()
    assert outcome.payment.status == "succeeded"
    actors = db.session.execute(
        text("SELECT actor_kind FROM audit_event WHERE action = 'payment.succeeded'")
    ).scalars()
    assert list(actors) == ["stripe"]
    assert db.session.get(Payment, payment_id).stripe_payment_intent_id in intent_ids(base)


def test_secrets_under_another_encryption_key_make_the_account_unavailable(
    two_practices, stripe_app
):
    a, _ = two_practices
    invoice = factories.invoice(factories.patient(a), (1000,))
    stripe_app.config["SALDO_ENCRYPTION_KEY"] = encryption.new_key()
    stripe_app.extensions["saldo.stripe_accounts"].clear()  # as in a freshly started worker
    with pytest.raises(payments.PaymentRefused) as refused:
        saved_methods.prepare_setup(invoice, "card")
    assert refused.value.reason == "unavailable"
    event = {"id": "evt_unreadable", "type": "payment_intent.succeeded"}
    response = post_event(stripe_app, "/webhooks/stripe/studio-a", event, WEBHOOK_A)
    assert (response.status_code, response.get_json()) == (503, {"error": "secret unreadable"})
    assert stripe_accounts.summary(a).secret_key_ending == "????"
