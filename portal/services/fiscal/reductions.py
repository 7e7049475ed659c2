"""What lowered the price the patient owed, read from the ledger for the fiscal documents.

An early-payment discount (`discount`), an accepted settlement (`settlement`) and a staff
price correction (`adjustment`, less an `adjust_reversal` that undid one) lower the price
itself: a payment that covers the patient's share less these is a full payment. A
`write_off` is not a price reduction: the practice stopped asking for money still owed, so a
bill partly paid and the rest written off was paid in part."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Payment, Refund
from portal.models.ledger import LedgerKind
from portal.services.billing import ledger

#: the kinds that lower the price, each with the kind it is shown under
PRICE_KINDS = {
    LedgerKind.DISCOUNT: LedgerKind.DISCOUNT,
    LedgerKind.SETTLEMENT: LedgerKind.SETTLEMENT,
    LedgerKind.ADJUSTMENT: LedgerKind.ADJUSTMENT,
    LedgerKind.ADJUST_REVERSAL: LedgerKind.ADJUSTMENT,
}
#: the reductions in the order they are listed, with their labels
LABELS = {
    LedgerKind.DISCOUNT: _l("Early-payment discount"),
    LedgerKind.SETTLEMENT: _l("Reduction agreed in a settlement"),
    LedgerKind.ADJUSTMENT: _l("Price correction"),
}


@dataclass(frozen=True)
class Reduction:
    #: a `LedgerKind`: discount, settlement or adjustment
    kind: str
    amount_minor: int

    @property
    def label(self) -> str:
        return str(LABELS[LedgerKind(self.kind)])


def _sums(*conditions) -> list[Reduction]:
    query = (
        db.select(LedgerEntry.kind, func.sum(LedgerEntry.amount_minor))
        .where(LedgerEntry.kind.in_(tuple(PRICE_KINDS)), *conditions)
        .group_by(LedgerEntry.kind)
    )
    totals: dict[str, int] = {}
    for kind, signed in db.session.execute(query):
        shown = PRICE_KINDS[LedgerKind(kind)]
        totals[shown] = totals.get(shown, 0) - int(signed)
    return [Reduction(kind, totals[kind]) for kind in LABELS if totals.get(kind, 0) > 0]


def before_payment(payment: Payment) -> list[Reduction]:
    """The reductions of the price in force when `payment` was received: those booked with
    the payment itself (its discount or settlement) and those booked before it. A price
    correction refunding this payment, or booked later, belongs to a credit note or to a
    later payment, not to this payment's invoice."""
    own_refunds = db.select(Refund.id).where(Refund.payment_id == payment.id)
    return _sums(
        LedgerEntry.invoice_id == payment.invoice_id,
        or_(
            LedgerEntry.payment_id == payment.id,
            LedgerEntry.created_at <= payment.succeeded_at,
        ),
        or_(LedgerEntry.refund_id.is_(None), LedgerEntry.refund_id.not_in(own_refunds)),
    )


def of_invoice(invoice: Invoice) -> list[Reduction]:
    """Every reduction of the invoice's price booked so far."""
    return _sums(LedgerEntry.invoice_id == invoice.id)


def written_off(invoice: Invoice) -> int:
    """What the practice stopped asking for on `invoice`, in minor units."""
    return ledger.total_of(invoice.id, LedgerKind.WRITE_OFF)
