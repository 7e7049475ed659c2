"""A chargeback (Stripe dispute) on a payment, and the money it moved."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.payment import Payment


class DisputeStatus(StrEnum):
    """Stripe's dispute statuses; won, lost and warning_closed are final."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


DISPUTE_STATUSES = tuple(s.value for s in DisputeStatus)
CLOSED = (DisputeStatus.WON.value, DisputeStatus.LOST.value, DisputeStatus.WARNING_CLOSED.value)


class Dispute(db.Model):
    __table_args__ = (
        CheckConstraint(f"status IN {DISPUTE_STATUSES}", name="status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship()
