"""Chargebacks as Stripe reports them: the ledger, the invoice and the staff follow.

Money leaves when the bank opens a dispute (or Stripe says funds were withdrawn): a
"dispute" entry makes it owed again and reopens a paid invoice. Money comes back when the
dispute is won or funds are reinstated: a "dispute_reversal" entry. Each entry is posted at
most once per dispute (a unique index), and reinstating first posts a missing withdrawal, so
the events may come in any order and any number of times. Inquiries ("warning_…") move no
money. SEPA Direct Debit returns after a success reach Stripe, and Saldo, as disputes.
"""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.models import Dispute, LedgerEntry, Payment
from portal.models.alert import AlertKind
from portal.models.dispute import CLOSED, DISPUTE_STATUSES, DisputeStatus
from portal.models.ledger import LedgerKind
from portal.services.billing import credits, invoices, ledger
from portal.services.core import audit, events
from portal.services.core.audit import Actor
from portal.services.payments import payments
from portal.services.payments.stripe_accounts import receiving_practice

ALERT = AlertKind.STRIPE_DISPUTE


def from_stripe(event_type: str, obj: dict, actor: Actor):
    """Apply a `charge.dispute.*` event in the open transaction; returns what to announce
    after the commit, or None if the disputed payment is not one Saldo holds."""
    intent_id = obj.get("payment_intent")
    if not intent_id and isinstance(obj.get("charge"), str):
        intent_id = gateways.stripe(receiving_practice()).charge_intent_id(obj["charge"])
    payment = payments.find_by_intent_id(intent_id)
    status = obj.get("status")
    if payment is None or status not in DISPUTE_STATUSES:
        return None
    dispute, opened = _record(payment, obj)
    closing = status in CLOSED and _move(dispute, status)
    if not closing and status not in CLOSED:
        _move(dispute, status)
    announcements = []
    if opened:
        _timeline(dispute, "payment.disputed", actor)
        credits.raise_alert(payment.invoice, ALERT, payment_id=payment.id, dispute=dispute.id)
        announcements.append(lambda: events.payment_disputed.send(payment, dispute=dispute))
    if event_type == "charge.dispute.funds_reinstated" or status == DisputeStatus.WON:
        _withdraw(dispute, actor)
        _reinstate(dispute, actor)
    elif not status.startswith("warning_"):
        _withdraw(dispute, actor)
    if closing:
        _timeline(dispute, f"payment.dispute_{status}", actor)
        if not _open_on(payment.invoice_id):
            # the invoice's alert stays while a chargeback on another of its payments is open
            credits.resolve_alerts(payment.invoice, ALERT, status)
        announcements.append(lambda: events.dispute_closed.send(payment, dispute=dispute))
    return lambda: [announce() for announce in announcements]


def _record(payment: Payment, obj: dict) -> tuple[Dispute, bool]:
    dispute = db.session.scalar(db.select(Dispute).filter_by(stripe_dispute_id=obj["id"]))
    if dispute is not None:
        return dispute, False
    amount = int(obj.get("amount") or payment.amount_minor)
    dispute = Dispute(
        payment_id=payment.id,
        stripe_dispute_id=obj["id"],
        amount_minor=min(amount, payment.amount_minor),
        currency=payment.currency,
        reason=str(obj.get("reason") or "")[:64] or None,
        #: opened; `_move` then sets what Stripe says, so a first event that closes it counts
        status=DisputeStatus.WARNING_NEEDS_RESPONSE
        if obj["status"].startswith("warning_")
        else DisputeStatus.NEEDS_RESPONSE,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
    except IntegrityError:
        # another event about the same dispute recorded it a moment ago
        return db.session.scalar(db.select(Dispute).filter_by(stripe_dispute_id=obj["id"])), False
    return dispute, True


def _open_on(invoice_id: int) -> bool:
    """Whether a chargeback on one of the invoice's payments is still open."""
    query = (
        db.select(Dispute.id)
        .join(Payment, Payment.id == Dispute.payment_id)
        .where(Payment.invoice_id == invoice_id, Dispute.status.not_in(CLOSED))
        .limit(1)
    )
    return db.session.scalar(query) is not None


def _move(dispute: Dispute, status: str) -> bool:
    """Set the status unless the dispute is closed already (a closed dispute stays closed,
    whatever older news arrives after); True if this call changed it."""
    values: dict = {"status": status}
    if status in CLOSED:
        values["closed_at"] = utcnow()
    result = db.session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status.not_in(CLOSED), Dispute.status != status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(dispute)
    return result.rowcount == 1


def _post_once(dispute: Dispute, kind: str) -> bool:
    exists = db.session.scalar(
        db.select(LedgerEntry.id).filter_by(dispute_id=dispute.id, kind=kind)
    )
    if exists:
        return False
    invoice = dispute.payment.invoice
    try:
        with db.session.begin_nested():
            entry = ledger.post(invoice, kind, dispute.amount_minor, memo=dispute.reason)
            entry.dispute_id = dispute.id
    except IntegrityError:
        # the same entry was posted by another event about this dispute a moment ago
        return False
    return True


def _withdraw(dispute: Dispute, actor: Actor) -> None:
    if not _post_once(dispute, LedgerKind.DISPUTE):
        return
    invoice = dispute.payment.invoice
    db.session.refresh(invoice)
    if invoices.reopen_if_owed(invoice):
        _timeline(dispute, "invoice.reopened", actor)
    _timeline(dispute, "payment.dispute_funds_withdrawn", actor)


def _reinstate(dispute: Dispute, actor: Actor) -> None:
    if not _post_once(dispute, LedgerKind.DISPUTE_REVERSAL):
        return
    invoice = dispute.payment.invoice
    db.session.refresh(invoice)
    invoices.settle_if_paid(invoice, actor)
    _timeline(dispute, "payment.dispute_funds_reinstated", actor)


def _timeline(dispute: Dispute, action: str, actor: Actor) -> None:
    invoice = dispute.payment.invoice
    audit.record(
        action,
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        payment_id=dispute.payment_id,
        dispute_id=dispute.id,
        amount_minor=dispute.amount_minor,
        reason=dispute.reason,
    )


def of_payments(payment_ids: list[int]) -> list[Dispute]:
    """The disputes on these payments, oldest first (for the staff invoice page)."""
    if not payment_ids:
        return []
    query = db.select(Dispute).where(Dispute.payment_id.in_(payment_ids)).order_by(Dispute.id)
    return list(db.session.scalars(query))
