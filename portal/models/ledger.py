"""The append-only ledger. A balance is the sum of an invoice's entries; nothing edits one."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class LedgerKind(StrEnum):
    """What a ledger entry records; positive kinds add to what the patient owes, negative
    kinds take from it (`services.billing.ledger.SIGNS`)."""

    CHARGE = "charge"
    PAYMENT = "payment"
    REFUND = "refund"
    DISCOUNT = "discount"
    ADJUSTMENT = "adjustment"
    SETTLEMENT = "settlement"
    WRITE_OFF = "write_off"
    #: a booked refund that failed afterwards: the money came back
    REFUND_REVERSAL = "refund_reversal"
    #: undoes the "adjustment" of a price-correction refund that failed afterwards
    ADJUST_REVERSAL = "adjust_reversal"
    #: a chargeback took the money back from the practice: it is owed again
    DISPUTE = "dispute"
    #: the chargeback was reversed (won, funds reinstated)
    DISPUTE_REVERSAL = "dispute_reversal"
    #: money that came in for an invoice already paid or void, held for the patient
    CREDIT = "credit"


#: the kinds as plain strings, for the check constraint's SQL
LEDGER_KINDS = tuple(m.value for m in LedgerKind)


class LedgerEntry(db.Model):
    __table_args__ = (
        CheckConstraint(f"kind IN {LEDGER_KINDS}", name="kind"),
        #: a payment is booked at most once per kind, whatever replays arrive
        UniqueConstraint("payment_id", "kind", name="uq_ledger_payment_kind"),
        UniqueConstraint("refund_id", "kind", name="uq_ledger_refund_kind"),
        UniqueConstraint("dispute_id", "kind", name="uq_ledger_dispute_kind"),
        #: the aging report reads every balance from this index alone
        Index("ix_ledger_aging", "practice_id", "invoice_id", "created_at", "amount_minor"),
        #: period sums (charges, payments, refunds) of the collection reports, index-only
        Index(
            "ix_ledger_kind_time", "practice_id", "kind", "created_at", "amount_minor", "invoice_id"
        ),
        #: what changed since a day, per invoice: balances as of an earlier day (0024)
        Index("ix_ledger_practice_time", "practice_id", "created_at", "invoice_id", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: a `LedgerKind`
    kind: Mapped[str] = mapped_column(String(16))
    #: signed minor units: charges and refunds positive, payments and credits negative
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id"))
    memo: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerIsAppendOnly(Exception):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise LedgerIsAppendOnly("ledger entries are never changed or deleted")
