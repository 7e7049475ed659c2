"""A delinquency alert on an invoice, raised by the sweep or by money moving."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.invoice import Invoice


class AlertKind(StrEnum):
    """What an alert is about: the sweep raises most; money moving raises the chargeback,
    the credit held after a double payment and a late second charge Stripe would not
    refund."""

    LATE_INSTALLMENT = "late_installment"
    FAILED_CHARGE = "failed_charge"
    SHORT_PAYMENT = "short_payment"
    SKIPPED_CYCLE = "skipped_cycle"
    LINK_NOT_OPENED = "link_not_opened"
    VERIFICATION_LOCKED = "verification_locked"
    MISSED_PROMISE = "missed_promise"
    CARD_EXPIRING = "card_expiring"
    STRIPE_DISPUTE = "stripe_dispute"
    CREDIT_HELD = "credit_held"
    #: Stripe refused to refund a second charge that reached it late: staff must act
    LATE_CHARGE_FAILED = "late_charge_failed"


#: the kinds as plain strings, for the check constraint's SQL
ALERT_KINDS = tuple(m.value for m in AlertKind)


class Alert(db.Model):
    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
        UniqueConstraint("invoice_id", "kind", "raised_on"),
        #: the open alerts of a practice: the queue and its count (migration 0024)
        Index(
            "ix_alert_open",
            "practice_id",
            "kind",
            "raised_on",
            "id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: an `AlertKind`
    kind: Mapped[str] = mapped_column(String(24))
    raised_on: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship()
