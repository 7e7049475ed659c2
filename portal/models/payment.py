"""A payment attempt through Stripe and its explicit state machine."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice


class PaymentStatus(StrEnum):
    """creating: the row exists, Stripe has not answered yet; the rest mirror the
    PaymentIntent."""

    CREATING = "creating"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


PAYMENT_STATUSES = tuple(s.value for s in PaymentStatus)
IN_FLIGHT = (PaymentStatus.CREATING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.PROCESSING)
TRANSITIONS = {
    PaymentStatus.CREATING: {
        PaymentStatus.REQUIRES_ACTION,
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.FAILED,
    },
    PaymentStatus.REQUIRES_ACTION: {
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELED,
    },
    PaymentStatus.PROCESSING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED},
    #: money moved on Stripe's side after a lost answer: it must still be booked
    PaymentStatus.FAILED: {PaymentStatus.SUCCEEDED},
    PaymentStatus.CANCELED: set(),
    PaymentStatus.SUCCEEDED: set(),
}


class PaymentMethod(StrEnum):
    """How a payment was made: card, sepa_debit and link (the patient's Link account) go
    through Stripe; the rest are taken at the desk and recorded by staff."""

    CARD = "card"
    SEPA_DEBIT = "sepa_debit"
    LINK = "link"
    CASH = "cash"
    CHEQUE = "cheque"
    CARD_TERMINAL = "card_terminal"


#: the methods as plain strings, for the check constraint's SQL
METHODS = tuple(m.value for m in PaymentMethod)
STRIPE_METHODS = (PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT, PaymentMethod.LINK)
DESK_METHODS = (PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.CARD_TERMINAL)
_IN_FLIGHT_SQL = "status IN ('creating', 'requires_action', 'processing')"


class RefundOrigin(StrEnum):
    """Where a refund was made."""

    #: by staff, through Saldo
    SALDO = "saldo"
    #: elsewhere (the Stripe Dashboard), and reported by Stripe
    STRIPE = "stripe"


class Payment(db.Model):
    __table_args__ = (
        CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(f"method IN {METHODS}", name="method"),
        #: at most one payment in flight per invoice: two clicks cannot both charge
        Index(
            "uq_payment_one_in_flight",
            "invoice_id",
            unique=True,
            sqlite_where=text(_IN_FLIGHT_SQL),
            postgresql_where=text(_IN_FLIGHT_SQL),
        ),
        #: the alert sweep's desk payments
        Index("ix_payment_method_status", "method", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: set when the payment is an installment (or the down payment) of a plan
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installment.id"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    #: what the payment settles when it is not simply the balance: "settlement", "discounted"
    purpose: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="creating")
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    #: e.g. "Visa •••• 4242" or "IBAN DE •••• 3000", for receipts
    method_label: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    succeeded_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship()
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def refunded_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds if r.status == RefundStatus.SUCCEEDED)

    @property
    def pending_refund_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds if r.status == RefundStatus.PENDING)

    @property
    def refundable_minor(self) -> int:
        """What may still be refunded: pending refunds hold their amount until they fail."""
        if self.status != PaymentStatus.SUCCEEDED:
            return 0
        return self.amount_minor - self.refunded_minor - self.pending_refund_minor

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]


#: pending: claimed against the payment (Stripe not answered yet, or the refund is on its way)
REFUND_STATUSES = tuple(s.value for s in RefundStatus)


class Refund(db.Model):
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(f"status IN {REFUND_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: random, made when the refund form is shown: one claim per submit, the idempotency key
    claim_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: True: the amount owed goes down too (a price correction); False: it is owed again
    reduce_balance: Mapped[bool] = mapped_column(default=True)
    #: "saldo": made by staff here; "stripe": made elsewhere (the Dashboard) and reported
    origin: Mapped[str] = mapped_column(String(8), default=RefundOrigin.SALDO)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
