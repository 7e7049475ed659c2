"""A second PaymentIntent under a claim the reconciliation settled (a create that reached
Stripe late: localstripe, like a Stripe that forgot the key, makes a second one) is given back
once: refunded in full when money was taken, canceled when not, finished after an outage, and
never looked for once the claim's watch is over. The books keep the one payment."""

from datetime import timedelta

import pytest

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import StripeGateway
from portal.models import AuditEvent, LateCharge, LedgerEntry
from portal.services.billing import ledger
from portal.services.payments import charging, late_charges
from tests.services.billing.test_money_ops import paid_by_card
from tests.support import stripe_js
from tests.support.servers import free_port

#: nothing here differs by database (the claim's unique row is a plain unique index)
pytestmark = [
    pytest.mark.stripe,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def watched_claim(app, amount_minor=5000):
    invoice, payment = paid_by_card(app, amounts=(amount_minor,))
    claim = charging.claim_of(payment)
    late_charges.watch(claim)
    db.session.commit()
    return invoice, payment, claim


def at_stripe(app, path):
    return stripe_js.get(app.config["STRIPE_API_BASE"], path)


def unconfirmed_intent(app, claim, amount_minor=5000):
    """A PaymentIntent under `claim` that never took money."""
    fields = {
        "amount": amount_minor,
        "currency": "eur",
        "payment_method_types[]": "card",
        "metadata[saldo_charge]": claim.key,
    }
    return stripe_js.post_form(app.config["STRIPE_API_BASE"], "/v1/payment_intents", fields)


def books(invoice) -> list[tuple[str, int]]:
    query = db.select(LedgerEntry.kind, LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id)
    return [tuple(row) for row in db.session.execute(query.order_by(LedgerEntry.id))]


def test_a_second_charge_is_refunded_in_full_once_and_the_books_keep_one(stripe_app):
    before = utcnow()
    invoice, payment, claim = watched_claim(stripe_app)
    assert before + late_charges.WATCH <= claim.watch_until <= utcnow() + late_charges.WATCH
    late = charging.create_intent(payment, claim)  # the create that arrives late
    assert (late.status, late.amount) == ("succeeded", 5000)
    assert late.id != payment.stripe_payment_intent_id
    assert late_charges.sweep() == 1
    assert late_charges.sweep() == 0
    [row] = db.session.scalars(db.select(LateCharge)).all()
    assert (row.charge_attempt_id, row.stripe_payment_intent_id, row.amount_minor, row.status) == (
        claim.id,
        late.id,
        5000,
        "refunded",
    )
    [refund] = at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"]
    assert (refund["id"], refund["amount"], refund["metadata"]) == (
        row.stripe_refund_id,
        5000,
        {"saldo_late_charge": str(row.id), "saldo_charge": claim.key},
    )
    # the payment Saldo booked is untouched, at Stripe and in the books
    first = at_stripe(stripe_app, f"/v1/refunds?payment_intent={payment.stripe_payment_intent_id}")
    assert first["data"] == []
    assert books(invoice) == [("charge", 5000), ("payment", -5000)]
    assert (invoice.status, ledger.balance(invoice.id)) == ("paid", 0)
    [event] = db.session.scalars(
        db.select(AuditEvent).filter_by(action="payment.late_charge_returned")
    ).all()
    assert (event.invoice_id, event.data["amount_minor"], event.data["outcome"]) == (
        invoice.id,
        5000,
        "refunded",
    )


def test_a_late_intent_that_took_nothing_is_canceled(stripe_app):
    _invoice, _payment, claim = watched_claim(stripe_app)
    open_one = unconfirmed_intent(stripe_app, claim)
    canceled = unconfirmed_intent(stripe_app, claim, 4000)
    stripe_js.post_form(
        stripe_app.config["STRIPE_API_BASE"], f"/v1/payment_intents/{canceled['id']}/cancel", {}
    )
    assert late_charges.sweep() == 2
    rows = db.session.scalars(db.select(LateCharge).order_by(LateCharge.amount_minor)).all()
    assert [
        (r.stripe_payment_intent_id, r.amount_minor, r.status, r.stripe_refund_id) for r in rows
    ] == [
        (canceled["id"], 4000, "canceled", None),
        (open_one["id"], 5000, "canceled", None),
    ]
    assert at_stripe(stripe_app, f"/v1/payment_intents/{open_one['id']}")["status"] == "canceled"


def test_after_the_watch_nothing_is_looked_for(stripe_app):
    _invoice, payment, claim = watched_claim(stripe_app)
    charging.create_intent(payment, claim)
    claim.watch_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert late_charges.sweep() == 0
    assert db.session.scalars(db.select(LateCharge)).all() == []


def test_a_refund_stripe_could_not_take_is_finished_by_the_next_sweep(stripe_app, monkeypatch):
    _invoice, payment, claim = watched_claim(stripe_app, 7000)
    late = charging.create_intent(payment, claim)
    unreachable = StripeGateway(
        "sk_test_x", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0
    )
    monkeypatch.setattr(gateways.stripe(), "create_refund", unreachable.create_refund)
    row = late_charges.give_back(claim, late)
    # claimed before Stripe was asked: kept, and left for the next sweep
    assert (row.status, row.stripe_refund_id) == ("refund_pending", None)
    assert late_charges.give_back(claim, late) is None  # another process has it already
    assert late_charges.sweep() == 0
    assert at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"] == []
    monkeypatch.undo()
    assert late_charges.sweep() == 1
    [row] = db.session.scalars(db.select(LateCharge)).all()
    assert row.status == "refunded"
    [refund] = at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"]
    assert (refund["id"], refund["amount"]) == (row.stripe_refund_id, 7000)
    assert late_charges.sweep() == 0
