"""Claims made in the database before Stripe is asked to move money, and the installation's id.

A `ChargeAttempt` row is inserted in the same transaction as the in-flight `Payment`; its random
`key` (never a database id, which SQLite can hand out again after a rollback) makes the Stripe
idempotency key and travels in the PaymentIntent's metadata, so a lost answer can be found again.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.payment import Payment


class Installation(db.Model):
    """One row: the id that scopes this installation's idempotency keys at Stripe."""

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, made on first use; SALDO_INSTALLATION_ID overrides it (e.g. for a staging copy)
    installation_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChargeAttempt(db.Model):
    __table_args__ = (
        #: one claim per installment and attempt: two workers cannot claim the same attempt
        UniqueConstraint("installment_id", "attempt", name="uq_charge_attempt_installment"),
        CheckConstraint("attempt > 0", name="attempt_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: uuid4 hex; the idempotency key and the PaymentIntent metadata `saldo_charge`
    key: Mapped[str] = mapped_column(String(32), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("installment.id"), index=True)
    #: 1, 2, … for the claims on one installment (a second card is a new attempt); 1 otherwise
    attempt: Mapped[int] = mapped_column(default=1)
    #: the installment as the claimer found it, restored when nothing was charged
    prior_status: Mapped[str | None] = mapped_column(String(16))
    prior_attempts: Mapped[int | None]
    #: a decline uses up one of the plan's attempts (the scheduled charge, not a patient's click)
    counts: Mapped[bool] = mapped_column(default=False)
    decline_code: Mapped[str | None] = mapped_column(String(64))
    advice_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: what the create asked for, so a lost answer can be asked again with the same key
    customer_id: Mapped[str | None] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    off_session: Mapped[bool] = mapped_column(default=False)
    #: when the reconciliation last sent the create again (one reconciler at a time)
    resent_at: Mapped[datetime | None]
    #: until then the reconciliation looks for a create that reached Stripe late
    watch_until: Mapped[datetime | None] = mapped_column(index=True)

    payment: Mapped[Payment] = relationship()


class LateChargeStatus(StrEnum):
    """refund_pending: claimed, refund asked; refunded / canceled: done; failed: staff must
    act."""

    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    CANCELED = "canceled"
    FAILED = "failed"


class LateCharge(db.Model):
    """A PaymentIntent that reached Stripe under a claim already settled another way (a create
    delayed past the reconciliation): refunded in full, once."""

    __tablename__ = "late_charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_attempt_id: Mapped[int] = mapped_column(ForeignKey("charge_attempt.id"), index=True)
    stripe_payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_minor: Mapped[int]
    #: a `LateChargeStatus`
    status: Mapped[str] = mapped_column(String(16), default="refund_pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    #: why Stripe refused to give the money back (status failed): staff must act
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    #: when a process last asked Stripe for this row; another leaves it alone meanwhile
    attempted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
