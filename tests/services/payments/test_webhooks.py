"""Exactly-once booking: webhooks, read-backs, replays and simultaneous clicks."""

import threading
import time

import pytest

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Payment, StripeEvent
from portal.services.billing import ledger
from portal.services.payments import payments, saved_methods
from portal.services.payments.payments import PaymentRefused
from tests import factories
from tests.services.payments.test_payments import PATIENT, saved_card
from tests.support import stripe_js
from tests.support.webhooks import signed

pytestmark = pytest.mark.stripe


def payment_entries(invoice_id):
    query = db.select(LedgerEntry).filter_by(invoice_id=invoice_id, kind="payment")
    return db.session.scalars(query).all()


def stripe_event_for(base, intent_id, event_type="payment_intent.succeeded"):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = ""
        while True:
            page = stripe_js.get(base, f"/v1/events?type={event_type}&limit=100{after}")
            for event in page["data"]:
                if event["data"]["object"]["id"] == intent_id:
                    return event
            if not page.get("has_more") or not page["data"]:
                break
            after = f"&starting_after={page['data'][-1]['id']}"
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} event for {intent_id}")


def post_event(app, event, secret=None):
    payload, signature = signed(event, secret or app.config["STRIPE_WEBHOOK_SECRET"])
    return app.test_client().post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def authenticated_intent(app):
    """A 3-D Secure payment the patient has authenticated at Stripe but Saldo has not read."""
    invoice, _ = factories.invoice_with_link(amounts=(8000,))
    seti, _ = saved_card(app, invoice, "4000002760003184")
    outcome = saved_methods.pay_in_full(invoice, seti, PATIENT)
    base = app.config["STRIPE_API_BASE"]
    stripe_js.confirm_card_payment(base, outcome.client_secret)
    return (
        invoice,
        outcome.payment,
        stripe_event_for(base, outcome.payment.stripe_payment_intent_id),
    )


def test_webhook_first_then_twenty_simultaneous_replays_book_once(stripe_app):
    invoice, payment, event = authenticated_intent(stripe_app)
    results = []

    def deliver():
        with stripe_app.app_context():
            response = post_event(stripe_app, event)
            results.append((response.status_code, response.get_json()["result"]))
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [(200, "duplicate")] * 19 + [(200, "handled")]
    db.session.expire_all()
    assert payments.refresh(db.session.get(Payment, payment.id), PATIENT).status == "succeeded"
    assert [e.amount_minor for e in payment_entries(invoice.id)] == [-8000]
    assert ledger.balance(invoice.id) == 0
    assert db.session.get(Invoice, invoice.id).status == "paid"
    assert db.session.scalar(db.select(db.func.count()).select_from(StripeEvent)) == 1


def test_read_back_first_then_the_webhook_replayed_twenty_times(stripe_app):
    invoice, payment, event = authenticated_intent(stripe_app)
    payments.refresh(payment, PATIENT)
    assert payment.status == "succeeded"
    answers = {post_event(stripe_app, event).get_json()["result"] for _ in range(20)}
    assert answers == {"handled", "duplicate"}
    assert [e.amount_minor for e in payment_entries(invoice.id)] == [-8000]


def test_live_webhook_from_localstripe_books_the_payment(live_stripe_app):
    invoice, payment, _ = authenticated_intent(live_stripe_app)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Payment, payment.id).status == "succeeded":
            break
        time.sleep(0.1)
    booked = db.session.get(Payment, payment.id)
    assert booked.status == "succeeded"
    actions = (
        db.session.execute(
            db.text("SELECT actor_kind FROM audit_event WHERE action = 'payment.succeeded'")
        )
        .scalars()
        .all()
    )
    assert actions == ["stripe"]
    payments.refresh(booked, PATIENT)
    assert [e.amount_minor for e in payment_entries(invoice.id)] == [-8000]


def test_two_confirmations_at_the_same_time_charge_once(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(12000,))
    setups = [saved_card(stripe_app, invoice, "4242424242424242")[0] for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def click(setup_intent_id):
        with stripe_app.app_context():
            same_invoice = db.session.get(Invoice, invoice.id)
            barrier.wait()
            try:
                outcomes.append(
                    saved_methods.pay_in_full(same_invoice, setup_intent_id, PATIENT).status
                )
            except PaymentRefused as exc:
                outcomes.append(exc.reason)
            db.session.remove()

    threads = [threading.Thread(target=click, args=(seti,)) for seti in setups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["in_progress", "succeeded"], ["nothing_due", "succeeded"])
    db.session.expire_all()
    customer = db.session.get(Invoice, invoice.id).patient.stripe_customer_id
    charges = stripe_js.get(
        stripe_app.config["STRIPE_API_BASE"], f"/v1/charges?customer={customer}"
    )
    assert [c["amount"] for c in charges["data"] if c["status"] == "succeeded"] == [12000]
    assert [e.amount_minor for e in payment_entries(invoice.id)] == [-12000]


def test_bad_signature_is_refused_and_stores_nothing(stripe_app):
    event = {"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}}
    response = post_event(stripe_app, event, secret="whsec_wrong")
    assert response.status_code == 400
    unsigned = stripe_app.test_client().post("/webhooks/stripe", json=event)
    assert unsigned.status_code == 400
    assert db.session.scalars(db.select(StripeEvent)).all() == []


def test_unrelated_events_are_acknowledged_and_ignored(stripe_app):
    event = {"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert post_event(stripe_app, event).get_json() == {"result": "ignored"}
    assert post_event(stripe_app, event).get_json() == {"result": "duplicate"}


def test_event_for_an_unknown_intent_is_ignored(stripe_app):
    intent = {"id": "pi_unknown", "status": "succeeded", "amount": 100, "currency": "eur"}
    event = {"id": "evt_unknown", "type": "payment_intent.succeeded", "data": {"object": intent}}
    assert post_event(stripe_app, event).get_json() == {"result": "ignored"}
    assert db.session.scalars(db.select(LedgerEntry).filter_by(kind="payment")).all() == []


def test_stripe_actor_is_recorded_for_webhook_bookings(stripe_app):
    _invoice, _payment, event = authenticated_intent(stripe_app)
    post_event(stripe_app, event)
    db.session.expire_all()
    rows = db.session.execute(
        db.text("SELECT actor_kind, actor_ref FROM audit_event WHERE action = 'payment.succeeded'")
    ).all()
    assert rows == [("stripe", event["id"])]
