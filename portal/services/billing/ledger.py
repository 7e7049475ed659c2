"""Posting to the append-only ledger and reading balances from it."""

from sqlalchemy import bindparam, func

from portal.extensions import db
from portal.models import Invoice, LedgerEntry
from portal.models.ledger import LedgerKind

#: the sign each kind carries: what it does to the amount the patient owes
SIGNS = {
    LedgerKind.CHARGE: 1,
    LedgerKind.REFUND: 1,
    LedgerKind.PAYMENT: -1,
    LedgerKind.DISCOUNT: -1,
    LedgerKind.ADJUSTMENT: -1,
    LedgerKind.SETTLEMENT: -1,
    LedgerKind.WRITE_OFF: -1,
    LedgerKind.REFUND_REVERSAL: -1,
    LedgerKind.ADJUST_REVERSAL: 1,
    LedgerKind.DISPUTE: 1,
    LedgerKind.DISPUTE_REVERSAL: -1,
    LedgerKind.CREDIT: 1,
}


def post(
    invoice: Invoice,
    kind: str,
    amount_minor: int,
    *,
    payment_id: int | None = None,
    memo: str | None = None,
) -> LedgerEntry:
    """Append an entry of `kind` for a positive `amount_minor`; the kind decides the sign."""
    if not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError("ledger amounts are positive integers of minor units")
    entry = LedgerEntry(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        kind=kind,
        amount_minor=SIGNS[kind] * amount_minor,
        currency=invoice.currency,
        payment_id=payment_id,
        memo=memo,
    )
    db.session.add(entry)
    return entry


#: the statement of `balance`, built once (a payment asks it several times)
_BALANCE = db.select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
    LedgerEntry.invoice_id == bindparam("invoice_id")
)


def balance(invoice_id: int) -> int:
    """What the patient still owes on an invoice, in minor units."""
    return int(db.session.scalar(_BALANCE, {"invoice_id": invoice_id}))


def total_of(invoice_id: int, *kinds: str) -> int:
    """The absolute sum of an invoice's entries of the given kinds."""
    total = db.session.scalar(
        db.select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.invoice_id == invoice_id, LedgerEntry.kind.in_(kinds)
        )
    )
    return abs(int(total))
