"""The ledger follows Stripe: refunds made anywhere, chargebacks, replays and odd orders."""

import random
import threading

import pytest

from portal.extensions import db
from portal.models import Alert, CollectionState, Dispute, Invoice, LedgerEntry, Payment, Refund
from portal.services.billing import ledger
from portal.services.core import audit
from tests import factories
from tests.services.billing.test_money_ops import paid_by_card
from tests.services.payments.test_webhooks import post_event
from tests.support import stripe_js

pytestmark = pytest.mark.stripe


def entries(invoice_id):
    query = db.select(LedgerEntry.kind, LedgerEntry.amount_minor).filter_by(invoice_id=invoice_id)
    return sorted(db.session.execute(query.order_by(LedgerEntry.id)).all())


def charge_of(app, payment):
    base = app.config["STRIPE_API_BASE"]
    intent = stripe_js.get(base, f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
    charge = intent["latest_charge"]
    return stripe_js.get(base, f"/v1/charges/{charge if isinstance(charge, str) else charge['id']}")


def deliver_shuffled(app, events, copies=20):
    """`copies` threads at once, each delivering every event in its own random order."""
    results, barrier = [], threading.Barrier(copies)

    def deliver(seed):
        order = list(events)
        random.Random(seed).shuffle(order)  # noqa: S311 (a test order, not a secret)
        with app.app_context():
            barrier.wait()
            for event in order:
                response = post_event(app, event)
                results.append((event["id"], response.status_code, response.get_json()["result"]))
            db.session.remove()

    threads = [threading.Thread(target=deliver, args=(seed,)) for seed in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    return results


def handled_once_each(results, events):
    for event in events:
        answers = sorted(r[1:] for r in results if r[0] == event["id"])
        assert answers == [(200, "duplicate")] * 19 + [(200, "handled")], event["id"]


def test_a_dashboard_refund_reaches_the_ledger_once(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(12000, 3450))
    base = stripe_app.config["STRIPE_API_BASE"]
    stripe_js.post_form(
        base, "/v1/refunds", {"payment_intent": payment.stripe_payment_intent_id, "amount": 5000}
    )
    event = {
        "id": "evt_refunded",
        "type": "charge.refunded",
        "data": {"object": charge_of(stripe_app, payment)},
    }
    handled_once_each(deliver_shuffled(stripe_app, [event]), [event])
    [refund] = db.session.scalars(db.select(Refund)).all()
    assert (refund.status, refund.amount_minor, refund.origin) == ("succeeded", 5000, "stripe")
    assert entries(invoice.id) == sorted(
        [("adjustment", -5000), ("charge", 15450), ("payment", -15450), ("refund", 5000)]
    )
    assert ledger.balance(invoice.id) == 0
    assert db.session.get(Invoice, invoice.id).status == "paid"


def refund_event(event_id, kind, refund_id, payment, amount, status):
    obj = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": payment.currency.lower(),
        "payment_intent": payment.stripe_payment_intent_id,
        "status": status,
        "metadata": {},
    }
    return {"id": event_id, "type": kind, "data": {"object": obj}}


def test_a_pending_refund_is_booked_when_it_succeeds_whatever_the_order(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(8000,))
    created = refund_event("evt_r1", "refund.created", "re_sepa_1", payment, 3000, "pending")
    post_event(stripe_app, created)
    db.session.expire_all()
    [refund] = db.session.scalars(db.select(Refund)).all()
    assert refund.status == "pending" and ledger.balance(invoice.id) == 0
    assert db.session.get(Payment, payment.id).refundable_minor == 5000
    assert entries(invoice.id) == [("charge", 8000), ("payment", -8000)]
    updated = refund_event("evt_r2", "refund.updated", "re_sepa_1", payment, 3000, "succeeded")
    late = refund_event("evt_r0", "refund.created", "re_sepa_1", payment, 3000, "pending")
    results = deliver_shuffled(stripe_app, [updated, late])
    handled_once_each(results, [updated, late])
    refund = db.session.get(Refund, refund.id)
    assert refund.status == "succeeded"
    assert entries(invoice.id) == sorted(
        [("adjustment", -3000), ("charge", 8000), ("payment", -8000), ("refund", 3000)]
    )


def test_a_refund_that_fails_is_never_booked_and_one_failing_later_is_reversed(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(8000,))
    pending = refund_event("evt_p", "refund.created", "re_f1", payment, 2000, "pending")
    failed = refund_event("evt_f", "refund.failed", "re_f1", payment, 2000, "failed")
    handled_once_each(deliver_shuffled(stripe_app, [pending, failed]), [pending, failed])
    assert (
        db.session.scalar(db.select(Refund.status).filter_by(stripe_refund_id="re_f1")) == "failed"
    )
    assert entries(invoice.id) == [("charge", 8000), ("payment", -8000)]
    assert db.session.get(Payment, payment.id).refundable_minor == 8000

    done = refund_event("evt_s2", "refund.updated", "re_f2", payment, 1500, "succeeded")
    undone = refund_event("evt_f2", "refund.failed", "re_f2", payment, 1500, "failed")
    assert post_event(stripe_app, done).get_json() == {"result": "handled"}
    assert post_event(stripe_app, undone).get_json() == {"result": "handled"}
    db.session.expire_all()
    assert entries(invoice.id) == sorted(
        [
            ("adjust_reversal", 1500),
            ("adjustment", -1500),
            ("charge", 8000),
            ("payment", -8000),
            ("refund", 1500),
            ("refund_reversal", -1500),
        ]
    )
    assert ledger.balance(invoice.id) == 0


def dispute_event(event_id, kind, payment, status, amount=None):
    obj = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": amount or payment.amount_minor,
        "currency": payment.currency.lower(),
        "charge": "ch_whatever",
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
    }
    return {"id": event_id, "type": kind, "data": {"object": obj}}


def test_a_chargeback_reopens_the_invoice_pauses_reminders_and_alerts_once(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(12000, 3450))
    created = dispute_event("evt_d1", "charge.dispute.created", payment, "needs_response")
    withdrawn = dispute_event("evt_d2", "charge.dispute.funds_withdrawn", payment, "needs_response")
    handled_once_each(deliver_shuffled(stripe_app, [created, withdrawn]), [created, withdrawn])
    assert entries(invoice.id) == sorted(
        [("charge", 15450), ("dispute", 15450), ("payment", -15450)]
    )
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, ledger.balance(invoice.id)) == ("open", 15450)
    assert db.session.get(CollectionState, invoice.id).hold == "dispute"
    [alert] = db.session.scalars(db.select(Alert)).all()
    assert (alert.kind, alert.resolved_at) == ("stripe_dispute", None)
    actions = [e.action for e in audit.timeline(invoice.id)]
    assert actions.count("payment.disputed") == 1
    assert actions.count("invoice.reopened") == 1


@pytest.mark.parametrize(
    ("outcome", "expected", "status", "balance"),
    [
        ("won", [("dispute", 15450), ("dispute_reversal", -15450)], "paid", 0),
        ("lost", [("dispute", 15450)], "open", 15450),
    ],
)
def test_a_closed_chargeback_books_once_in_any_order(
    stripe_app, outcome, expected, status, balance
):
    invoice, payment = paid_by_card(stripe_app, amounts=(12000, 3450))
    events = [
        dispute_event("evt_c1", "charge.dispute.created", payment, "needs_response"),
        dispute_event("evt_c2", "charge.dispute.funds_withdrawn", payment, "needs_response"),
        dispute_event("evt_c3", "charge.dispute.updated", payment, "under_review"),
        dispute_event("evt_c4", "charge.dispute.closed", payment, outcome),
    ]
    if outcome == "won":
        events.append(dispute_event("evt_c5", "charge.dispute.funds_reinstated", payment, "won"))
    handled_once_each(deliver_shuffled(stripe_app, events), events)
    assert entries(invoice.id) == sorted([("charge", 15450), ("payment", -15450), *expected])
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, ledger.balance(invoice.id)) == (status, balance)
    [dispute] = db.session.scalars(db.select(Dispute)).all()
    assert dispute.status == outcome and dispute.closed_at is not None
    state = db.session.get(CollectionState, invoice.id)
    assert state is None or state.hold is None
    assert db.session.scalars(db.select(Alert).filter_by(resolved_at=None)).all() == []


def test_a_sepa_return_after_success_reopens_the_invoice(stripe_app):
    invoice, payment = paid_by_card(stripe_app, amounts=(8000,))
    returned = dispute_event("evt_sepa", "charge.dispute.closed", payment, "lost")
    assert post_event(stripe_app, returned).get_json() == {"result": "handled"}
    db.session.expire_all()
    assert entries(invoice.id) == sorted([("charge", 8000), ("dispute", 8000), ("payment", -8000)])
    assert db.session.get(Invoice, invoice.id).status == "open"


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"evt"', b"42", b"null", b'{"id": "evt_1", "type": "x"}'],
    ids=["bad-json", "array", "string", "number", "null", "no-data"],
)
def test_malformed_signed_bodies_are_refused(stripe_app, body):
    from tests.support.webhooks import sign_raw

    payload, signature = sign_raw(body, stripe_app.config["STRIPE_WEBHOOK_SECRET"])
    response = stripe_app.test_client().post(
        "/webhooks/stripe", data=payload, headers={"Stripe-Signature": signature}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "kind", ["payment_intent.succeeded", "charge.refunded", "charge.dispute.created"]
)
def test_data_object_null_is_refused_and_stores_nothing(stripe_app, kind):
    response = post_event(stripe_app, {"id": "evt_null", "type": kind, "data": {"object": None}})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Refund)) == 0


def test_unknown_objects_are_acknowledged_and_ignored(stripe_app):
    charge = {
        "id": "ch_x",
        "object": "charge",
        "payment_intent": "pi_not_ours",
        "refunds": {"data": []},
    }
    event = {"id": "evt_foreign_charge", "type": "charge.refunded", "data": {"object": charge}}
    assert post_event(stripe_app, event).get_json() == {"result": "ignored"}
    dispute = dispute_event(
        "evt_foreign_dispute",
        "charge.dispute.created",
        Payment(currency="EUR", amount_minor=5),
        "needs_response",
    )
    assert post_event(stripe_app, dispute).get_json() == {"result": "ignored"}
    assert db.session.scalars(db.select(Dispute)).all() == []


def test_an_intent_saldo_did_not_create_is_ignored_whatever_its_metadata(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(7000,))
    waiting = Payment(invoice_id=invoice.id, amount_minor=7000, currency="EUR", method="card")
    db.session.add(waiting)
    db.session.commit()
    intent = {
        "id": "pi_forged",
        "status": "succeeded",
        "amount": 7000,
        "currency": "eur",
        "metadata": {"saldo_payment_id": str(waiting.id), "saldo_invoice_id": str(invoice.id)},
    }
    event = {"id": "evt_forged_pi", "type": "payment_intent.succeeded", "data": {"object": intent}}
    assert post_event(stripe_app, event).get_json() == {"result": "ignored"}
    db.session.expire_all()
    payment = db.session.get(Payment, waiting.id)
    assert (payment.status, payment.stripe_payment_intent_id) == ("creating", None)
    assert entries(invoice.id) == [("charge", 7000)]
