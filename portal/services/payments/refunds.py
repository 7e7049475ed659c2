"""A refund's state as Stripe reports it, and booking it on the ledger exactly once.

Stripe's refund moves pending -> succeeded, or to failed/canceled (possibly after it
succeeded). Saldo only moves a refund forward along that order, by compare-and-set, so
events arriving late, twice or out of order change nothing twice; each ledger entry is also
unique per refund and kind. A pending refund is shown as pending and holds its amount
against the payment; it is booked when it succeeds and never if it fails.
"""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import RefundResult
from portal.models import Payment, Refund
from portal.models.ledger import LedgerKind
from portal.models.payment import RefundOrigin, RefundStatus
from portal.services.billing import invoices, ledger
from portal.services.core import audit, events
from portal.services.core.audit import Actor
from portal.services.payments import payments
from portal.services.payments.stripe_accounts import receiving_practice

#: Stripe refund status -> Saldo refund status
STRIPE_STATES = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}
_ORDER = {"pending": 0, "succeeded": 1, "failed": 2}


def apply_state(record: Refund, stripe_status: str, actor: Actor) -> bool:
    """Move `record` to what Stripe reports and book or reverse it; True if it changed.
    The caller commits (and then announces the refund)."""
    target = STRIPE_STATES.get(stripe_status)
    previous = record.status
    if target is None or _ORDER[target] <= _ORDER[previous]:
        return False
    result = db.session.execute(
        update(Refund)
        .where(Refund.id == record.id, Refund.status == previous)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(record)
    if target == "succeeded":
        _book(record, actor)
    elif previous == "succeeded":
        _reverse(record, actor)
    else:
        _audit(record, "payment.refund_failed", actor)
    return True


def _book(record: Refund, actor: Actor) -> None:
    invoice = record.payment.invoice
    ledger.post(
        invoice, LedgerKind.REFUND, record.amount_minor, memo=record.reason
    ).refund_id = record.id
    if record.reduce_balance:
        entry = ledger.post(invoice, LedgerKind.ADJUSTMENT, record.amount_minor, memo=record.reason)
        entry.refund_id = record.id
    db.session.flush()
    db.session.refresh(invoice)
    if invoices.reopen_if_owed(invoice):
        _audit(record, "invoice.reopened", actor)
    _audit(record, "payment.refunded", actor)


def _reverse(record: Refund, actor: Actor) -> None:
    invoice = record.payment.invoice
    entry = ledger.post(
        invoice, LedgerKind.REFUND_REVERSAL, record.amount_minor, memo=record.reason
    )
    entry.refund_id = record.id
    if record.reduce_balance:
        entry = ledger.post(
            invoice, LedgerKind.ADJUST_REVERSAL, record.amount_minor, memo=record.reason
        )
        entry.refund_id = record.id
    db.session.flush()
    db.session.refresh(invoice)
    invoices.settle_if_paid(invoice, actor)
    _audit(record, "payment.refund_reversed", actor)


def _audit(record: Refund, action: str, actor: Actor) -> None:
    invoice = record.payment.invoice
    audit.record(
        action,
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=record.payment_id,
        refund_id=record.id,
        amount_minor=record.amount_minor,
        reason=record.reason,
    )


def announce(record: Refund) -> None:
    """After the commit: tell the other domains about a booked refund."""
    if record.status == RefundStatus.SUCCEEDED:
        events.payment_refunded.send(record.payment, refund=record)


def lock(payment: Payment) -> None:
    """Hold the payment row until the transaction ends (a row lock on PostgreSQL, the write
    lock on SQLite), so two refunds cannot both read the same refundable remainder."""
    # start a fresh transaction, so the lock below is taken inside it
    db.session.commit()
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(payment)


# --- refunds reported by Stripe (made here or in the Dashboard) ---------------------------


def from_stripe(obj: dict, actor: Actor):
    """A refund object from an event: find or record it on the payment holding its
    PaymentIntent, move it forward. Returns the after-commit announcement, or None."""
    return _apply_result(RefundResult.from_stripe(obj), actor)


def from_charge(charge: dict, actor: Actor):
    """`charge.refunded`: every refund of the charge, as listed in it or read from Stripe."""
    payment = payments.find_by_intent_id(charge.get("payment_intent"))
    if payment is None:
        return None
    intent_id = payment.stripe_payment_intent_id
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None:
        results = gateways.stripe(receiving_practice()).list_refunds(intent_id)
    else:
        results = [RefundResult.from_stripe({"payment_intent": intent_id, **r}) for r in listed]
    announcements = [_apply_result(result, actor) for result in results]
    return lambda: [done() for done in announcements if done]


def _apply_result(result: RefundResult, actor: Actor):
    intent_id = result.payment_intent_id or _intent_of_charge(result.charge_id)
    payment = payments.find_by_intent_id(intent_id)
    if payment is None or result.currency != payment.currency:
        return None
    record = _record_for(payment, result)
    apply_state(record, result.status, actor)
    return lambda: announce(record)


def _intent_of_charge(charge_id: str | None) -> str | None:
    return gateways.stripe(receiving_practice()).charge_intent_id(charge_id) if charge_id else None


def _record_for(payment: Payment, result) -> Refund:
    """The refund row for a Stripe refund: by its id, or the claim Saldo made for it (a
    refund whose answer was lost), or a new row for a refund made in the Dashboard."""
    record = db.session.scalar(db.select(Refund).filter_by(stripe_refund_id=result.id))
    if record is not None:
        return record
    claim = result.metadata.get("saldo_refund_claim")
    if claim:
        record = db.session.scalar(
            db.select(Refund).filter_by(
                claim_key=claim, payment_id=payment.id, stripe_refund_id=None
            )
        )
        if record is not None:
            record.stripe_refund_id = result.id
            db.session.flush()
            return record
    record = Refund(
        payment_id=payment.id,
        amount_minor=result.amount,
        currency=payment.currency,
        reason=DASHBOARD_REASON,
        status=RefundStatus.PENDING,
        stripe_refund_id=result.id,
        origin=RefundOrigin.STRIPE,
        reduce_balance=True,
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # another event about the same refund recorded it a moment ago
        return db.session.scalar(db.select(Refund).filter_by(stripe_refund_id=result.id))
    return record


#: the reason on a refund made outside Saldo (kept in the ledger memo, not translated)
DASHBOARD_REASON = "Refunded in Stripe"
