"""Chargebacks as Stripe reports them, applied one event at a time: the disputed amount (never
more than the payment) owed again, a paid invoice reopened, inquiries moving no money, a
closed dispute staying closed, a missed withdrawal posted before its reversal, and events
about payments Saldo does not hold changing nothing. (Twenty deliveries at once, on both
databases: `test_stripe_events.py`.)"""

import pytest

from portal.extensions import db
from portal.models import Alert, CollectionState, Dispute, Invoice, LedgerEntry
from portal.models.audit import ActorKind
from portal.services.billing import ledger, money
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.payments import disputes
from tests import factories

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

STRIPE = Actor(ActorKind.STRIPE, "evt_test")


def card_payment(amount_minor=15450, amounts=(12000, 3450)):
    """A payment of `amount_minor` on a new invoice, booked with its PaymentIntent id (all a
    dispute is matched by)."""
    invoice = factories.invoice(factories.patient(factories.practice()), amounts)
    payment = money.record_desk_payment(invoice, amount_minor, "card_terminal", SYSTEM)
    payment.stripe_payment_intent_id = f"pi_test_{payment.id}"
    db.session.commit()
    return invoice, payment


def dispute_obj(payment, status, amount=None, dispute_id="dp_test_1"):
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount if amount is not None else payment.amount_minor,
        "currency": payment.currency.lower(),
        "charge": "ch_test",
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
    }


def apply(kind, obj):
    """As the webhook does: apply, commit, then announce."""
    announce = disputes.from_stripe(kind, obj, STRIPE)
    db.session.commit()
    if announce is not None:
        announce()
    db.session.expire_all()
    return announce


def entries(invoice) -> list[tuple[str, int]]:
    query = db.select(LedgerEntry.kind, LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id)
    return [tuple(row) for row in db.session.execute(query.order_by(LedgerEntry.id))]


def state(invoice) -> tuple[str, int]:
    return db.session.get(Invoice, invoice.id).status, ledger.balance(invoice.id)


def actions(invoice) -> list[str]:
    return [
        e.action
        for e in audit.timeline(invoice.id)
        if e.action.startswith(("payment.disput", "invoice.reopened"))
    ]


def test_a_partial_chargeback_reopens_the_paid_invoice_for_its_amount_only(app):
    invoice, payment = card_payment()
    assert state(invoice) == ("paid", 0)
    opened = dispute_obj(payment, "needs_response", amount=5000)
    assert apply("charge.dispute.created", opened) is not None
    assert entries(invoice) == [("charge", 15450), ("payment", -15450), ("dispute", 5000)]
    assert state(invoice) == ("open", 5000)
    [dispute] = db.session.scalars(db.select(Dispute)).all()
    assert (dispute.amount_minor, dispute.currency, dispute.reason, dispute.status) == (
        5000,
        "EUR",
        "fraudulent",
        "needs_response",
    )
    assert dispute.closed_at is None
    assert db.session.get(CollectionState, invoice.id).hold == "dispute"
    # the same news again, as another event type: nothing more
    apply("charge.dispute.funds_withdrawn", opened)
    assert entries(invoice)[2:] == [("dispute", 5000)]
    assert actions(invoice) == [
        "payment.disputed",
        "invoice.reopened",
        "payment.dispute_funds_withdrawn",
    ]
    [alert] = db.session.scalars(db.select(Alert)).all()
    assert (alert.kind, alert.data["dispute"], alert.resolved_at) == (
        "stripe_dispute",
        dispute.id,
        None,
    )


def test_a_dispute_for_more_than_the_payment_takes_back_the_payment_only(app):
    invoice, payment = card_payment(5000)
    apply("charge.dispute.created", dispute_obj(payment, "needs_response", amount=9999))
    assert db.session.scalars(db.select(Dispute.amount_minor)).one() == 5000
    assert entries(invoice)[-1] == ("dispute", 5000)
    # the invoice was open for the rest already: owed again, nothing to reopen
    assert state(invoice) == ("open", 15450)
    assert "invoice.reopened" not in actions(invoice)


def test_an_inquiry_moves_no_money_and_its_closing_resolves_the_alert(app):
    invoice, payment = card_payment()
    apply("charge.dispute.created", dispute_obj(payment, "warning_needs_response"))
    assert state(invoice) == ("paid", 0)
    assert [kind for kind, _ in entries(invoice)] == ["charge", "payment"]
    assert db.session.scalars(db.select(Dispute.status)).one() == "warning_needs_response"
    apply("charge.dispute.closed", dispute_obj(payment, "warning_closed"))
    dispute = db.session.scalars(db.select(Dispute)).one()
    assert (dispute.status, dispute.closed_at is not None) == ("warning_closed", True)
    assert state(invoice) == ("paid", 0)
    assert len(entries(invoice)) == 2
    [alert] = db.session.scalars(db.select(Alert)).all()
    assert alert.resolved_at is not None and alert.data["resolution"] == "warning_closed"
    assert actions(invoice) == ["payment.disputed", "payment.dispute_warning_closed"]
    assert db.session.get(CollectionState, invoice.id).hold is None


def test_won_first_posts_the_missed_withdrawal_then_its_reversal_and_stays_won(app):
    invoice, payment = card_payment()
    # the opening and withdrawal events were missed: the first news is that it was won
    apply("charge.dispute.closed", dispute_obj(payment, "won"))
    assert entries(invoice)[2:] == [("dispute", 15450), ("dispute_reversal", -15450)]
    assert state(invoice) == ("paid", 0)
    # older news arriving late changes neither the status nor the money
    apply("charge.dispute.updated", dispute_obj(payment, "needs_response"))
    apply("charge.dispute.funds_reinstated", dispute_obj(payment, "won"))
    dispute = db.session.scalars(db.select(Dispute)).one()
    assert dispute.status == "won"
    assert len(entries(invoice)) == 4
    assert state(invoice) == ("paid", 0)
    assert actions(invoice) == [
        "payment.disputed",
        "invoice.reopened",
        "payment.dispute_funds_withdrawn",
        "payment.dispute_funds_reinstated",
        "payment.dispute_won",
    ]
    assert db.session.scalars(db.select(Alert.resolved_at)).one() is not None


def test_events_about_payments_saldo_does_not_hold_change_nothing(app):
    invoice, payment = card_payment()
    foreign = {**dispute_obj(payment, "needs_response"), "payment_intent": "pi_someone_else"}
    assert apply("charge.dispute.created", foreign) is None
    odd = dispute_obj(payment, "charge_refunded")  # not a dispute status Stripe documents
    assert apply("charge.dispute.updated", odd) is None
    assert db.session.scalars(db.select(Dispute)).all() == []
    assert state(invoice) == ("paid", 0)
    assert len(entries(invoice)) == 2


def test_the_disputes_of_an_invoices_payments_oldest_first(app):
    _invoice, first = card_payment(5000)
    _other, second = card_payment(7000)
    _third, untouched = card_payment(3000)
    apply("charge.dispute.created", dispute_obj(second, "needs_response", dispute_id="dp_b"))
    apply("charge.dispute.created", dispute_obj(first, "warning_under_review", dispute_id="dp_a"))
    found = disputes.of_payments([first.id, second.id, untouched.id])
    assert [(d.stripe_dispute_id, d.payment_id, d.amount_minor) for d in found] == [
        ("dp_b", second.id, 7000),
        ("dp_a", first.id, 5000),
    ]
    assert disputes.of_payments([untouched.id]) == []
    assert disputes.of_payments([]) == []


def test_the_alert_stays_open_while_another_payment_of_the_invoice_is_disputed(app):
    invoice = factories.invoice(factories.patient(factories.practice()), (12000, 3450))
    payments = []
    for amount in (5000, 10450):  # two installments, say, both on the stolen card
        payment = money.record_desk_payment(invoice, amount, "card_terminal", SYSTEM)
        payment.stripe_payment_intent_id = f"pi_test_{payment.id}"
        payments.append(payment)
    db.session.commit()
    first, second = payments
    apply("charge.dispute.created", dispute_obj(first, "needs_response", dispute_id="dp_a"))
    apply("charge.dispute.created", dispute_obj(second, "needs_response", dispute_id="dp_b"))
    assert state(invoice) == ("open", 15450)
    apply("charge.dispute.closed", dispute_obj(first, "won", dispute_id="dp_a"))
    assert state(invoice) == ("open", 10450)
    # the second chargeback is still open: staff still see it, reminders still wait
    assert db.session.scalars(db.select(Alert.resolved_at)).all() == [None]
    assert db.session.get(CollectionState, invoice.id).hold == "dispute"
    apply("charge.dispute.closed", dispute_obj(second, "lost", dispute_id="dp_b"))
    [alert] = db.session.scalars(db.select(Alert)).all()
    assert alert.resolved_at is not None and alert.data["resolution"] == "lost"
    assert db.session.get(CollectionState, invoice.id).hold is None
