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
from portal.models import Alert, AuditEvent, LateCharge, LedgerEntry
from portal.services.billing import ledger
from portal.services.payments import charging, late_charges
from tests.services.billing.test_money_ops import paid_by_card
from tests.support import stripe_js
from tests.support.servers import free_port
from tests.support.stripe_proxy import StripeProxy

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


@pytest.fixture
def proxied(stripe_app):
    """The app's Stripe calls going through a proxy that can fail the refund create."""
    with StripeProxy(stripe_app.config["STRIPE_API_BASE"]) as proxy:
        stripe_app.extensions["saldo.stripe"] = StripeGateway(
            "sk_test_saldo_demo", api_base=proxy.url, max_network_retries=0
        )
        proxy.reset(path="/v1/refunds")
        yield proxy


def late_charge_alerts(invoice) -> list[Alert]:
    return db.session.scalars(db.select(Alert).filter_by(invoice_id=invoice.id)).all()


def audited(action) -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).filter_by(action=action)).all()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (503, {"type": "api_error", "message": "Stripe is down"}),
        (500, {"type": "api_error", "message": "Something went wrong on Stripe's end."}),
        (429, {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many"}),
    ],
)
def test_an_outage_leaves_the_refund_pending_for_the_next_sweep(stripe_app, proxied, status, error):
    invoice, payment, claim = watched_claim(stripe_app, 6000)
    late = charging.create_intent(payment, claim)
    proxied.reset("status", path="/v1/refunds", status=status, error=error)
    assert late_charges.sweep() == 0
    [row] = db.session.scalars(db.select(LateCharge)).all()
    assert (row.status, row.failure_reason, row.attempted_at) == ("refund_pending", None, None)
    assert late_charge_alerts(invoice) == []
    proxied.reset(path="/v1/refunds")
    assert late_charges.sweep() == 1
    db.session.refresh(row)
    [refund] = at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"]
    assert (row.status, row.stripe_refund_id, refund["amount"]) == ("refunded", refund["id"], 6000)


DECLINED = {
    "type": "invalid_request_error",
    "code": "charge_disputed",
    "message": "Charge ch_1 has been charged back; cannot issue a refund.",
}


def test_a_refused_refund_fails_once_with_its_reason_and_raises_one_alert(stripe_app, proxied):
    invoice, payment, claim = watched_claim(stripe_app, 6000)
    late = charging.create_intent(payment, claim)
    proxied.reset("status", path="/v1/refunds", status=400, error=DECLINED)
    assert late_charges.sweep() == 0
    assert late_charges.sweep() == 0
    # refused for good: Stripe was asked once, and nothing was refunded
    assert proxied.creates == 1
    assert at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"] == []
    [row] = db.session.scalars(db.select(LateCharge)).all()
    reason = "charge_disputed: Charge ch_1 has been charged back; cannot issue a refund."
    assert (row.status, row.stripe_refund_id, row.failure_reason) == ("failed", None, reason)
    [alert] = late_charge_alerts(invoice)
    assert (alert.kind, alert.resolved_at) == ("late_charge_failed", None)
    assert alert.data == {
        "late_charge_id": row.id,
        "payment_id": payment.id,
        "payment_intent": late.id,
        "amount_minor": 6000,
        "reason": reason,
        "subject": f"late_charge_failed:{payment.id}",
    }
    [event] = audited("payment.late_charge_refund_failed")
    assert (event.invoice_id, event.data["reason"], event.data["amount_minor"]) == (
        invoice.id,
        reason,
        6000,
    )
    assert audited("payment.late_charge_returned") == []
    assert books(invoice) == [("charge", 6000), ("payment", -6000)]


ALREADY_REFUNDED = {
    "type": "invalid_request_error",
    "code": "charge_already_refunded",
    "message": "Charge ch_1 has already been refunded.",
}


def test_a_charge_refunded_at_stripe_already_is_recorded_refunded_with_that_refund(
    stripe_app, proxied
):
    invoice, payment, claim = watched_claim(stripe_app, 6000)
    late = charging.create_intent(payment, claim)
    # staff refunded it in the Dashboard before the sweep came; Stripe refuses a second one
    dashboard = stripe_js.post_form(
        stripe_app.config["STRIPE_API_BASE"],
        "/v1/refunds",
        {"payment_intent": late.id, "amount": 6000},
    )
    proxied.reset("status", path="/v1/refunds", status=400, error=ALREADY_REFUNDED)
    assert late_charges.sweep() == 1
    assert late_charges.sweep() == 0
    assert proxied.creates == 1
    [row] = db.session.scalars(db.select(LateCharge)).all()
    assert (row.status, row.stripe_refund_id, row.failure_reason) == (
        "refunded",
        dashboard["id"],
        None,
    )
    refunds = at_stripe(stripe_app, f"/v1/refunds?payment_intent={late.id}")["data"]
    assert [(r["id"], r["amount"]) for r in refunds] == [(dashboard["id"], 6000)]
    assert late_charge_alerts(invoice) == []
    [event] = audited("payment.late_charge_returned")
    assert (event.data["outcome"], event.data["payment_intent"]) == ("refunded", late.id)
    assert audited("payment.late_charge_refund_failed") == []


def test_a_refusal_of_part_of_a_charge_refunded_elsewhere_fails(stripe_app, proxied):
    invoice, payment, claim = watched_claim(stripe_app, 6000)
    late = charging.create_intent(payment, claim)
    stripe_js.post_form(
        stripe_app.config["STRIPE_API_BASE"],
        "/v1/refunds",
        {"payment_intent": late.id, "amount": 2500},
    )
    error = {**ALREADY_REFUNDED, "code": "amount_too_large", "message": "Amount too large."}
    proxied.reset("status", path="/v1/refunds", status=400, error=error)
    assert late_charges.sweep() == 0
    [row] = db.session.scalars(db.select(LateCharge)).all()
    # €25.00 of the €60.00 is back: staff must give back the rest
    assert (row.status, row.failure_reason) == ("failed", "amount_too_large: Amount too large.")
    [alert] = late_charge_alerts(invoice)
    assert (alert.kind, alert.data["amount_minor"]) == ("late_charge_failed", 6000)
